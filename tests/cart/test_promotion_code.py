"""The cart's promotion code field: applied, refused with its reason, removed, re-checked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from werkzeug.test import TestResponse

from shop.cart.models import Cart
from shop.catalog.models import Product
from shop.core.models import utcnow
from shop.extensions import db as _db
from shop.orders.models import Order
from shop.orders.services import LineSnapshot, create_pending_order
from tests.cart.promotions import make_promotion
from tests.factories import make_product, pay_order
from tests.html import csrf_token, visible_text

MINUS = "\u2212"  # the cart writes a discount with a minus sign, not a hyphen


@pytest.fixture
def cream(db: SQLAlchemy) -> Product:
    """$28.00 for 50 ml, 20 on hand."""
    product = make_product(
        "Barrier Repair Cream", slug="barrier-cream", variants=[("50 ml", 2800, 20)]
    )
    db.session.commit()
    return product


def add(client: FlaskClient, product: Product, quantity: int) -> None:
    _db.session.rollback()  # end the test's read: SQLite's write lock would keep the app waiting
    token = csrf_token(client.get(f"/products/{product.slug}"))
    data = {"csrf_token": token, "variant": product.variants[0].sku, "quantity": str(quantity)}
    assert client.post("/cart/add", data=data).status_code == 303


def apply(client: FlaskClient, code: str) -> TestResponse:
    _db.session.rollback()
    token = csrf_token(client.get("/cart"))
    return client.post("/cart/code", data={"csrf_token": token, "code": code})


def cart_page(client: FlaskClient) -> str:
    _db.session.rollback()
    response = client.get("/cart")
    assert response.status_code == 200
    return visible_text(response)


def stored_code(db: SQLAlchemy) -> str | None:
    db.session.rollback()
    return db.session.scalar(sa.select(Cart.promotion_code))


def field_errors(response: TestResponse) -> str:
    """The message shown beside the code field."""
    html = response.get_data(as_text=True)
    start = html.index('<ul class="field-errors" id="code-errors">')
    return visible_text(html[start : html.index("</ul>", start)])


def test_an_applied_code_shows_its_discount_in_the_totals(
    client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    make_promotion("WELCOME10", percent_off=10)
    db.session.commit()
    add(client, cream, 2)  # $56.00: under the $75.00 free-shipping line

    response = apply(client, "  welcome10 ")  # any case, spaces around trimmed

    assert response.status_code == 303
    text = cart_page(client)
    assert "The code WELCOME10 takes $5.60 off your order." in text
    assert "Promotion code WELCOME10 applied." in text
    assert "Subtotal (2 items) $56.00" in text
    assert f"Discount (WELCOME10) {MINUS}$5.60" in text
    assert "Shipping $6.95" in text
    assert "Total $57.35" in text  # 56.00 - 5.60 + 6.95
    assert "Tax" not in text  # automatic tax is off
    assert stored_code(db) == "WELCOME10"


def test_a_fixed_amount_and_tax_calculated_at_checkout(
    app: Flask, client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    app.config["SHOP_AUTOMATIC_TAX"] = True
    make_promotion("FIVEOFF", amount_off=500)
    db.session.commit()
    add(client, cream, 3)  # $84.00: ships free (the line is on the goods before the discount)

    assert apply(client, "FIVEOFF").status_code == 303

    text = cart_page(client)
    assert f"Discount (FIVEOFF) {MINUS}$5.00" in text
    assert "Shipping Free" in text
    assert "Tax calculated at checkout" in text
    assert "Total $79.00" in text


def _used_once(db: SQLAlchemy, cream: Product) -> None:
    promotion = make_promotion("ONCE", max_redemptions=1)
    variant = cream.variants[0]
    line = LineSnapshot(variant.id, cream.name, variant.size_label, variant.sku, variant.price, 1)
    order = create_pending_order([line], "USD", None, discount=280, promotion=promotion)
    pay_order(order, "first@example.com", amount_total=order.total)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("NOPE", "“NOPE” is not a promotion code we know."),
        ("OLD10", "The code OLD10 has ended."),
        ("SPRING", "The code SPRING has expired."),
        ("BIG20", "The code BIG20 applies to orders of $100.00 or more; add $44.00 to use it."),
        ("ONCE", "The code ONCE has been used up."),
        ("WELCOME 10", "A promotion code has no spaces: type it as one word, like WELCOME10."),
        ("W" * 41, "Keep the promotion code to 40 characters or fewer."),
        ("   ", "Enter a promotion code."),
    ],
    ids=["unknown", "ended", "expired", "minimum", "used-up", "spaces", "too-long", "empty"],
)
def test_a_refused_code_says_why_beside_the_field_and_nothing_is_kept(
    client: FlaskClient, db: SQLAlchemy, cream: Product, typed: str, message: str
) -> None:
    make_promotion("OLD10", ended_at=utcnow() - timedelta(days=1))
    make_promotion("SPRING", expires_at=utcnow() - timedelta(minutes=1))
    make_promotion("BIG20", percent_off=20, min_subtotal=10000)
    _used_once(db, cream)
    db.session.commit()
    orders_before = db.session.scalar(sa.select(sa.func.count(Order.id)))
    add(client, cream, 2)  # $56.00

    response = apply(client, typed)

    assert response.status_code == 400
    assert field_errors(response) == message
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="code-errors"' in html
    assert "Discount" not in visible_text(response)
    assert stored_code(db) is None
    # Nothing held: no order was made for the code.
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == orders_before


def test_remove_takes_the_code_off(client: FlaskClient, db: SQLAlchemy, cream: Product) -> None:
    make_promotion("WELCOME10")
    db.session.commit()
    add(client, cream, 1)
    apply(client, "WELCOME10")

    token = csrf_token(client.get("/cart"))
    response = client.post("/cart/code/remove", data={"csrf_token": token})

    assert response.status_code == 303
    text = cart_page(client)
    assert "Removed the code WELCOME10 from your cart." in text
    assert "Discount" not in text
    assert "Total $34.95" in text  # 28.00 + 6.95
    assert stored_code(db) is None


def test_a_code_that_no_longer_applies_says_why_and_is_not_counted(
    client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    make_promotion("BIG5", amount_off=500, min_subtotal=5000)
    db.session.commit()
    add(client, cream, 2)  # $56.00
    assert apply(client, "BIG5").status_code == 303
    assert f"Discount (BIG5) {MINUS}$5.00" in cart_page(client)

    _db.session.rollback()
    [line_id] = re.findall(
        r'action="/cart/lines/(\d+)"', client.get("/cart").get_data(as_text=True)
    )
    token = csrf_token(client.get("/cart"))
    client.post(f"/cart/lines/{line_id}", data={"csrf_token": token, "quantity": "1"})

    text = cart_page(client)
    assert "Promotion code BIG5 no longer applies:" in text
    assert "The code BIG5 applies to orders of $50.00 or more; add $22.00 to use it." in text
    assert "Discount" not in text
    assert "Total $34.95" in text
    # Checkout refuses too, saying the same; no order is made.
    token = csrf_token(client.get("/cart"))
    response = client.post("/checkout", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cart")
    assert "add $22.00 to use it" in cart_page(client)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_ending_a_code_after_it_was_applied_shows_on_the_cart(
    client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    promotion = make_promotion("WELCOME10")
    db.session.commit()
    add(client, cream, 1)
    apply(client, "WELCOME10")
    db.session.rollback()
    promotion = db.session.merge(promotion)
    promotion.ended_at = utcnow()
    db.session.commit()

    text = cart_page(client)
    assert "Promotion code WELCOME10 no longer applies: The code WELCOME10 has ended." in text
    assert "Total $34.95" in text


def test_guessing_codes_is_rate_limited(
    app: Flask, client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    app.config["PROMOTION_CODE_RATE_LIMIT"] = "3 per minute"
    add(client, cream, 1)
    statuses = [apply(client, f"GUESS{n}").status_code for n in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_a_code_without_a_csrf_token_is_not_applied(
    client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    make_promotion("WELCOME10")
    db.session.commit()
    add(client, cream, 1)
    response = client.post("/cart/code", data={"code": "WELCOME10"})
    assert response.status_code in (303, 400)
    assert stored_code(db) is None


def test_a_code_needs_something_in_the_cart(
    client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    make_promotion("WELCOME10")
    db.session.commit()
    _db.session.rollback()
    # An empty cart has no code field; a token from the product page posts it anyway.
    token = csrf_token(client.get(f"/products/{cream.slug}"))
    response = client.post("/cart/code", data={"csrf_token": token, "code": "WELCOME10"})
    assert response.status_code == 303
    assert "Add something to your cart before entering a promotion code." in cart_page(client)
    assert stored_code(db) is None
