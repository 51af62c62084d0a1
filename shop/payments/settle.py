"""Settling with Stripe: the one place an order is locked and fulfilled, closed or refunded.

Whoever learns what became of a checkout (the webhook, the success page, the expiry
sweep, the customer walking back from Stripe's page, a new checkout replacing an old one)
hands the Checkout Session to `settle_session`, which locks the order row (FOR UPDATE; on
SQLite the write lock serialises) and lets the order services move it along the
transition table. A staff refund is asked of Stripe through `request_refund`; the order's
refunded figures change only when Stripe confirms it (`charge.refunded`), so a refund is
never counted twice.

Nothing here commits: the view, CLI command or webhook handler that started the work does,
except `release_expired_orders`, which settles each order as its own unit so one Stripe
failure leaves the others settled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from shop.core.models import utcnow
from shop.core.templating import money
from shop.extensions import db
from shop.inventory.models import StockAdjustment
from shop.inventory.services import adjust_on_hand
from shop.links.attribution import credit_code_answer
from shop.orders.models import Order, OrderEvent, OrderStatus
from shop.orders.services import (
    PaymentFacts,
    close_unpaid,
    expired_pending_orders,
    fulfil_checkout,
    order_for_session,
    refundable_amount,
)
from shop.orders.statuses import REFUNDABLE
from shop.payments.exceptions import PaymentError, RefundRefused
from shop.payments.gateway import CheckoutSession, Refund, gateway
from shop.promotions.models import Promotion

logger = logging.getLogger("shop.payments")

# Stripe expires sessions at their time; allow for clocks that differ a little.
EXPIRY_GRACE = timedelta(minutes=2)
# The adjustment reason for units a refund puts back on the shelf.
RETURNED = "returned"


def facts_from(session: CheckoutSession) -> PaymentFacts:
    """Translate a Checkout Session into the order domain's words."""
    return PaymentFacts(
        session_id=session.id,
        paid=session.paid,
        status=session.status,
        payment_status=session.payment_status,
        amount_total=session.amount_total,
        currency=session.currency,
        email=session.customer_email,
        customer_name=session.customer_name,
        shipping_name=session.shipping_name,
        shipping_address=session.shipping_address,
        shipping_amount=session.shipping_amount,
        payment_intent_id=session.payment_intent_id,
        amount_discount=session.amount_discount,
        amount_tax=session.amount_tax,
        automatic_tax=session.automatic_tax,
        promotion_code_id=session.promotion_code_id,
    )


@dataclass(frozen=True)
class Closing:
    """How to close an order whose session ended unpaid: the status and the timeline's words."""

    status: OrderStatus
    reason: str


@dataclass(frozen=True)
class Settled:
    """What settling did: the (locked) order, if there is one, and whether it changed."""

    order: Order | None
    changed: bool = False


def lock_order(order_id: int) -> Order | None:
    """Re-read an order FOR UPDATE, for the rest of this unit of work."""
    return db.session.get(Order, order_id, with_for_update=True, populate_existing=True)


def session_order(session: CheckoutSession) -> Order | None:
    """The order a session belongs to (by session id, else by the shop's reference), locked."""
    found = order_for_session(
        session.id, session.metadata.get("order_id") or session.client_reference_id
    )
    return lock_order(found.id) if found is not None else None


def settle_session(
    session: CheckoutSession, order_id: int | None = None, closing: Closing | None = None
) -> Settled:
    """Record what Stripe says of a session on its order, under the order's row lock.

    Complete: fulfilled (paid and matching), in review (not matching) or processing (a
    delayed method). Expired: closed as `closing` says, giving its stock back; without
    `closing`, left alone. Still open: nothing. The order is `order_id`, else the one the
    session names. Flushes; the caller commits.
    """
    order = lock_order(order_id) if order_id is not None else session_order(session)
    if order is None:
        return Settled(None)
    if session.status == "complete":
        changed = fulfil_checkout(order, facts_from(session))
        if changed and order.status is OrderStatus.PAID:
            _credit_reader_code(order)
        return Settled(order, changed)
    if session.status == "expired" and closing is not None:
        return Settled(order, close_unpaid(order, closing.status, closing.reason))
    return Settled(order)


def _credit_reader_code(order: Order) -> None:
    """A reader code's sale belongs to its answer, even when the code was typed on Stripe's
    page and the visit never read the answer (a code from the cart was credited already)."""
    if order.promotion_id is None:
        return
    promotion = db.session.get(Promotion, order.promotion_id)
    if promotion is not None and promotion.answer_id is not None:
        credit_code_answer(order.id, promotion.answer_id)


def close_order(order: int | CheckoutSession, closing: Closing) -> Settled:
    """Close an unpaid order (by id, or the session's), whatever its session says; idempotent.

    For a delayed method's payment the bank refused, or a checkout never opened at Stripe.
    """
    locked = lock_order(order) if isinstance(order, int) else session_order(order)
    if locked is None:
        return Settled(None)
    return Settled(locked, close_unpaid(locked, closing.status, closing.reason))


