"""Order writes: create a pending order, and move it through its life.

Every status change goes through `_move`, which checks the transition table and uses a
conditional UPDATE on the current status. Two writers racing (the webhook and the
success page, or a duplicate delivery) can therefore never both act: exactly one wins
the UPDATE, the other sees it lost and does nothing. Stock moves happen in the same
unit of work as the status change that causes them.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from shop.core.models import utcnow
from shop.core.templating import absolute_url, money
from shop.extensions import db
from shop.inventory.services import allocate_stock, consume_stock, release_stock
from shop.mail.services import queue_mail
from shop.orders.exceptions import OrderError
from shop.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from shop.orders.signals import order_paid
from shop.orders.statuses import HOLDING_STOCK, sources_of
from shop.orders.tracking import CARRIER_MAX, checked_tracking_url, known_carrier
from shop.promotions.models import Promotion
from shop.promotions.rules import expected_discount

logger = logging.getLogger("shop.orders")


@dataclass(frozen=True)
class LineSnapshot:
    """One cart line as it is bought: copied onto the order."""

    variant_id: int
    product_name: str
    size_label: str
    sku: str
    unit_price: int
    quantity: int


@dataclass(frozen=True)
class PaymentFacts:
    """What the payment provider says about a checkout, in the shop's own words."""

    session_id: str
    paid: bool
    status: str
    payment_status: str
    amount_total: int | None
    currency: str | None
    email: str | None = None
    customer_name: str | None = None
    shipping_name: str | None = None
    shipping_address: dict[str, Any] | None = None
    shipping_amount: int | None = None
    payment_intent_id: str | None = None
    # Stripe's `total_details`, whether it computed the tax, and the promotion code it applied.
    amount_discount: int = 0
    amount_tax: int = 0
    automatic_tax: bool = False
    promotion_code_id: str | None = None


def cart_fingerprint(lines: Sequence[LineSnapshot], promotion_code: str | None = None) -> str:
    """A digest of what is being bought and the code used, so the same cart reuses its
    pending order (and a code applied after a checkout started starts a new one)."""
    text = ";".join(
        f"{line.variant_id}:{line.quantity}:{line.unit_price}"
        for line in sorted(lines, key=lambda snapshot: snapshot.variant_id)
    )
    if promotion_code:
        text += f";code:{promotion_code}"
    return hashlib.sha256(text.encode()).hexdigest()


def shipping_for(subtotal: int) -> tuple[str, int]:
    """The shipping option for a subtotal: a flat rate, free above a threshold."""
    threshold = int(current_app.config["SHOP_FREE_SHIPPING_OVER"])
    if threshold and subtotal >= threshold:
        return "Free standard shipping", 0
    return "Standard shipping", int(current_app.config["SHOP_SHIPPING_FLAT_RATE"])


def _event(order: Order, kind: str, message: str) -> None:
    db.session.add(OrderEvent(order_id=order.id, kind=kind, message=message[:500]))


def create_pending_order(
    lines: Sequence[LineSnapshot],
    currency: str,
    cart_id: int | None,
    email: str | None = None,
    *,
    discount: int = 0,
    promotion: Promotion | None = None,
) -> Order:
    """Create a pending order from line snapshots and hold its stock (all or nothing).

    With a `promotion` (checked by the caller, its row locked), the order records its code
    and `discount` off the goods, and so holds one of its redemptions while it is open.
    Shipping is the shop's own, on the goods before the discount. Raises `OutOfStock` when
    a line cannot be held; the caller rolls back.
    """
    if not lines:
        raise OrderError("There is nothing to buy.")
    subtotal = sum(line.unit_price * line.quantity for line in lines)
    if not 0 <= discount <= subtotal or (discount and promotion is None):
        raise OrderError("A discount must come from a promotion and be at most the goods.")
    _, shipping = shipping_for(subtotal)
    order = Order(
        public_id=secrets.token_urlsafe(16),
        status=OrderStatus.PENDING,
        email=email,
        cart_id=cart_id,
        cart_fingerprint=cart_fingerprint(lines, promotion.code if promotion else None),
        currency=currency,
        subtotal=subtotal,
        discount=discount,
        shipping=shipping,
        total=subtotal - discount + shipping,
        promotion_code=promotion.code if promotion else None,
        promotion_id=promotion.id if promotion else None,
    )
    order.lines = [
        OrderLine(
            variant_id=line.variant_id,
            product_name=line.product_name,
            size_label=line.size_label,
            sku=line.sku,
            unit_price=line.unit_price,
            quantity=line.quantity,
            line_total=line.unit_price * line.quantity,
        )
        for line in lines
    ]
    db.session.add(order)
    db.session.flush()
    order.number = f"DH-{100000 + order.id}"
    allocate_stock(order.quantities())
    used = f" Code {promotion.code}: {money(discount, currency)} off." if promotion else ""
    _event(order, "created", f"Checkout started for {len(lines)} item line(s); stock held.{used}")
    db.session.flush()
    return order


