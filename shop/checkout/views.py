"""Checkout pages: start (POST /checkout), Stripe's return to success or cancel."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from shop.checkout.exceptions import CheckoutError
from shop.checkout.services import (
    LeftCheckout,
    LeftPayment,
    confirm_from_success_page,
    leave_payment_page,
    start_checkout,
)
from shop.core.errors import DomainError
from shop.extensions import db
from shop.links.visit import answers_seen
from shop.mail.services import deliver_queued_now
from shop.orders.models import OrderStatus
from shop.payments.exceptions import PaymentUnavailable

bp = Blueprint("checkout", __name__)


@bp.post("/checkout")
def start() -> Response:
    """Create (or reuse) the pending order and send the customer to Stripe's payment page."""
    try:
        url = start_checkout(session.get("cart_token"), answers_seen())
    except CheckoutError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("cart.view"), code=303)
    return redirect(url, code=303)


@bp.get("/checkout/success")
def success() -> str | tuple[str, int]:
    """Show the order once paid, or say the payment is still processing."""
    session_id = request.args.get("session_id", "", type=str)
    if not session_id.startswith("cs_") or len(session_id) > 255:
        return render_template("checkout/success.html", order=None, problem="missing"), 400
    try:
        order = confirm_from_success_page(session_id)
    except PaymentUnavailable:
        db.session.rollback()
        return render_template("checkout/success.html", order=None, problem="unreachable"), 503
    except DomainError:  # Stripe does not know the session, or it does not fit the order
        db.session.rollback()
        order = None
    if order is None:
        return render_template("checkout/success.html", order=None, problem="unknown"), 404
    deliver_queued_now()
    return render_template("checkout/success.html", order=order, problem=None, Status=OrderStatus)


@bp.get("/checkout/cancel")
def cancel() -> Response:
    """Back from Stripe without paying: close that checkout, release its hold, show the cart."""
    token = request.args.get("token", "", type=str)
    left = LeftCheckout(LeftPayment.UNCHANGED)
    if 0 < len(token) <= 300:
        try:
            left = leave_payment_page(session.get("cart_token"), token)
            db.session.commit()
        except DomainError:
            db.session.rollback()
    if left.outcome is LeftPayment.PAID and left.session_id:
        # Paid just before coming back: show the confirmation, not the cart.
        deliver_queued_now()
        return redirect(url_for("checkout.success", session_id=left.session_id), code=303)
    flash("You left the payment page. Nothing was charged, and your cart is as you left it.")
    return redirect(url_for("cart.view"), code=303)