def release_expired_orders(limit: int = 50) -> int:
    """Settle orders whose checkout time is over, after asking Stripe; return how many.

    Paid after all (a lost webhook): fulfilled. Still open: expired at Stripe first, so it
    can no longer be paid. Expired or never created: closed and their stock released.
    Each order is its own unit of work (committed here); errors talking to Stripe leave an
    order for the next run.
    """
    expired = Closing(OrderStatus.EXPIRED, "The checkout expired unpaid.")
    settled = 0
    for order in expired_pending_orders(now=utcnow() - EXPIRY_GRACE, limit=limit):
        order_id, session_id, number = order.id, order.stripe_session_id, order.number
        try:
            if session_id:
                session = gateway().retrieve_checkout_session(session_id)
                if session.status == "open":
                    session = gateway().expire_checkout_session(session.id)
                settle_session(session, order_id, expired)
            else:
                close_order(
                    order_id, Closing(OrderStatus.EXPIRED, "The checkout was never opened.")
                )
            db.session.commit()
            settled += 1
        except PaymentError:
            db.session.rollback()
            logger.warning("order %s: Stripe unreachable; will try again", number)
    return settled


@dataclass(frozen=True)
class RefundRequested:
    """A refund Stripe accepted: its id, the amount, and what went back on the shelf."""

    order_number: str
    refund_id: str
    amount: int
    currency: str
    # Units put back in stock per variant; empty when not asked or already done before.
    restocked: dict[int, int]
    already_restocked: bool = False


def check_refund(order_id: int, amount: int) -> Order:
    """The order to refund `amount` of; raise `RefundRefused` naming what is wrong."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise RefundRefused("There is no order with that number.")
    refundable = refundable_amount(order)
    if order.status not in REFUNDABLE or not order.stripe_payment_intent_id or refundable <= 0:
        raise RefundRefused(
            f"Order {order.number} is {order.status.value.replace('_', ' ')}; "
            "there is nothing to refund."
        )
    if not 1 <= amount <= refundable:
        raise RefundRefused(
            f"The amount must be between {money(1, order.currency)} and "
            f"{money(refundable, order.currency)}, what is left to refund.",
            field="amount",
        )
    return order


def request_refund(order_id: int, amount: int, reason: str, restock: bool) -> RefundRequested:
    """Ask Stripe to refund `amount` of an order; when asked, put its units back in stock.

    The order's refunded figures and the customer's mail wait for Stripe's confirmation
    (`charge.refunded`). The units go back once per order, as adjustments with reason
    `returned`: asking again (the same idempotency key, so the same refund at Stripe) or
    refunding the rest later never counts them twice. Raises `RefundRefused` before asking
    Stripe, and `PaymentUnavailable` / `PaymentError` when Stripe did not say yes. Talks to
    Stripe outside any transaction; flushes, the caller commits.
    """
    order = check_refund(order_id, amount)
    number, currency = order.number or "", order.currency
    intent = order.stripe_payment_intent_id
    assert intent is not None
    key = f"refund-{order.id}-{order.refunded_amount}-{amount}"
    # End the read before talking to Stripe: its webhook may come back while we wait.
    db.session.rollback()
    found: Refund = gateway().create_refund(intent, amount, reason, idempotency_key=key)
    locked = lock_order(order_id)
    assert locked is not None
    restocked: dict[int, int] = {}
    already = False
    # Stripe said yes; a refund it failed at once puts nothing back.
    if restock and found.status not in ("failed", "canceled"):
        already = _restocked_before(locked)
        if not already:
            restocked = _put_back(locked, found.id)
    shown = money(amount, currency)
    back = f" {sum(restocked.values())} unit(s) put back in stock." if restocked else ""
    db.session.add(
        OrderEvent(
            order_id=order_id,
            kind="refund_requested",
            message=(
                f"Refund of {shown} requested ({reason.replace('_', ' ')}); "
                f"waiting for Stripe.{back}"
            )[:500],
        )
    )
    db.session.flush()
    return RefundRequested(number, found.id, amount, currency, restocked, already)


def _restock_note(order: Order) -> str:
    return f"order {order.number} refunded"


def _restocked_before(order: Order) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(StockAdjustment)
            .where(StockAdjustment.reason == RETURNED, StockAdjustment.note == _restock_note(order))
        )
        or 0
    ) > 0


def _put_back(order: Order, refund_id: str) -> dict[int, int]:
    """Put every unit of the order back on hand, in variant-id order (the shop's lock order)."""
    quantities = dict(sorted(order.quantities().items()))
    for variant_id, quantity in quantities.items():
        adjust_on_hand(variant_id, quantity, RETURNED, _restock_note(order))
    if quantities:
        db.session.add(
            OrderEvent(
                order_id=order.id,
                kind="restocked",
                message=(
                    f"{sum(quantities.values())} unit(s) put back in stock with refund {refund_id}."
                )[:500],
            )
        )
    return quantities
