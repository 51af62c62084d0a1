"""An order's money reads the same wherever the customer or staff see it: subtotal, the
discount with its code, shipping, tax and the total, on the success page, the order page,
the admin order and the paid, shipped and refunded mails (as the mail server receives them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.mail.services import send_pending
from shop.orders.models import Order
from shop.orders.services import (
    LineSnapshot,
    create_pending_order,
    mark_fulfilled,
    order_status_token,
    record_refund,
)
from tests.factories import make_product, pay_order, promotion_named
from tests.fixtures_live import Shopper
from tests.fixtures_mail import SmtpServer
from tests.fixtures_staff import sign_in
from tests.fixtures_stripe import StripeSandbox
from tests.html import visible_text
from tests.orders.making import ADDRESS, paid_order

# $68.00 of goods, 10% off with SPRING10, $6.95 shipping, $5.05 tax on the $61.20 left: $73.20.
WITH_CODE_AND_TAX = (
    "Subtotal $68.00 Discount (SPRING10) \u2212$6.80 Shipping $6.95 Tax $5.05 Total $73.20"
)
PLAIN = "Subtotal $68.00 Shipping $6.95 Total $74.95"


def _record_code_and_tax(order: Order, code: str | None = "SPRING10") -> None:
    """What the settle engine records from Stripe's total_details on a paid session."""
    promotion = promotion_named(code or "NOCODE")
    order.promotion_id = promotion.id
    order.discount = 680
    order.promotion_code = code
    order.tax = 505
    order.total = order.subtotal - order.discount + order.shipping + order.tax


def _discounted_taxed_order(db: SQLAlchemy, email: str = "ann@example.com") -> Order:
    """Two creams and a serum bought with SPRING10 and taxed, paid and mailed."""
    cream = make_product("Barrier Cream", variants=[("50 ml", 2800, 10)]).variants[0]
    serum = make_product("Night Serum", variants=[("30 ml", 1200, 10)]).variants[0]
    order = create_pending_order(
        [
            LineSnapshot(cream.id, "Barrier Cream", "50 ml", cream.sku, 2800, 2),
            LineSnapshot(serum.id, "Night Serum", "30 ml", serum.sku, 1200, 1),
        ],
        "USD",
        cart_id=None,
        email=email,
    )
    assert (order.subtotal, order.shipping) == (6800, 695)
    _record_code_and_tax(order)
    pay_order(
        order,
        email,
        currency="usd",
        shipping_name="Ann Example",
        shipping_address=dict(ADDRESS),
    )
    db.session.commit()
    assert (order.status.value, order.amount_paid) == ("paid", 7320)
    return order


def _status_page(client: FlaskClient, order: Order) -> str:
    response = client.get(f"/orders/{order_status_token(order)}")
    assert response.status_code == 200
    return visible_text(response)


