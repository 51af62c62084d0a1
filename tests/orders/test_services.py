"""An order's life: held stock, payment once, monotonic moves, review on a mismatch."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import Variant
from shop.inventory.models import StockRecord
from shop.mail.models import OutboxMessage
from shop.orders.exceptions import OrderError
from shop.orders.models import Order, OrderStatus
from shop.orders.services import (
    LineSnapshot,
    PaymentFacts,
    close_unpaid,
    create_pending_order,
    fulfil_checkout,
    mark_fulfilled,
    order_by_status_token,
    order_status_token,
    payment_mismatch,
    record_refund,
)
from tests.factories import make_product
from tests.html import visible_text
from tests.orders.making import ADDRESS_LINES, paid_order


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


# What the customer is told: refunds mailed, shipments with their parcel, money as money.


def _mails(db: SQLAlchemy, kind: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def _events(order: Order) -> list[str]:
    return [event.message for event in order.events]


def test_a_refund_timeline_entry_says_money_not_minor_units(db: SQLAlchemy) -> None:
    order = paid_order(db)
    assert record_refund(order, 1000, "charge ch_1") is True
    db.session.commit()
    db.session.refresh(order)
    assert _events(order)[-1] == "Refunded $10.00 in all (charge ch_1)."
    assert not any(re.search(r"\b1000\b", message) for message in _events(order))


def test_a_partial_refund_mails_the_customer_the_amount_as_money(db: SQLAlchemy) -> None:
    order = paid_order(db)
    record_refund(order, 1000, "charge ch_1")
    db.session.commit()

    [mail] = _mails(db, "order_refunded")
    assert mail.to_address == "ann@example.com"
    assert mail.subject == f"Your order {order.number} has been partly refunded"
    for body in (mail.body_text, visible_text(mail.body_html or "")):
        assert "We have refunded $10.00 to the card you paid with." in " ".join(body.split())
        assert "$10.00 of the $74.95 you paid is refunded; $64.95 stays paid." in " ".join(
            body.split()
        )
        assert not re.search(r"\b1000\b", body)
    assert "/orders/" in mail.body_text


def test_the_rest_refunded_mails_again_and_says_refunded_in_full(db: SQLAlchemy) -> None:
    order = paid_order(db)
    record_refund(order, 1000, "charge ch_1")
    assert record_refund(order, 1000, "the same figure again") is False  # mails nobody
    record_refund(order, 7495, "charge ch_1")
    db.session.commit()

    _, second = _mails(db, "order_refunded")
    assert second.subject == f"Your order {order.number} has been refunded"
    text = " ".join(second.body_text.split())
    assert "We have refunded $64.95 to the card you paid with; all $74.95 you paid" in text


def test_a_review_reason_names_the_total_expected_and_charged_in_minor_units(
    db: SQLAlchemy,
) -> None:
    order, _ = _order(db)
    fulfil_checkout(order, _paid(order, amount=100, currency="usd"))
    db.session.commit()
    assert order.review_reason == "total 6295 expected, 100 charged"


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        ({"currency": "EUR"}, "currency USD expected, EUR charged"),
        ({"currency": None}, "currency USD expected, none charged"),
        ({"amount_total": None}, "total 6295 expected, none charged"),
        ({"shipping_amount": 0, "amount_total": 5600}, "shipping 695 expected, 0 charged"),
        (
            {"amount_discount": 900, "amount_total": 5395},
            "discount 0 expected, 900 charged",
        ),
        (
            {"amount_tax": 123, "amount_total": 6418},
            "tax 0 expected, 123 charged",
        ),
        (
            {"amount_discount": 900, "amount_total": 6295},
            "discount 0 expected, 900 charged; total 6295 expected, 6295 charged",
        ),
    ],
)
def test_a_mismatch_names_each_part_that_differs_in_minor_units(
    db: SQLAlchemy, facts: dict[str, Any], reason: str
) -> None:
    order, _ = _order(db)
    assert payment_mismatch(order, replace(_paid(order), **facts), discount=0) == reason


def test_tax_stripe_computed_is_due_and_recorded_with_the_total(db: SQLAlchemy) -> None:
    order, variant = _order(db)
    taxed = replace(_paid(order), amount_tax=456, automatic_tax=True, amount_total=6295 + 456)
    assert payment_mismatch(order, taxed, discount=0) is None
    assert fulfil_checkout(order, taxed) is True
    db.session.commit()
    assert status_of(order) is OrderStatus.PAID
    assert (order.tax, order.discount, order.total, order.amount_paid) == (456, 0, 6751, 6751)
    assert _stock(db, variant) == (3, 0)


def test_the_shipped_mail_has_one_line_per_item_and_each_address_line_on_its_own(
    db: SQLAlchemy,
) -> None:
    order = paid_order(db)
    mark_fulfilled(order.id, "1Z999AA10123456784", "ups")
    db.session.commit()

    [mail] = _mails(db, "order_shipped")
    lines = mail.body_text.splitlines()
    assert "  2 x Barrier Cream (50 ml)  $56.00" in lines
    assert "  1 x Night Serum (30 ml)  $12.00" in lines
    assert "Carrier: UPS" in lines
    assert "Tracking number: 1Z999AA10123456784" in lines
    assert "Follow the parcel: https://www.ups.com/track?tracknum=1Z999AA10123456784" in lines
    at = lines.index("  " + ADDRESS_LINES[0])
    assert lines[at : at + 5] == ["  " + line for line in ADDRESS_LINES]

    html = mail.body_html or ""
    assert len(re.findall(r"<tr>\s*<td>\d+ \u00d7</td>", html)) == 2  # one row per item
    assert "<br>".join(ADDRESS_LINES) in re.sub(r"\s*<br>\s*", "<br>", html)
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in html


def test_the_paid_mail_shows_the_state_in_the_address(db: SQLAlchemy) -> None:
    paid_order(db)
    [mail] = _mails(db, "order_paid")
    assert "  Springfield, IL 62704" in mail.body_text.splitlines()
    assert "  2 x Barrier Cream (50 ml)  $56.00" in mail.body_text.splitlines()
    assert "Springfield, IL 62704" in visible_text(mail.body_html or "")


@pytest.mark.parametrize(
    ("carrier", "staff_link", "carrier_shown", "link"),
    [
        ("usps", None, "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400%2F1"),
        ("Royal Mail", None, "Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/9400%2F1"),
        # A known carrier's link is always built by the shop, whatever staff typed.
        ("fedex", "https://example.com/x", "FedEx", "https://www.fedex.com/fedextrack/?trknbr=9400%2F1"),
        ("Purolator", "https://www.purolator.com/t?pin=94001", "Purolator", "https://www.purolator.com/t?pin=94001"),
        ("Purolator", None, "Purolator", None),
        ("", None, None, None),
    ],
)  # fmt: skip
def test_shipping_records_the_carrier_and_links_only_where_it_is_safe(
    db: SQLAlchemy,
    carrier: str,
    staff_link: str | None,
    carrier_shown: str | None,
    link: str | None,
) -> None:
    order = paid_order(db)
    mark_fulfilled(order.id, "9400/1", carrier, staff_link)
    db.session.commit()
    assert (order.carrier, order.tracking_number, order.tracking_link) == (
        carrier_shown,
        "9400/1",
        link,
    )
    assert order.shipped_at is not None


@pytest.mark.parametrize(
    "staff_link",
    [
        "http://track.example.com/1",
        "javascript:alert(1)",
        "https://user:pw@track.example.com/1",
        "https:///no-host",
        "https://track.example.com/a b",
        "//track.example.com/1",
    ],
)
def test_a_tracking_link_that_is_not_plain_https_is_refused(
    db: SQLAlchemy, staff_link: str
) -> None:
    order = paid_order(db)
    with pytest.raises(OrderError, match="https"):
        mark_fulfilled(order.id, "9400", "Purolator", staff_link)
    db.session.rollback()
    assert status_of(order) is OrderStatus.PAID


def test_a_partly_refunded_order_that_has_shipped_cannot_ship_again(db: SQLAlchemy) -> None:
    order = paid_order(db)
    mark_fulfilled(order.id, "1Z999AA10123456784", "ups")
    record_refund(order, 1000, "charge ch_1")
    db.session.commit()
    assert status_of(order) is OrderStatus.PARTIALLY_REFUNDED
    with pytest.raises(OrderError, match="has already shipped"):
        mark_fulfilled(order.id, "1Z999AA10123456785", "ups")
    db.session.rollback()
    assert (order.status, order.tracking_number) == (
        OrderStatus.PARTIALLY_REFUNDED,
        "1Z999AA10123456784",
    )
    assert len(_mails(db, "order_shipped")) == 1
