"""Thirty buyers, five units: exactly five paid orders, stock never below zero."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from shop.inventory.models import StockRecord
from shop.orders.models import Order, OrderStatus
from tests.factories import make_product
from tests.fixtures_live import LiveServer, Shopper
from tests.fixtures_stripe import StripeSandbox

BUYERS = 30
UNITS = 5


def test_thirty_buyers_racing_for_five_units(
    db: SQLAlchemy, live_shop: LiveServer, stripe_sandbox: StripeSandbox
) -> None:
    product = make_product("Last Serum", slug="last-serum", variants=[("30 ml", 4200, UNITS)])
    sku, variant_id = product.variants[0].sku, product.variants[0].id
    db.session.commit()

    shoppers = [Shopper(live_shop.url) for _ in range(BUYERS)]
    for shopper in shoppers:  # everyone has it in their cart: stock is held only at checkout
        assert shopper.add("last-serum", sku, 1).status_code == 303
    tokens = [s.token("/cart") for s in shoppers]
    start = threading.Barrier(BUYERS)

    def buy(n: int) -> str:
        start.wait()
        response = shoppers[n].http.post(
            f"{live_shop.url}/checkout", data={"csrf_token": tokens[n]}, allow_redirects=False
        )
        return str(response.headers.get("Location", ""))

    with ThreadPoolExecutor(max_workers=BUYERS) as pool:
        destinations = list(pool.map(buy, range(BUYERS)))
    to_stripe = [d for d in destinations if d.startswith(stripe_sandbox.url)]
    assert len(to_stripe) == UNITS
    assert all(d.endswith("/cart") for d in destinations if d not in to_stripe)

    for url in to_stripe:
        stripe_sandbox.pay(url.rsplit("/", 1)[-1], email="racer@example.com")
    stripe_sandbox.wait_for_webhooks(timeout=15)

    paid = db.session.scalar(
        sa.select(sa.func.count()).select_from(Order).where(Order.status == OrderStatus.PAID)
    )
    record = db.session.get(StockRecord, variant_id)
    assert record is not None
    assert paid == UNITS
    assert (record.on_hand, record.allocated) == (0, 0)
    db.session.rollback()
    loser = shoppers[next(n for n, d in enumerate(destinations) if d not in to_stripe)]
    text = loser.cart_text()
    # Told why, whichever check caught it (the cart's, or the hold at checkout).
    assert (
        "Someone bought the last of an item in your cart" in text
        or "Some items in your cart need your attention" in text
    )
    assert "Sold out." in text
    for shopper in shoppers:
        shopper.close()
