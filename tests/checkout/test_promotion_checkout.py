"""Checking out with a promotion code, over HTTP through the Stripe sandbox.

What the sandbox received is asserted as well as what the shop stored. Tests that pay with
a code need the sandbox's `/v1/coupons` and `/v1/promotion_codes` (they skip without).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from shop.orders.models import Order, OrderStatus
from tests.cart.promotions import sandbox_promotion
from tests.factories import make_product
from tests.fixtures_live import LiveServer, Shopper
from tests.fixtures_stripe import StripeSandbox
from tests.stock import stock_figures


@pytest.fixture
def cream(db: SQLAlchemy) -> dict[str, Any]:
    product = make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 2800, 10)])
    facts = {"slug": product.slug, "sku": product.variants[0].sku, "id": product.variants[0].id}
    db.session.commit()
    return facts


def apply_code(shopper: Shopper, code: str) -> int:
    token = shopper.token("/cart")
    response = shopper.http.post(
        shopper.base + "/cart/code",
        data={"csrf_token": token, "code": code},
        allow_redirects=False,
    )
    return response.status_code


def session_requests(stripe_sandbox: StripeSandbox) -> list[dict[str, Any]]:
    """The session creations the sandbox answered (a late-logged timeout of another test
    would be a 500)."""
    return [
        r
        for r in stripe_sandbox.requests(path="/v1/checkout/sessions", method="POST")
        if r["status"] != 500
    ]


def orders(db: SQLAlchemy) -> list[tuple[OrderStatus, int, int, int, str | None, int | None]]:
    """(status, subtotal, discount, total, code, promotion id) of every order, oldest first."""
    db.session.expire_all()
    found = [
        (o.status, o.subtotal, o.discount, o.total, o.promotion_code, o.promotion_id)
        for o in db.session.scalars(sa.select(Order).order_by(Order.id))
    ]
    db.session.rollback()
    return found


def test_without_a_code_the_customer_may_type_one_on_stripes_page(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    assert shopper.add(cream["slug"], cream["sku"], 2).status_code == 303
    response = shopper.checkout()
    assert response.status_code == 303
    assert response.headers["Location"].startswith(stripe_sandbox.url)

    [sent] = session_requests(stripe_sandbox)
    assert sent["params"]["allow_promotion_codes"] == "true"
    assert "discounts" not in sent["params"]
    [(status, subtotal, discount, total, code, promotion_id)] = orders(db)
    assert (status, subtotal, discount, total, code, promotion_id) == (
        OrderStatus.PENDING, 5600, 0, 6295, None, None,
    )  # fmt: skip


def test_the_carts_code_is_sent_to_stripe_and_recorded_on_the_order(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    promotion = sandbox_promotion(stripe_sandbox, "READERS15", percent_off=15)
    promotion_id, stripe_code = promotion.id, promotion.stripe_promotion_code_id
    db.session.commit()
    assert shopper.add(cream["slug"], cream["sku"], 2).status_code == 303
    # A checkout started before the code was applied ...
    assert shopper.checkout().status_code == 303
    assert apply_code(shopper, "readers15") == 303

    # ... is replaced by a new one with the code: the cart's fingerprint includes it.
    response = shopper.checkout()

    assert response.status_code == 303
    assert response.headers["Location"].startswith(stripe_sandbox.url)
    first, second = session_requests(stripe_sandbox)
    assert first["params"]["allow_promotion_codes"] == "true"
    assert second["params"]["discounts"] == [{"promotion_code": stripe_code}]
    assert "allow_promotion_codes" not in second["params"]
    assert orders(db) == [
        (OrderStatus.CANCELLED, 5600, 0, 6295, None, None),
        # 15% of $56.00 is $8.40; shipping $6.95 on the goods before the discount.
        (OrderStatus.PENDING, 5600, 840, 5600 - 840 + 695, "READERS15", promotion_id),
    ]


def test_a_code_stripe_no_longer_accepts_releases_the_hold_and_says_so(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    promotion = sandbox_promotion(stripe_sandbox, "GONE10", percent_off=10, max_redemptions=1)
    stripe_code = promotion.stripe_promotion_code_id
    db.session.commit()
    assert shopper.add(cream["slug"], cream["sku"], 1).status_code == 303
    assert apply_code(shopper, "GONE10") == 303
    # Ended at Stripe (in its dashboard, say) after the cart checked it.
    ended = stripe_sandbox.api("POST", f"/v1/promotion_codes/{stripe_code}", {"active": "false"})
    assert ended.status == 200, ended.text

    response = shopper.checkout()

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cart")
    text = shopper.cart_text()
    assert "The code GONE10 could not be used: our payment provider no longer accepts it." in text
    assert "Nothing was charged." in text
    [sent] = session_requests(stripe_sandbox)
    assert sent["status"] == 400
    [(status, *_)] = orders(db)
    assert status is OrderStatus.CANCELLED  # the redemption and the stock are released
    assert stock_figures(db, cream["id"]) == (10, 0)


RACERS = 6


def test_customers_racing_for_the_last_redemption_one_gets_it(
    db: SQLAlchemy, live_shop: LiveServer, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    """A one-use code in six carts, six checkouts at once: one order with the code; the
    others are told it has been used up and hold nothing."""
    promotion = sandbox_promotion(stripe_sandbox, "LASTONE", percent_off=20, max_redemptions=1)
    promotion_id = promotion.id
    db.session.commit()
    shoppers = [Shopper(live_shop.url) for _ in range(RACERS)]
    for shopper in shoppers:
        assert shopper.add(cream["slug"], cream["sku"], 1).status_code == 303
        assert apply_code(shopper, "LASTONE") == 303  # a cart holds nothing: all may apply it
    tokens = [s.token("/cart") for s in shoppers]
    start = threading.Barrier(RACERS)

    def checkout(n: int) -> str:
        start.wait()
        response = shoppers[n].http.post(
            f"{live_shop.url}/checkout", data={"csrf_token": tokens[n]}, allow_redirects=False
        )
        return str(response.headers.get("Location", ""))

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        destinations = list(pool.map(checkout, range(RACERS)))

    with_code = [o for o in orders(db) if o[5] == promotion_id]
    assert len(with_code) == 1
    assert len(orders(db)) == 1  # the others made no order, so they hold no stock either
    winner = next(n for n, d in enumerate(destinations) if not d.endswith("/cart"))
    for n, shopper in enumerate(shoppers):
        if n != winner:
            assert destinations[n].endswith("/cart")
            assert "The code LASTONE has been used up." in shopper.cart_text()
        shopper.close()
    assert stock_figures(db, cream["id"]) == (10, 1)
