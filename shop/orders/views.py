"""The customer's order status page, reached by the signed link in their mail."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from shop.orders.services import order_by_status_token

bp = Blueprint("orders", __name__)


@bp.get("/orders/<token>")
def status(token: str) -> str:
    """Show an order's status and lines to whoever holds its signed link."""
    order = order_by_status_token(token[:200])
    if order is None:
        abort(404, description="This order link is not valid. Check the link in your email.")
    return render_template("orders/status.html", order=order)
