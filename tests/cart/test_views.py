"""The cart as a shopper uses it: add from the product page, change, remove, check out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from werkzeug.test import TestResponse

from shop.cart.models import CartLine
from shop.catalog.models import Product, ProductStatus, Variant
from shop.extensions import db as _db
from shop.inventory.models import StockRecord
from tests.conftest import make_app
from tests.factories import make_product
from tests.html import csrf_token, visible_text

CREAM = "Barrier Repair Cream (50 ml)"
QUANTITY_MESSAGE = "Enter a quantity as a whole number from 1 to 10."


@pytest.fixture
def cream(db: SQLAlchemy) -> Product:
    """$28.00 for 50 ml with 20 on hand, $49.00 for 100 ml with 3."""
    product = make_product(
        "Barrier Repair Cream",
        slug="barrier-cream",
        variants=[("50 ml", 2800, 20), ("100 ml", 4900, 3)],
    )
    db.session.commit()
    return product


def token_from(client: FlaskClient, path: str) -> str:
    return csrf_token(client.get(path))


def add(
    client: FlaskClient, product: Product, quantity: str = "1", index: int = 0, **extra: str
) -> TestResponse:
    """Add to the cart the way the product page's form does."""
    page, sku = f"/products/{product.slug}", product.variants[index].sku
    # Reading the product opened a transaction in the test's session; end it, as SQLite's
    # write lock would otherwise keep a second app (another "process") waiting.
    _db.session.rollback()
    data = {"csrf_token": token_from(client, page), "variant": sku, "quantity": quantity, **extra}
    return client.post("/cart/add", data=data)


def line_ids(db: SQLAlchemy) -> list[int]:
    db.session.expire_all()
    found = list(db.session.scalars(sa.select(CartLine.id).order_by(CartLine.id)))
    db.session.rollback()  # end the read, as `add` does
    return found


def cart_text(client: FlaskClient) -> str:
    response = client.get("/cart")
    assert response.status_code == 200
    return visible_text(response)


def checkout_button(client: FlaskClient) -> str:
    html = client.get("/cart").get_data(as_text=True)
    found = re.search(
        r'<form class="cart-checkout" method="post" action="/checkout">.*?</form>', html, re.S
    )
    assert found is not None, "the cart has no checkout form"
    return found.group(0)


def test_the_product_page_form_posts_to_the_cart(client: FlaskClient, cream: Product) -> None:
    html = client.get("/products/barrier-cream").get_data(as_text=True)
    form = re.search(r'<form class="add-to-cart".*?</form>', html, re.S)
    assert form is not None
    assert 'action="/cart/add"' in form.group(0)
    assert 'name="csrf_token"' in form.group(0)
    assert f'name="variant" value="{cream.variants[0].sku}"' in form.group(0)
    assert "disabled>Add to cart" not in form.group(0)
    assert "coming" not in visible_text(form.group(0))


def test_add_from_the_product_page_and_see_the_cart(client: FlaskClient, cream: Product) -> None:
    response = add(client, cream, "2")
    assert response.status_code == 303
    assert response.headers["Location"] == "/cart"

    text = cart_text(client)
    assert f"Added 2 of {CREAM} to your cart." in text
    assert "Barrier Repair Cream" in text
    assert "Size: 50 ml" in text
    assert "$28.00 each" in text
    assert "$56.00" in text
    assert "Subtotal (2 items) $56.00" in text
    assert "Shipping is a flat $6.95, free on orders of $75.00" in text
    assert "Add $19.00 more for free shipping." in text
    html = client.get("/cart").get_data(as_text=True)
    assert 'href="/products/barrier-cream?variant=' in html
    assert 'src="/media/products/barrier-cream.svg"' in html
    assert 'min="1" max="10" value="2"' in html
    assert "disabled" not in checkout_button(client)
    assert 'name="csrf_token"' in checkout_button(client)


def test_the_header_counts_the_items(client: FlaskClient, cream: Product) -> None:
    assert "Cart (" not in visible_text(client.get("/"))
    add(client, cream, "2")
    add(client, cream, "1", index=1)
    assert "Cart (3 items" in visible_text(client.get("/"))
    assert "Cart (3 items" in visible_text(client.get("/products/barrier-cream"))


def test_adding_again_increases_the_line(client: FlaskClient, cream: Product) -> None:
    add(client, cream, "2")
    add(client, cream, "3")
    assert "Subtotal (5 items) $140.00" in cart_text(client)


