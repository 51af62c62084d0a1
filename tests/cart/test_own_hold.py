"""Stock held by the cart's own unpaid checkout is still the shopper's to buy.

Back from Stripe's page (a declined card, a change of mind) the cart must not call its
own items sold out, while units that another cart's checkout holds stay unavailable.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.cart.models import Cart
from shop.catalog.models import Product
from shop.core.models import utcnow
from shop.inventory.models import StockRecord
from shop.orders.models import Order, OrderStatus
from shop.orders.services import LineSnapshot, close_unpaid, create_pending_order
from tests.cart.test_views import add, cart_text, checkout_button, line_ids, token_from
from tests.factories import make_cart, make_product
from tests.fixtures_live import Shopper
from tests.fixtures_stripe import StripeSandbox
from tests.html import visible_text

CREAM = "Barrier Repair Cream (50 ml)"
DECLINED_CARD = "4000000000000002"


@pytest.fixture
def cream(db: SQLAlchemy) -> Product:
    """$28.00 for 50 ml, the last 3 in stock."""
    product = make_product(
        "Barrier Repair Cream", slug="barrier-cream", variants=[("50 ml", 2800, 3)]
    )
    db.session.commit()
    return product


def hold_for(db: SQLAlchemy, cart_id: int | None, product: Product, quantity: int) -> int:
    """Start a checkout of `quantity` units for a cart: a pending order holding the stock."""
    variant = product.variants[0]
    order = create_pending_order(
        [LineSnapshot(variant.id, product.name, variant.size_label, variant.sku, 2800, quantity)],
        "USD",
        cart_id=cart_id,
    )
    order_id = order.id
    db.session.commit()
    return order_id


def the_cart_id(db: SQLAlchemy) -> int:
    """The id of the only cart (the test client's)."""
    found = db.session.scalars(sa.select(Cart.id)).one()
    db.session.rollback()
    return found


def stock(db: SQLAlchemy, product: Product) -> tuple[int, int]:
    db.session.expire_all()
    record = db.session.get(StockRecord, product.variants[0].id)
    assert record is not None
    figures = (record.on_hand, record.allocated)
    db.session.rollback()
    return figures


def set_quantity(client: FlaskClient, line_id: int, quantity: str) -> str:
    """Change a line's quantity as the cart page's form does; return the cart page's text."""
    token = token_from(client, "/cart")
    response = client.post(
        f"/cart/lines/{line_id}", data={"csrf_token": token, "quantity": quantity}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/cart"
    return cart_text(client)


def test_the_carts_own_checkout_hold_does_not_make_it_sold_out(
    client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    assert add(client, cream, "3").status_code == 303
    hold_for(db, the_cart_id(db), cream, 3)
    assert stock(db, cream) == (3, 3)  # nothing is left for anyone else

    text = cart_text(client)
    assert "Sold out" not in text
    assert "Only" not in text
    assert "Subtotal (3 items) $84.00" in text
    assert "disabled" not in checkout_button(client)
    assert 'max="3" value="3"' in client.get("/cart").get_data(as_text=True)


def test_the_own_hold_counts_once_and_only_while_the_checkout_is_open(
    client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    assert add(client, cream, "2").status_code == 303
    cart_id = the_cart_id(db)
    order_id = hold_for(db, cart_id, cream, 2)

    # 1 free + 2 of its own: three in all, never more.
    refused = client.get(add(client, cream, "2").headers["Location"])
    assert f"Only 3 left of {CREAM}. You already have 2 in your cart." in visible_text(refused)
    assert "Subtotal (2 items) $56.00" in cart_text(client)

    # The checkout is closed (a failed payment): its units go back to the shelf, and
    # the cart counts them once, as free stock.
    order = db.session.get(Order, order_id)
    assert order is not None
    close_unpaid(order, OrderStatus.CANCELLED, "Payment failed.")
    db.session.commit()
    assert stock(db, cream) == (3, 0)
    [line_id] = line_ids(db)
    assert "Only 3 left of" not in set_quantity(client, line_id, "3")
    assert f"Only 3 left of {CREAM}." in set_quantity(client, line_id, "4")
    assert "Subtotal (3 items) $84.00" in cart_text(client)


def test_another_carts_hold_still_limits_this_cart(
    client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    assert add(client, cream, "2").status_code == 303
    other_cart = make_cart()
    other_id = other_cart.id
    db.session.commit()
    other_order = hold_for(db, other_id, cream, 2)

    text = cart_text(client)
    assert "Only 1 left: lower the quantity to buy it." in text
    assert "disabled" in checkout_button(client)
    assert 'max="1" value="2"' in client.get("/cart").get_data(as_text=True)
    refused = client.get(add(client, cream, "1").headers["Location"])
    assert f"Only 1 left of {CREAM}. You already have 2 in your cart." in visible_text(refused)

    # The other checkout takes the last unit too: sold out for this cart.
    order = db.session.get(Order, other_order)
    assert order is not None
    close_unpaid(order, OrderStatus.CANCELLED, "Replaced.")
    db.session.commit()
    hold_for(db, other_id, cream, 3)
    assert "Sold out." in cart_text(client)
    assert "disabled" in checkout_button(client)
    refused = client.get(add(client, cream, "1").headers["Location"])
    assert f"{CREAM} is sold out." in visible_text(refused)
    assert "Subtotal (2 items) $56.00" in cart_text(client)


def test_a_checkout_without_a_cart_holds_stock_from_every_cart(
    client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    assert add(client, cream, "1").status_code == 303
    hold_for(db, None, cream, 3)  # e.g. a cart that was deleted since (cart_id SET NULL)
    assert "Sold out." in cart_text(client)
    assert "disabled" in checkout_button(client)


def test_own_and_other_holds_together(client: FlaskClient, db: SQLAlchemy) -> None:
    serum = make_product("Calm Serum", slug="calm-serum", variants=[("30 ml", 2800, 5)])
    db.session.commit()
    assert add(client, serum, "3").status_code == 303
    hold_for(db, the_cart_id(db), serum, 3)
    other = make_cart()
    other_id = other.id
    db.session.commit()
    hold_for(db, other_id, serum, 2)
    assert stock(db, serum) == (5, 5)

    assert "Only" not in cart_text(client)
    assert "disabled" not in checkout_button(client)
    [line_id] = line_ids(db)
    assert "Only 3 left of Calm Serum (30 ml)." in set_quantity(client, line_id, "4")
    assert "Subtotal (3 items) $84.00" in cart_text(client)


def test_lowering_and_raising_a_held_line(
    client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    assert add(client, cream, "3").status_code == 303
    hold_for(db, the_cart_id(db), cream, 3)
    [line_id] = line_ids(db)

    text = set_quantity(client, line_id, "2")
    assert f"{CREAM}: the quantity is now 2." in text
    assert "Subtotal (2 items) $56.00" in text
    assert "Sold out" not in text
    assert "disabled" not in checkout_button(client)

    text = set_quantity(client, line_id, "3")
    assert f"{CREAM}: the quantity is now 3." in text
    assert "Subtotal (3 items) $84.00" in text
    assert "Sold out" not in text
    assert "disabled" not in checkout_button(client)

    text = set_quantity(client, line_id, "4")
    assert f"Only 3 left of {CREAM}." in text
    assert "Subtotal (3 items) $84.00" in text


# Live: the declined card over HTTP, through the shop and the Stripe sandbox.


def _line_id(shopper: Shopper) -> int:
    html = shopper.http.get(shopper.base + "/cart").text
    found = re.search(r'action="/cart/lines/(\d+)"', html)
    assert found is not None, "the cart has no line form"
    return int(found.group(1))


def _set(shopper: Shopper, quantity: int) -> str:
    response = shopper.http.post(
        f"{shopper.base}/cart/lines/{_line_id(shopper)}",
        data={"csrf_token": shopper.token("/cart"), "quantity": str(quantity)},
    )
    assert response.status_code == 200
    return visible_text(response.text)


def _orders(db: SQLAlchemy) -> list[tuple[OrderStatus, int]]:
    db.session.expire_all()
    found = [
        (o.status, sum(line.quantity for line in o.lines))
        for o in db.session.scalars(sa.select(Order).order_by(Order.id))
    ]
    db.session.rollback()
    return found


def _session_id(pay_url: str) -> str:
    return pay_url.rstrip("/").rsplit("/", 1)[-1]


def test_after_a_declined_card_the_cart_can_still_buy_the_last_units(
    db: SQLAlchemy, shopper: Shopper, cream: Product, stripe_sandbox: StripeSandbox
) -> None:
    slug, sku = cream.slug, cream.variants[0].sku
    db.session.rollback()
    assert shopper.add(slug, sku, 3).status_code == 303
    first = shopper.checkout()
    assert first.status_code == 303, first.text
    pay_url = first.headers["Location"]
    stripe_sandbox.pay(_session_id(pay_url), card=DECLINED_CARD, expect=402)
    assert stock(db, cream) == (3, 3)

    back = shopper.http.get(shopper.base + "/checkout/cancel")
    text = visible_text(back.text)
    assert "Nothing was charged, and your cart is as you left it." in text
    assert "Sold out" not in text
    assert "Subtotal (3 items) $84.00" in text
    assert 'disabled aria-describedby="checkout-blocked"' not in back.text

    # Someone else cannot have them meanwhile.
    other = Shopper(shopper.base)
    try:
        refused = other.add(slug, sku, 1)
        assert refused.status_code == 303
        page = visible_text(other.http.get(other.base + refused.headers["Location"]).text)
        assert f"{CREAM} is sold out." in page
    finally:
        other.close()

    # Trying again reuses the open checkout: no second order, no second hold.
    again = shopper.checkout()
    assert again.status_code == 303
    assert again.headers["Location"] == pay_url
    assert _orders(db) == [(OrderStatus.PENDING, 3)]
    assert stock(db, cream) == (3, 3)

    # Buying fewer replaces the checkout, and the unit given up is free again.
    text = _set(shopper, 2)
    assert f"{CREAM}: the quantity is now 2." in text
    assert "Sold out" not in text
    fewer = shopper.checkout()
    assert fewer.status_code == 303, fewer.text
    assert fewer.headers["Location"] != pay_url
    assert fewer.headers["Location"].startswith(stripe_sandbox.url + "/pay/")
    # The old session's "expired" webhook may close the old order before the shop does.
    stripe_sandbox.wait_for_webhooks()
    replaced, current = _orders(db)
    assert replaced in [(OrderStatus.CANCELLED, 3), (OrderStatus.EXPIRED, 3)]
    assert current == (OrderStatus.PENDING, 2)
    assert stock(db, cream) == (3, 2)

    paid = stripe_sandbox.pay(_session_id(fewer.headers["Location"]), email="b@example.com")
    stripe_sandbox.wait_for_webhooks()
    assert shopper.http.get(paid["redirect"]).status_code == 200
    assert _orders(db)[1:] == [(OrderStatus.PAID, 2)]
    assert stock(db, cream) == (1, 0)


def test_checking_out_again_near_the_end_of_the_open_checkout(
    db: SQLAlchemy, shopper: Shopper, cream: Product, stripe_sandbox: StripeSandbox
) -> None:
    slug, sku = cream.slug, cream.variants[0].sku
    db.session.rollback()
    assert shopper.add(slug, sku, 3).status_code == 303
    first = shopper.checkout()
    assert first.status_code == 303, first.text
    stripe_sandbox.pay(_session_id(first.headers["Location"]), card=DECLINED_CARD, expect=402)
    # Almost half an hour later: the open checkout has a minute left.
    db.session.execute(sa.update(Order).values(checkout_expires_at=utcnow() + timedelta(minutes=1)))
    db.session.commit()

    text = shopper.cart_text()
    assert "Sold out" not in text  # the cart says it can be bought...
    again = shopper.checkout()
    assert again.status_code == 303
    # ...so checkout should go to Stripe, not back to the cart.
    assert again.headers["Location"].startswith(stripe_sandbox.url + "/pay/"), shopper.cart_text()