def _move(
    order: Order,
    to: OrderStatus,
    *,
    allowed_from: frozenset[OrderStatus] | None = None,
    **values: Any,
) -> bool:
    """Move `order` to `to` if the transition table allows it from its current status.

    The UPDATE is conditional on the status the database holds now, so of two racing
    writers only one moves the order. Returns whether this call moved it.
    """
    sources = sources_of(to)
    if allowed_from is not None:
        sources &= allowed_from
    moved = db.session.execute(
        sa.update(Order)
        .where(Order.id == order.id, Order.status.in_(sorted(sources)))
        .values(status=to, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    won: bool = moved.rowcount == 1  # type: ignore[attr-defined]
    db.session.refresh(order)
    return won


def order_for_session(session_id: str, order_ref: str | None = None) -> Order | None:
    """Find the order a Checkout Session belongs to (by session id, else by our reference)."""
    order = db.session.scalar(sa.select(Order).where(Order.stripe_session_id == session_id))
    if order is None and order_ref and order_ref.isdigit():
        order = db.session.get(Order, int(order_ref))
    return order


def payment_mismatch(order: Order, facts: PaymentFacts, discount: int) -> str | None:
    """Why a paid session does not match the order, or None when it does.

    Due: the order's subtotal and shipping, less `discount` (what the shop's rules give for
    the code used), plus the tax Stripe computed when it computed tax (none otherwise). Each
    part that differs is named in minor units: "discount 500 expected, 900 charged".
    """
    charged_currency = (facts.currency or "").upper()
    if charged_currency != order.currency:
        return f"currency {order.currency} expected, {charged_currency or 'none'} charged"
    tax = facts.amount_tax if facts.automatic_tax else 0
    shipping = order.shipping if facts.shipping_amount is None else facts.shipping_amount
    parts = [
        ("discount", discount, facts.amount_discount),
        ("shipping", order.shipping, shipping),
        ("tax", tax, facts.amount_tax),
    ]
    differ = [
        f"{name} {expected} expected, {charged} charged"
        for name, expected, charged in parts
        if charged != expected
    ]
    total = order.subtotal - discount + order.shipping + tax
    # The total is named when no part explains it (the parts Stripe charged do not add up).
    if facts.amount_total != order.subtotal - facts.amount_discount + shipping + facts.amount_tax:
        charged_total = "none" if facts.amount_total is None else facts.amount_total
        differ.append(f"total {total} expected, {charged_total} charged")
    return "; ".join(differ) or None


def fulfil_checkout(order: Order, facts: PaymentFacts) -> bool:
    """Record a completed checkout; idempotent and safe when two callers race.

    Paid and matching: the order becomes paid, its held stock is sold, the customer is
    mailed, and Stripe's discount, tax and total are recorded on it. Paid but not matching
    (`payment_mismatch`): the order goes to review, with the reason, and nothing ships.
    Complete but unpaid (a delayed method): processing.
    Returns whether this call changed the order.
    """
    details: dict[str, Any] = {
        "email": facts.email or order.email,
        "shipping_name": facts.shipping_name,
        "shipping_address": facts.shipping_address,
    }
    if not facts.paid:
        if facts.status == "complete" and _move(order, OrderStatus.PROCESSING, **details):
            _event(order, "processing", "Payment submitted; waiting for the bank to confirm.")
            return True
        return False
    due = expected_discount(
        order.promotion_id,
        order.discount,
        order.subtotal,
        facts.promotion_code_id,
        facts.email or order.email,
    )
    reason = payment_mismatch(order, facts, due.amount)
    if reason is not None:
        if _move(order, OrderStatus.REVIEW, review_reason=reason, **details):
            _event(order, "review", f"Held for review: {reason}")
            logger.warning("order %s held for review: %s", order.number, reason)
            return True
        return False
    if due.promotion is not None and due.amount:
        # A code typed on Stripe's page is the order's code from now on.
        details |= {"promotion_code": due.promotion.code, "promotion_id": due.promotion.id}
    now = utcnow()
    if not _move(
        order,
        OrderStatus.PAID,
        # A business rule, narrower than the table: a payment report pays only an order
        # still holding its stock (it is sold below); one held for review waits for staff.
        allowed_from=HOLDING_STOCK,
        paid_at=now,
        amount_paid=facts.amount_total,
        discount=due.amount,
        tax=facts.amount_tax if facts.automatic_tax else 0,
        total=facts.amount_total,
        stripe_payment_intent_id=facts.payment_intent_id,
        **details,
    ):
        return False
    consume_stock(order.quantities(), note=f"order {order.number}")
    # The cart listens, and empties itself in this same unit of work.
    order_paid.send(order)
    _event(order, "paid", f"Paid {money(facts.amount_total, order.currency)}.")
    if order.email:
        queue_mail(
            order.email,
            f"Your order {order.number} is confirmed",
            "order_paid",
            kind="order_paid",
            order=order,
            status_url=order_status_url(order),
        )
    return True


def close_unpaid(order: Order, to: OrderStatus, reason: str) -> bool:
    """Cancel or expire an order that never got paid, giving its stock back; idempotent."""
    if to not in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
        raise OrderError(f"{to} is not a way to close an unpaid order.")
    # Narrower than the table (which also cancels an order in review): only an order
    # holding stock is closed here, since closing gives its stock back.
    if not _move(order, to, allowed_from=HOLDING_STOCK, closed_at=utcnow()):
        return False
    release_stock(order.quantities())
    _event(order, to.value, reason)
    return True


def record_refund(order: Order, refunded_total: int, reference: str) -> bool:
    """Record how much of an order has been refunded in all (from Stripe's figures).

    `reference` says where the figure came from ("charge ch_123"), for the timeline. The
    customer is mailed what came back this time and what stays paid. Returns whether this
    call changed the order (a repeated or older figure changes nothing and mails nobody).
    """
    paid = order.paid_amount
    before = order.refunded_amount
    if refunded_total <= before:
        return False
    refunded_total = min(refunded_total, paid)
    target = OrderStatus.REFUNDED if refunded_total >= paid else OrderStatus.PARTIALLY_REFUNDED
    if not _move(order, target, refunded_amount=refunded_total):
        return False
    shown = money(refunded_total, order.currency)
    _event(order, "refund", f"Refunded {shown} in all" + (f" ({reference})." if reference else "."))
    if order.email:
        full = order.status is OrderStatus.REFUNDED
        queue_mail(
            order.email,
            f"Your order {order.number} has been {'refunded' if full else 'partly refunded'}",
            "order_refunded",
            kind="order_refunded",
            order=order,
            refunded_now=order.refunded_amount - before,
            fully_refunded=full,
            status_url=order_status_url(order),
        )
    return True


def expired_pending_orders(now: datetime | None = None, limit: int = 50) -> list[Order]:
    """Pending orders whose checkout time is over (their session should have expired)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(Order)
            .where(
                Order.status == OrderStatus.PENDING,
                Order.checkout_expires_at.is_not(None),
                Order.checkout_expires_at < now,
            )
            .order_by(Order.id)
            .limit(limit)
        )
    )


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="order-status")


def order_status_token(order: Order) -> str:
    """The signed token in an order's status link."""
    return str(_signer().dumps(order.public_id))


def order_status_url(order: Order) -> str:
    """The absolute link to an order's status page, for mail."""
    return absolute_url("orders.status", token=order_status_token(order))


def order_by_status_token(token: str) -> Order | None:
    """Find the order behind a status link, or None if the link was forged."""
    try:
        public_id = _signer().loads(token)
    except BadSignature:
        return None
    return db.session.scalar(sa.select(Order).where(Order.public_id == str(public_id)))


TRACKING_MAX = 100


def mark_fulfilled(
    order_id: int, tracking: str, carrier: str = "", tracking_url: str | None = None
) -> Order:
    """Mark a paid (or partly refunded) order as shipped, note its parcel, mail the customer.

    `carrier` is a known carrier's code or name ("ups", "Royal Mail") or another carrier's
    name; `tracking_url` is only for a carrier the shop does not know, and must be https.
    Only flushes; the caller commits. Raises `OrderError` when the order cannot ship.
    """
    order = db.session.get(Order, order_id)
    if order is None:
        raise OrderError("There is no order with that number.")
    tracking = " ".join(tracking.split())
    if not tracking or len(tracking) > TRACKING_MAX:
        raise OrderError(f"Enter a tracking number of 1 to {TRACKING_MAX} characters.")
    carrier = " ".join(carrier.split())
    if len(carrier) > CARRIER_MAX:
        raise OrderError(f"Keep the carrier's name to {CARRIER_MAX} characters or fewer.")
    if order.shipped_at is not None:
        raise OrderError(f"Order {order.number} has already shipped.")
    known = known_carrier(carrier)
    # A known carrier's link is built from its pattern, never taken from staff.
    link = None if known is not None else checked_tracking_url(tracking_url)
    if not _move(
        order,
        OrderStatus.FULFILLED,
        carrier=known.name if known is not None else (carrier or None),
        tracking_number=tracking,
        tracking_url=link,
        shipped_at=utcnow(),
    ):
        raise OrderError(
            f"Order {order.number} is {order.status.value.replace('_', ' ')}; "
            "only a paid order can be marked fulfilled."
        )
    by = f" with {order.carrier}" if order.carrier else ""
    _event(order, "fulfilled", f"Shipped{by}, tracking {tracking}.")
    if order.email:
        queue_mail(
            order.email,
            f"Your order {order.number} has shipped",
            "order_shipped",
            kind="order_shipped",
            order=order,
            tracking=tracking,
            status_url=order_status_url(order),
        )
    db.session.flush()
    return order


def refundable_amount(order: Order) -> int:
    """How much of an order may still be refunded, in minor units."""
    return order.remaining_amount
