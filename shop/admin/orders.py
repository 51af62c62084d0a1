"""Order screens of the staff admin: list, search, sort and export orders, mark them shipped,
refund them.

A refund is asked of Stripe through `shop.payments.settle.request_refund`; the order's
refunded figures change only when Stripe confirms with `charge.refunded`, so a refund is
never counted twice.
"""

from __future__ import annotations

import math

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole
from shop.admin import audit
from shop.admin.forms import FulfilForm, RefundForm
from shop.admin.paging import page_number, sort_order
from shop.admin.records.base import csv_download
from shop.admin.sections import register_section
from shop.core.money import MoneyError, format_money, parse_major
from shop.extensions import db
from shop.links.attribution import credited_answers
from shop.mail.services import deliver_queued_now
from shop.orders.exceptions import OrderError
from shop.orders.models import Order, OrderStatus
from shop.orders.queries import (
    STAFF_SORTS,
    export_rows,
    staff_order_count,
    staff_order_page,
)
from shop.orders.services import mark_fulfilled, refundable_amount
from shop.orders.statuses import CHECKOUT_STATUSES, FULFILLABLE, PLACED_STATUSES, REFUNDABLE
from shop.orders.tracking import CARRIERS
from shop.payments.exceptions import PaymentError, PaymentUnavailable, RefundRefused
from shop.payments.settle import request_refund

bp = Blueprint("orders", __name__, url_prefix="/orders")

PER_PAGE = 50
QUERY_MAX = 100
AUDIT_ROWS = 200


def register_sections(app: Flask) -> None:
    """List the order screens in the admin navigation."""
    register_section(
        app,
        "admin.orders.index",
        "Orders",
        (StaffRole.FULFILMENT,),
        "find, fulfil, refund and export orders",
    )


# The list's "Show" choices besides one status: placed orders (the default), unpaid
# checkouts, everything.
SHOW_PLACED, SHOW_CHECKOUTS, SHOW_ALL = "", "checkouts", "all"
SHOW_GROUPS: dict[str, frozenset[OrderStatus] | None] = {
    SHOW_PLACED: PLACED_STATUSES,
    SHOW_CHECKOUTS: CHECKOUT_STATUSES,
    SHOW_ALL: None,
}


def _shown_statuses() -> tuple[str, frozenset[OrderStatus] | None]:
    """?status=: a group of `SHOW_GROUPS` or one status; 400 for anything else."""
    raw = request.args.get("status", "").strip()
    if raw in SHOW_GROUPS:
        return raw, SHOW_GROUPS[raw]
    try:
        return raw, frozenset({OrderStatus(raw)})
    except ValueError:
        abort(
            400,
            description="The status filter must be one of: "
            + ", ".join([SHOW_CHECKOUTS, SHOW_ALL, *(s.value for s in OrderStatus)])
            + ".",
        )


def _query() -> str:
    q = request.args.get("q", "").strip()
    if len(q) > QUERY_MAX:
        abort(400, description=f"Keep the search to {QUERY_MAX} characters or fewer.")
    return q


@bp.get("/")
@role_required(StaffRole.FULFILMENT)
def index() -> str:
    """List placed orders newest first, 50 a page; show checkouts or one status, search by
    order number, email or customer name, sort by any column."""
    status, statuses = _shown_statuses()
    q = _query()
    sort = sort_order(STAFF_SORTS, "date", newest_first=("date",))
    number = page_number()
    rows, total = staff_order_page(statuses, q, number, PER_PAGE, sort.key, sort.descending)
    pages = max(1, math.ceil(total / PER_PAGE))
    if number > pages:
        abort(400, description=f"There is no page {number}; this list has {pages}.")
    # A search that finds only unpaid checkouts says so, rather than "no orders".
    hidden = staff_order_count(CHECKOUT_STATUSES, q) if q and status == SHOW_PLACED else 0
    return render_template(
        "admin/orders.html",
        rows=rows,
        status=status,
        statuses=[s.value for s in OrderStatus],
        q=q,
        sort=sort,
        page=number,
        pages=pages,
        total=total,
        hidden=hidden,
    )


@bp.get("/export.csv")
@role_required(StaffRole.FULFILMENT)
def export() -> BaseResponse:
    """The listed orders (the same status and search) as CSV, oldest first."""
    _status, statuses = _shown_statuses()
    q = _query()

    return csv_download(export_rows(statuses=statuses, q=q), "orders.csv")


def _order_or_404(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404, description="There is no order with that number.")
    return order


