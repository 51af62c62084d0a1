"""An order's life: held stock, payment once, monotonic moves, review on a mismatch."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import Variant
from shop.inventory.models import StockRecord
from shop.mail.models import OutboxMessage
from shop.orders.models import Order, OrderStatus
from shop.orders.services import (
    LineSnapshot,
    PaymentFacts,
    close_unpaid,
    create_pending_order,
    fulfil_checkout,
    order_by_status_token,
    order_status_token,
    record_refund,
)
from tests.factories import make_product


def _order(
    db: SQLAlchemy, stock: int = 5, quantity: int = 2, price: int = 2800
) -> tuple[Order, Variant]:
    variant = make_product("Barrier Cream", variants=[("50 ml", price, stock)]).variants[0]
    order = create_pending_order(
        [LineSnapshot(variant.id, "Barrier Cream", "50 ml", variant.sku, price, quantity)],
        "USD",
        cart_id=None,
        email="buyer@example.com",
    )
    db.session.commit()
    return order, variant


def _paid(order: Order, amount: int | None = None, currency: str = "USD") -> PaymentFacts:
    return PaymentFacts(
        session_id="cs_test_1",
        paid=True,
        status="complete",
        payment_status="paid",
        amount_total=order.total if amount is None else amount,
        currency=currency,
        email="buyer@example.com",
        payment_intent_id="pi_1",
    )


def status_of(order: Order) -> OrderStatus:
    """The order's status now (a call, so the type checker does not pin it)."""
    return order.status


def _stock(db: SQLAlchemy, variant: Variant) -> tuple[int, int]:
    db.session.expire_all()
    record = db.session.get(StockRecord, variant.id)
    assert record is not None
    return record.on_hand, record.allocated


def test_a_pending_order_snapshots_lines_computes_totals_and_holds_stock(db: SQLAlchemy) -> None:
    order, variant = _order(db)
    assert order.number == f"DH-{100000 + order.id}"
    assert order.subtotal == 5600
    assert order.shipping == 695  # under the free-shipping threshold
    assert order.total == 6295
    assert [(line.sku, line.quantity, line.line_total) for line in order.lines] == [
        (variant.sku, 2, 5600)
    ]
    assert _stock(db, variant) == (5, 2)


def test_free_shipping_above_the_threshold(db: SQLAlchemy) -> None:
    order, _ = _order(db, stock=10, quantity=3, price=3000)
    assert (order.subtotal, order.shipping, order.total) == (9000, 0, 9000)


def test_payment_is_recorded_once_however_often_it_is_reported(db: SQLAlchemy) -> None:
    order, variant = _order(db)
    assert fulfil_checkout(order, _paid(order)) is True
    assert fulfil_checkout(order, _paid(order)) is False  # the success page after the webhook
    db.session.commit()
    assert status_of(order) is OrderStatus.PAID
    assert _stock(db, variant) == (3, 0)  # sold once
    mails = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [m.subject for m in mails] == [f"Your order {order.number} is confirmed"]
    assert "/orders/" in mails[0].body_text


def test_a_late_expiry_after_payment_changes_nothing(db: SQLAlchemy) -> None:
    order, variant = _order(db)
    fulfil_checkout(order, _paid(order))
    assert close_unpaid(order, OrderStatus.EXPIRED, "late event") is False
    db.session.commit()
    assert status_of(order) is OrderStatus.PAID
    assert _stock(db, variant) == (3, 0)


def test_payment_after_expiry_is_not_silently_accepted(db: SQLAlchemy) -> None:
    order, variant = _order(db)
    assert close_unpaid(order, OrderStatus.EXPIRED, "expired") is True
    assert _stock(db, variant) == (5, 0)  # released
    assert fulfil_checkout(order, _paid(order)) is False
    assert status_of(order) is OrderStatus.EXPIRED


@pytest.mark.parametrize(("amount", "currency"), [(100, "USD"), (None, "EUR")])
def test_amount_or_currency_mismatch_goes_to_review_and_ships_nothing(
    db: SQLAlchemy, amount: int | None, currency: str
) -> None:
    order, variant = _order(db)
    fulfil_checkout(order, _paid(order, amount=amount, currency=currency))
    db.session.commit()
    assert status_of(order) is OrderStatus.REVIEW
    assert order.review_reason
    assert _stock(db, variant) == (5, 2)  # still held, not sold
    assert db.session.scalars(sa.select(OutboxMessage)).all() == []


def test_a_delayed_payment_waits_in_processing_then_completes(db: SQLAlchemy) -> None:
    order, variant = _order(db)
    unpaid = PaymentFacts("cs_test_1", False, "complete", "unpaid", order.total, "USD")
    assert fulfil_checkout(order, unpaid) is True
    assert status_of(order) is OrderStatus.PROCESSING
    assert fulfil_checkout(order, _paid(order)) is True
    assert status_of(order) is OrderStatus.PAID
    assert _stock(db, variant) == (3, 0)


def test_refunds_accumulate_and_never_go_backwards(db: SQLAlchemy) -> None:
    order, _ = _order(db)
    fulfil_checkout(order, _paid(order))
    assert record_refund(order, 1000, "partial") is True
    assert status_of(order) is OrderStatus.PARTIALLY_REFUNDED
    assert record_refund(order, 1000, "same event again") is False
    assert record_refund(order, order.total, "the rest") is True
    assert status_of(order) is OrderStatus.REFUNDED
    assert order.refunded_amount == order.total


def test_status_links_are_signed(db: SQLAlchemy) -> None:
    order, _ = _order(db)
    token = order_status_token(order)
    assert order_by_status_token(token) == order
    assert order_by_status_token(token[:-2] + "xx") is None
    assert order_by_status_token(order.public_id) is None
