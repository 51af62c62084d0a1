"""The customer's order page (/orders/<token>) tells the order's state as it is now, and the
success page and the order page give the whole address, state or province included."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.orders.models import Order, OrderStatus
from shop.orders.services import (
    LineSnapshot,
    PaymentFacts,
    close_unpaid,
    create_pending_order,
    fulfil_checkout,
    mark_fulfilled,
    order_status_token,
    record_refund,
)
from tests.factories import make_product
from tests.fixtures_live import Shopper
from tests.fixtures_stripe import StripeSandbox
from tests.html import visible_text
from tests.orders.making import ADDRESS, ADDRESS_LINES, paid_order


def _page(client: FlaskClient, order: Order) -> str:
    response = client.get(f"/orders/{order_status_token(order)}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_order_page_after_shipping_says_shipped_with_carrier_number_and_tracking_link(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    order = paid_order(db)
    mark_fulfilled(order.id, "1Z999AA10123456784", "ups")
    db.session.commit()

    html = _page(client, order)
    text = visible_text(html)
    assert f"Order {order.number} has shipped" in text
    assert "is confirmed" not in text
    assert "Carrier UPS" in text
    assert "Tracking number 1Z999AA10123456784" in text
    assert (
        '<a href="https://www.ups.com/track?tracknum=1Z999AA10123456784" '
        'rel="noopener noreferrer">Track it on UPS</a>'
    ) in html


def test_the_order_page_shows_a_number_alone_for_a_carrier_without_a_link(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    order = paid_order(db)
    mark_fulfilled(order.id, "PUR-5521", "Purolator")
    db.session.commit()

    html = _page(client, order)
    assert "Carrier Purolator Tracking number PUR-5521" in visible_text(html)
    assert "Track it" not in html


def test_the_order_page_after_a_partial_refund_shows_the_refunded_amount_and_what_remains(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    order = paid_order(db)
    mark_fulfilled(order.id, "1Z999AA10123456784", "ups")
    record_refund(order, 1000, "charge ch_1")
    db.session.commit()

    text = visible_text(_page(client, order))
    assert f"Order {order.number} was partly refunded" in text
    assert "We refunded $10.00 of the $74.95 you paid; $64.95 stays paid." in text
    assert "Refunded \u2212$10.00 Paid after refunds $64.95" in text
    assert "Tracking number 1Z999AA10123456784" in text  # it had shipped
    assert "is confirmed" not in text


def test_the_order_page_after_a_full_refund_says_refunded(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    order = paid_order(db)
    record_refund(order, 7495, "charge ch_1")
    db.session.commit()

    text = visible_text(_page(client, order))
    assert f"Order {order.number} was refunded" in text
    assert "We refunded all $74.95 you paid" in text
    assert "Paid after refunds $0.00" in text
    assert "is confirmed" not in text
    assert "when it ships" not in text


def test_the_order_page_shows_each_address_line_with_the_state_or_province(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    html = _page(client, paid_order(db))
    assert "Shipping to " + " ".join(ADDRESS_LINES) in visible_text(html)
    assert "<br>".join(ADDRESS_LINES) in "<br>".join(part.strip() for part in html.split("<br>"))


@pytest.mark.parametrize(
    ("status", "heading", "words"),
    [
        (
            OrderStatus.REVIEW,
            "is on hold while we check your payment",
            "nothing ships until one of us has looked at it",
        ),
        (OrderStatus.CANCELLED, "was cancelled", "nothing was charged"),
        (OrderStatus.EXPIRED, "was not completed", "The checkout expired before payment."),
    ],
)
def test_the_order_page_says_plainly_when_an_order_is_held_cancelled_or_expired(
    client: FlaskClient, db: SQLAlchemy, status: OrderStatus, heading: str, words: str
) -> None:
    variant = make_product("Barrier Cream", variants=[("50 ml", 2800, 5)]).variants[0]
    order = create_pending_order(
        [LineSnapshot(variant.id, "Barrier Cream", "50 ml", variant.sku, 2800, 1)], "USD", None
    )
    if status is OrderStatus.REVIEW:
        facts = PaymentFacts("cs_1", True, "complete", "paid", 1, "usd", email="a@example.com")
        assert fulfil_checkout(order, facts)
    else:
        assert close_unpaid(order, status, "test")
    db.session.commit()

    text = visible_text(_page(client, order))
    assert f"Order {order.number} {heading}" in text
    assert words in text
    assert "is confirmed" not in text


def test_the_success_page_shows_the_state_or_province_in_the_address(
    db: SQLAlchemy, shopper: Shopper, stripe_sandbox: StripeSandbox
) -> None:
    product = make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 2800, 5)])
    slug, sku = product.slug, product.variants[0].sku
    db.session.commit()

    assert shopper.add(slug, sku, 1).status_code == 303
    pay_url = shopper.checkout().headers["Location"]
    paid = stripe_sandbox.pay(
        pay_url.rstrip("/").rsplit("/", 1)[-1],
        email="ann@example.com",
        name="Ann Example",
        address=dict(ADDRESS),
    )
    stripe_sandbox.wait_for_webhooks()
    success = shopper.http.get(paid["redirect"])
    assert success.status_code == 200
    assert "Shipping to " + " ".join(ADDRESS_LINES) in visible_text(success.text)