def _detail(
    order_id: int,
    fulfil_form: FulfilForm | None = None,
    refund_form: RefundForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    order = _order_or_404(order_id)
    refundable = refundable_amount(order)
    return render_template(
        "admin/order.html",
        order=order,
        refundable=refundable,
        credits=credited_answers(order.id),
        can_fulfil=order.status in FULFILLABLE and order.shipped_at is None,
        can_refund=(
            order.status in REFUNDABLE and refundable > 0 and bool(order.stripe_payment_intent_id)
        ),
        fulfil_form=fulfil_form or FulfilForm(formdata=None),
        refund_form=refund_form or RefundForm(formdata=None),
        audit_entries=audit.entries("order", order_id, limit=AUDIT_ROWS),
        carrier_names=[carrier.name for carrier in CARRIERS],
    ), status


@bp.get("/<int:order_id>")
@role_required(StaffRole.FULFILMENT)
def detail(order_id: int) -> tuple[str, int]:
    """One order: lines, totals, answers credited, address, timeline, staff changes, actions."""
    return _detail(order_id)


@bp.post("/<int:order_id>/fulfil")
@role_required(StaffRole.FULFILMENT)
def fulfil(order_id: int) -> tuple[str, int] | BaseResponse:
    """Mark an order shipped with its tracking number, and mail the customer."""
    order = _order_or_404(order_id)
    form = FulfilForm()
    if not form.validate_on_submit():
        return _detail(order_id, fulfil_form=form, status=400)
    tracking = str(form.tracking.data)
    before = order.status.value
    try:
        order = mark_fulfilled(
            order_id, tracking, form.carrier_name(), str(form.tracking_url.data or "")
        )
        by = f" with {order.carrier}" if order.carrier else ""
        audit.record(
            current_user.id,
            current_user.email,
            "order.fulfil",
            "order",
            order_id,
            f"{order.number}: shipped{by}, tracking {tracking}",
            before={"status": before},
            after={
                "status": order.status.value,
                "carrier": order.carrier,
                "tracking": tracking,
                "tracking_url": order.tracking_url,
            },
        )
        number = order.number
        db.session.commit()
    except OrderError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return _detail(order_id, fulfil_form=form, status=400)
    deliver_queued_now()
    flash(f"Order {number} is marked fulfilled; the customer has been emailed.", "success")
    return redirect(url_for("admin.orders.detail", order_id=order_id), code=303)


@bp.post("/<int:order_id>/refund")
@role_required(StaffRole.FULFILMENT)
def refund(order_id: int) -> tuple[str, int] | BaseResponse:
    """Ask Stripe to refund part or all of an order; the webhook records it when done."""
    order = _order_or_404(order_id)
    form = RefundForm()
    if not form.validate_on_submit():
        return _detail(order_id, refund_form=form, status=400)
    currency = order.currency
    try:
        amount = parse_major(str(form.amount.data), currency)
    except MoneyError:
        form.amount.errors = [*form.amount.errors, "Enter an amount such as 12.50."]
        return _detail(order_id, refund_form=form, status=400)
    reason = str(form.reason.data)
    number = order.number
    try:
        done = request_refund(order_id, amount, reason, restock=bool(form.restock.data))
    except RefundRefused as exc:
        db.session.rollback()
        if exc.field == "amount":
            form.amount.errors = [*form.amount.errors, exc.message]
        else:
            form.form_errors.append(exc.message)
        return _detail(order_id, refund_form=form, status=400)
    except PaymentUnavailable:
        # A timeout or a 5xx is not a no: Stripe may have made the refund. Nothing is recorded
        # here; its webhook records it if it was made, and the same request reuses the key.
        db.session.rollback()
        flash(
            f"Stripe could not confirm the refund of {format_money(amount, currency)} on "
            f"order {number}, so nothing is recorded here. If Stripe made it, the order "
            "updates when Stripe confirms it; asking again for the same amount is safe, "
            "as Stripe refunds it once.",
            "error",
        )
        return redirect(url_for("admin.orders.detail", order_id=order_id), code=303)
    except PaymentError as exc:
        db.session.rollback()
        flash(f"Stripe did not refund order {number}; nothing was refunded. {exc.message}", "error")
        return redirect(url_for("admin.orders.detail", order_id=order_id), code=303)
    shown = format_money(amount, currency)
    units = sum(done.restocked.values())
    audit.record(
        current_user.id,
        current_user.email,
        "order.refund",
        "order",
        order_id,
        f"{number}: refund of {shown} requested ({reason}), Stripe refund {done.refund_id}"
        + (f"; {units} unit(s) put back in stock" if units else ""),
        after={
            "amount": shown,
            "reason": reason,
            "refund_id": done.refund_id,
            "restocked": {str(variant): qty for variant, qty in done.restocked.items()},
        },
    )
    db.session.commit()
    if units:
        back = f" {units} unit(s) are back in stock."
    elif done.already_restocked:
        back = " The items had already been put back in stock; nothing was added."
    else:
        back = ""
    flash(
        f"A refund of {shown} on order {number} was sent to Stripe; "
        f"the order updates when Stripe confirms it.{back}",
        "success",
    )
    return redirect(url_for("admin.orders.detail", order_id=order_id), code=303)