def test_the_order_page_shows_the_code_discount_and_tax(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    order = _discounted_taxed_order(db)
    text = _status_page(client, order)
    assert WITH_CODE_AND_TAX in text
    assert "We have your payment of $73.20" in text


def test_an_order_without_code_or_tax_shows_neither_line(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    text = _status_page(client, paid_order(db))
    assert PLAIN in text
    assert "Discount" not in text
    assert "Tax" not in text


def test_a_discount_without_a_recorded_code_still_shows_as_a_discount(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    order = paid_order(db)
    _record_code_and_tax(order, code=None)
    order.tax = 0
    order.total = order.subtotal - order.discount + order.shipping
    db.session.commit()
    assert "Subtotal $68.00 Discount \u2212$6.80 Shipping $6.95 Total $68.15" in _status_page(
        client, order
    )


def test_free_shipping_reads_free_beside_the_discount(client: FlaskClient, db: SQLAlchemy) -> None:
    order = paid_order(db)
    order.shipping = 0
    _record_code_and_tax(order)
    db.session.commit()
    text = _status_page(client, order)
    assert "Discount (SPRING10) \u2212$6.80 Shipping Free Tax $5.05 Total $66.25" in text


def test_a_refunded_order_keeps_its_money_lines_and_adds_the_refund(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    order = _discounted_taxed_order(db)
    record_refund(order, 2000, "charge ch_1")
    db.session.commit()
    text = _status_page(client, order)
    assert WITH_CODE_AND_TAX + " Refunded \u2212$20.00 Paid after refunds $53.20" in text


def test_the_success_page_shows_the_code_discount_and_tax(
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
    order = db.session.scalars(sa.select(Order)).one()
    assert order.status.value == "paid"
    # As the settle engine records them from the session's total_details.
    order.discount, order.promotion_code, order.tax = 280, "SPRING10", 208
    order.total = order.subtotal - 280 + order.shipping + 208
    db.session.commit()

    success = shopper.http.get(paid["redirect"])
    assert success.status_code == 200
    assert (
        "Subtotal $28.00 Discount (SPRING10) \u2212$2.80 Shipping $6.95 Tax $2.08 Total $34.23"
    ) in visible_text(success.text)


def test_the_admin_order_shows_the_code_discount_and_tax(
    client: FlaskClient, db: SQLAlchemy, make_staff: Callable[..., StaffUser]
) -> None:
    order = _discounted_taxed_order(db)
    make_staff("fred@example.com", StaffRole.FULFILMENT)
    assert sign_in(client, "fred@example.com")[0] == 303
    page = client.get(f"/admin/orders/{order.id}")
    assert page.status_code == 200
    assert WITH_CODE_AND_TAX in visible_text(page)


# The mails, as the mail server receives them.


def _received(smtp_server: SmtpServer, subject_part: str) -> tuple[str, str]:
    """The (text, visible HTML text) of the one message whose subject contains `subject_part`."""
    send_pending()
    [message] = [m for m in smtp_server.messages if subject_part in str(m["Subject"])]
    assert isinstance(message, EmailMessage)
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None
    assert html is not None
    return (
        str(plain.get_content()).replace("\r\n", "\n"),
        visible_text(str(html.get_content())),
    )


def _text_totals(text: str) -> list[tuple[str, str]]:
    """The text mail's money lines as (label, amount), in order."""
    labels = (
        r"Subtotal|Discount(?: \([A-Z0-9_-]+\))?|Shipping|Tax|Total|Refunded|Paid after refunds"
    )
    return [
        (m.group(1), m.group(2))
        for m in re.finditer(rf"^  ({labels}) +(\S+)$", text, flags=re.MULTILINE)
    ]


CODE_AND_TAX_LINES = [
    ("Subtotal", "$68.00"),
    ("Discount (SPRING10)", "-$6.80"),
    ("Shipping", "$6.95"),
    ("Tax", "$5.05"),
    ("Total", "$73.20"),
]


@pytest.mark.parametrize("kind", ["paid", "shipped", "refunded"])
def test_each_order_mail_shows_the_code_discount_and_tax_in_text_and_html(
    db: SQLAlchemy, smtp_server: SmtpServer, kind: str
) -> None:
    order = _discounted_taxed_order(db)
    expected_lines = list(CODE_AND_TAX_LINES)
    html_expected = WITH_CODE_AND_TAX
    subject = "is confirmed"
    if kind == "shipped":
        send_pending()  # the paid mail first, out of the way
        mark_fulfilled(order.id, "1Z999AA10123456784", "ups")
        db.session.commit()
        subject = "has shipped"
    elif kind == "refunded":
        send_pending()
        record_refund(order, 2000, "charge ch_1")
        db.session.commit()
        subject = "partly refunded"
        expected_lines += [("Refunded", "-$20.00"), ("Paid after refunds", "$53.20")]
        html_expected += " Refunded \u2212$20.00 Paid after refunds $53.20"

    text, html_text = _received(smtp_server, subject)
    assert _text_totals(text) == expected_lines
    assert html_expected in html_text


def test_a_mail_without_code_or_tax_has_neither_line(
    db: SQLAlchemy, smtp_server: SmtpServer
) -> None:
    paid_order(db)
    text, html_text = _received(smtp_server, "is confirmed")
    assert _text_totals(text) == [
        ("Subtotal", "$68.00"),
        ("Shipping", "$6.95"),
        ("Total", "$74.95"),
    ]
    assert PLAIN in html_text
    assert "Discount" not in text + html_text
    assert "Tax" not in text + html_text