def test_update_and_remove(client: FlaskClient, db: SQLAlchemy, cream: Product) -> None:
    add(client, cream, "2")
    [line_id] = line_ids(db)
    token = token_from(client, "/cart")

    response = client.post(f"/cart/lines/{line_id}", data={"csrf_token": token, "quantity": "3"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/cart"
    text = cart_text(client)
    assert f"{CREAM}: the quantity is now 3." in text
    assert "Subtotal (3 items) $84.00" in text
    assert "Your order ships free." in text

    response = client.post(f"/cart/lines/{line_id}/remove", data={"csrf_token": token})
    assert response.status_code == 303
    text = cart_text(client)
    assert f"Removed {CREAM} from your cart." in text
    assert "Your cart is empty." in text
    assert line_ids(db) == []


def test_an_empty_cart_points_to_the_shop_and_the_answers(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    response = client.get("/cart")
    html = response.get_data(as_text=True)
    assert "Your cart is empty." in visible_text(response)
    assert 'href="/products/"' in html
    assert 'href="/answers/"' in html
    assert "/checkout" not in html
    assert response.headers["Cache-Control"] == "private, no-store"


BAD_QUANTITIES = ["0", "-1", "1.5", "1000000000", "x", ""]


@pytest.mark.parametrize("quantity", BAD_QUANTITIES)
def test_a_bad_quantity_on_update_leaves_the_cart_as_it_was(
    client: FlaskClient, db: SQLAlchemy, cream: Product, quantity: str
) -> None:
    add(client, cream, "2")
    [line_id] = line_ids(db)
    response = client.post(
        f"/cart/lines/{line_id}",
        data={"csrf_token": token_from(client, "/cart"), "quantity": quantity},
    )
    assert response.status_code == 303
    text = cart_text(client)
    assert QUANTITY_MESSAGE in text
    assert "Subtotal (2 items) $56.00" in text


@pytest.mark.parametrize("quantity", [*BAD_QUANTITIES, "11"])
def test_a_bad_quantity_on_add_changes_nothing(
    client: FlaskClient, db: SQLAlchemy, cream: Product, quantity: str
) -> None:
    response = add(client, cream, quantity)
    assert response.status_code == 303
    assert (
        response.headers["Location"] == f"/products/barrier-cream?variant={cream.variants[0].sku}"
    )
    assert QUANTITY_MESSAGE in visible_text(client.get(response.headers["Location"]))
    assert line_ids(db) == []
    assert "Your cart is empty." in cart_text(client)


def test_posted_prices_are_ignored(client: FlaskClient, cream: Product) -> None:
    add(client, cream, "2", price="1", unit_price="1", total="1", subtotal="1")
    assert "Subtotal (2 items) $56.00" in cart_text(client)


@pytest.mark.parametrize(
    ("quantity", "index", "message"),
    [
        ("4", 1, "Only 3 left of Barrier Repair Cream (100 ml)."),
        ("1", None, "We could not find that product. Please choose a size and try again."),
    ],
)
def test_a_refused_add_goes_back_to_the_product_with_the_reason(
    client: FlaskClient, cream: Product, quantity: str, index: int | None, message: str
) -> None:
    if index is None:
        data = {
            "csrf_token": token_from(client, "/products/barrier-cream"),
            "variant": "NO-SUCH-SKU",
            "quantity": quantity,
        }
        response = client.post("/cart/add", data=data)
        assert response.headers["Location"] == "/products/"
    else:
        response = add(client, cream, quantity, index=index)
        assert response.headers["Location"] == (
            f"/products/barrier-cream?variant={cream.variants[index].sku}"
        )
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert message in visible_text(page)
    assert 'class="flash flash-error"' in page.get_data(as_text=True)
    assert "Your cart is empty." in cart_text(client)


def test_a_missing_size_is_explained(client: FlaskClient, cream: Product) -> None:
    data = {"csrf_token": token_from(client, "/products/barrier-cream"), "quantity": "1"}
    response = client.post("/cart/add", data=data)
    assert response.status_code == 303
    assert "Choose a size." in visible_text(client.get(response.headers["Location"]))


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/answers/", "/answers/"),
        ("/products/barrier-cream?variant=x", "/products/barrier-cream?variant=x"),
        ("//evil.example/", "/cart"),
        ("https://evil.example/", "/cart"),
        ("/\\evil.example/", "/cart"),
        ("/\t/evil.example/", "/cart"),
        ("javascript:alert(1)", "/cart"),
    ],
)
def test_next_stays_inside_the_shop(
    client: FlaskClient, cream: Product, next_url: str, expected: str
) -> None:
    response = add(client, cream, "1", next=next_url)
    assert response.status_code == 303
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("path", ["/cart/add", "/cart/lines/{line}", "/cart/lines/{line}/remove"])
def test_a_post_without_the_csrf_token_is_refused(
    client: FlaskClient, db: SQLAlchemy, cream: Product, path: str
) -> None:
    add(client, cream, "2")
    [line_id] = line_ids(db)
    data = {"variant": cream.variants[0].sku, "quantity": "1"}
    response = client.post(path.format(line=line_id), data=data)
    assert response.status_code == 400
    assert "This form expired" in visible_text(response)
    assert "Subtotal (2 items) $56.00" in cart_text(client)


def test_someone_elses_line_is_not_found(
    app: Flask, client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    other = app.test_client()
    page, sku = f"/products/{cream.slug}", cream.variants[0].sku
    db.session.rollback()  # the test's reads end here; SQLite lets one transaction write
    # The other shopper's requests get their own app context (and so their own `g`, where
    # Flask-WTF keeps the request's CSRF token), as every real request does.
    with app.app_context():
        token = token_from(other, page)
        other.post("/cart/add", data={"csrf_token": token, "variant": sku, "quantity": "2"})
    [their_line] = line_ids(db)
    add(client, cream, "1", index=1)
    token = token_from(client, "/cart")

    for path, data in [
        (f"/cart/lines/{their_line}", {"csrf_token": token, "quantity": "1"}),
        (f"/cart/lines/{their_line}/remove", {"csrf_token": token}),
        ("/cart/lines/999999/remove", {"csrf_token": token}),
    ]:
        response = client.post(path, data=data)
        assert response.status_code == 404
        assert "That item is not in your cart." in visible_text(response)
    with app.app_context():
        assert "Subtotal (2 items) $56.00" in cart_text(other)


def test_without_a_cart_line_actions_are_not_found(client: FlaskClient, cream: Product) -> None:
    token = token_from(client, "/products/barrier-cream")
    assert (
        client.post("/cart/lines/1", data={"csrf_token": token, "quantity": "1"}).status_code == 404
    )
    assert client.post("/cart/lines/1/remove", data={"csrf_token": token}).status_code == 404


def test_the_cart_works_across_two_app_instances(
    app: Flask,
    client: FlaskClient,
    cream: Product,
    backend: str,
    schema_urls: dict[str, str],
    tmp_path: Path,
) -> None:
    """Two processes behind a load balancer: the cart lives in the database, not in memory."""
    second = make_app(schema_urls[backend], tmp_path / "second")
    other = second.test_client()
    try:
        add(client, cream, "2")
        cookie = client.get_cookie("session")
        assert cookie is not None
        other.set_cookie("session", cookie.value)

        assert "Subtotal (2 items) $56.00" in cart_text(other)
        add(other, cream, "1")
        assert "Subtotal (3 items) $84.00" in cart_text(client)
        assert "Cart (3 items" in visible_text(other.get("/"))
    finally:
        from shop.extensions import db as _db

        with second.app_context():
            _db.engine.dispose()


def test_a_price_change_is_told_once(client: FlaskClient, db: SQLAlchemy, cream: Product) -> None:
    add(client, cream, "2")
    db.session.execute(
        sa.update(Variant).where(Variant.id == cream.variants[0].id).values(price=3000)
    )
    db.session.commit()

    text = cart_text(client)
    assert f"The price of {CREAM} changed from $28.00 to $30.00 since you added it." in text
    assert "$30.00 each was $28.00" in text
    assert "Subtotal (2 items) $60.00" in text
    assert "disabled" not in checkout_button(client)

    again = cart_text(client)
    assert "changed from" not in again
    assert "Subtotal (2 items) $60.00" in again


def test_a_line_with_a_problem_blocks_checkout_until_fixed(
    client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    add(client, cream, "3", index=1)
    [line_id] = line_ids(db)
    # Someone else's open checkout now holds two of the three.
    db.session.execute(
        sa.update(StockRecord)
        .where(StockRecord.variant_id == cream.variants[1].id)
        .values(allocated=2)
    )
    db.session.commit()

    assert "Only 1 left: lower the quantity to buy it." in cart_text(client)
    button = checkout_button(client)
    assert "disabled" in button
    assert "Before you can check out" in visible_text(button)
    assert 'max="1" value="3"' in client.get("/cart").get_data(as_text=True)

    token = token_from(client, "/cart")
    client.post(f"/cart/lines/{line_id}", data={"csrf_token": token, "quantity": "1"})
    assert "Only 1 left" not in cart_text(client)
    assert "disabled" not in checkout_button(client)


def test_a_discontinued_product_in_the_cart_must_be_removed(
    client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    add(client, cream, "1")
    db.session.execute(
        sa.update(Product).where(Product.id == cream.id).values(status=ProductStatus.ARCHIVED)
    )
    db.session.commit()

    text = cart_text(client)
    assert "This product is no longer sold." in text
    assert "disabled" in checkout_button(client)
    assert 'name="quantity"' not in client.get("/cart").get_data(as_text=True)
