"""Back from Stripe's page without paying: the hold ends at once, the cart stays.

The customer follows the session's `cancel_url` ("Back to the shop" on Stripe's page). The
shop expires that session at Stripe and gives the stock back there and then; a declined card
alone changes nothing (Stripe keeps the session open for another card). The test's own
session is ended before the shop is asked anything, as SQLite's lock would block it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from shop.mail.models import OutboxMessage
from shop.orders.models import Order, OrderStatus
from tests.factories import make_product
from tests.fixtures_live import LiveServer, Shopper
from tests.fixtures_stripe import StripeSandbox
from tests.html import visible_text
from tests.stock import stock_figures

LEFT = "You left the payment page. Nothing was charged, and your cart is as you left it."


@pytest.fixture
def cream(db: SQLAlchemy) -> dict[str, Any]:
    """The last 2 units of a cream."""
    product = make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 2800, 2)])
    facts = {"slug": product.slug, "sku": product.variants[0].sku, "id": product.variants[0].id}
    db.session.commit()
    return facts


def _statuses(db: SQLAlchemy) -> list[OrderStatus]:
    db.session.expire_all()
    found = list(db.session.scalars(sa.select(Order.status).order_by(Order.id)))
    db.session.rollback()
    return found


def _checkout(shopper: Shopper, cream: dict[str, Any], sandbox: StripeSandbox) -> tuple[str, str]:
    """Put both units in the cart and check out; return (session id, its cancel URL)."""
    assert shopper.add(cream["slug"], cream["sku"], 2).status_code == 303
    response = shopper.checkout()
    assert response.status_code == 303, response.text
    session_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    [created] = sandbox.requests(path="/v1/checkout/sessions", method="POST")
    return session_id, str(created["params"]["cancel_url"])


def _expires_sent(sandbox: StripeSandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests(method="POST") if r["path"].endswith("/expire")]


def _product_says(shopper: Shopper, slug: str) -> str:
    return visible_text(shopper.http.get(f"{shopper.base}/products/{slug}").text)


def test_back_to_the_shop_expires_the_session_and_releases_the_hold_at_once(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    session_id, cancel_url = _checkout(shopper, cream, stripe_sandbox)
    assert stock_figures(db, cream["id"]) == (2, 2)
    assert "Sold out" in _product_says(shopper, cream["slug"])

    # Stripe's webhooks wait, so what follows is the return's own doing.
    stripe_sandbox.webhooks(mode="hold")
    back = shopper.http.get(cancel_url)
    assert back.status_code == 200
    assert back.url.endswith("/cart")
    page = visible_text(back.text)
    assert LEFT in page
    assert "Barrier Cream" in page  # the cart is intact

    # What Stripe received: an expiry of this session, with this installation's key.
    [expire] = _expires_sent(stripe_sandbox)
    assert expire["path"] == f"/v1/checkout/sessions/{session_id}/expire"
    assert expire["status"] == 200
    assert expire["idempotency_key"].endswith(f"-expire-{session_id}")
    assert stripe_sandbox.control("GET", f"sessions/{session_id}")["status"] == "expired"

    # The stock is back now, not in half an hour.
    assert _statuses(db) == [OrderStatus.CANCELLED]
    assert stock_figures(db, cream["id"]) == (2, 0)
    assert "Sold out" not in _product_says(shopper, cream["slug"])
    # Stripe's "expired" event, arriving now, changes nothing more.
    stripe_sandbox.flush()
    stripe_sandbox.wait_for_webhooks()
    assert _statuses(db) == [OrderStatus.CANCELLED]
    assert stock_figures(db, cream["id"]) == (2, 0)

    # The customer can try again: a fresh checkout of the same cart.
    again = shopper.checkout()
    assert again.status_code == 303
    assert again.headers["Location"].startswith(stripe_sandbox.url + "/pay/cs_")
    assert session_id not in again.headers["Location"]
    assert _statuses(db) == [OrderStatus.CANCELLED, OrderStatus.PENDING]


def _forged(cancel_url: str) -> str:
    parts = urlsplit(cancel_url)
    query = dict(parse_qsl(parts.query))
    token = query["token"]
    query["token"] = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    return parts._replace(query=urlencode(query)).geturl()


@pytest.mark.parametrize("link", ["forged", "foreign", "missing"])
def test_a_forged_or_foreign_cancel_link_changes_nothing(
    db: SQLAlchemy,
    live_shop: LiveServer,
    shopper: Shopper,
    cream: dict[str, Any],
    stripe_sandbox: StripeSandbox,
    link: str,
) -> None:
    session_id, cancel_url = _checkout(shopper, cream, stripe_sandbox)
    someone_else = Shopper(live_shop.url)
    try:
        if link == "forged":
            back = shopper.http.get(_forged(cancel_url))
        elif link == "foreign":  # another visitor (another cart) opening this cart's link
            someone_else.add(cream["slug"], cream["sku"], 1)
            back = someone_else.http.get(cancel_url)
        else:
            back = shopper.http.get(cancel_url.split("?")[0])
    finally:
        someone_else.close()
    assert back.status_code == 200  # the cart page, as after any return
    assert back.url.endswith("/cart")
    assert _expires_sent(stripe_sandbox) == []
    assert stripe_sandbox.control("GET", f"sessions/{session_id}")["status"] == "open"
    assert _statuses(db) == [OrderStatus.PENDING]
    assert stock_figures(db, cream["id"]) == (2, 2)


def test_a_declined_card_keeps_the_session_open_and_the_hold(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    session_id, _ = _checkout(shopper, cream, stripe_sandbox)
    declined = stripe_sandbox.pay(session_id, card="4000 0000 0000 0002", expect=402)
    assert declined["error"]["code"] == "card_declined"
    stripe_sandbox.wait_for_webhooks()
    assert stripe_sandbox.control("GET", f"sessions/{session_id}")["status"] == "open"
    assert _statuses(db) == [OrderStatus.PENDING]
    assert stock_figures(db, cream["id"]) == (2, 2)
    # Another card still pays the same session.
    stripe_sandbox.pay(session_id, email="second-card@example.com")
    stripe_sandbox.wait_for_webhooks()
    assert _statuses(db) == [OrderStatus.PAID]
    assert stock_figures(db, cream["id"]) == (0, 0)


def test_stripe_down_on_the_way_back_still_shows_the_cart_and_the_sweep_releases_later(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    _, cancel_url = _checkout(shopper, cream, stripe_sandbox)
    stripe_sandbox.fault("/v1/checkout/sessions/*", "error_500", count=10)
    stripe_sandbox.fault("/v1/checkout/sessions/*", "error_500", method="GET", count=10)
    back = shopper.http.get(cancel_url)
    assert back.status_code == 200
    page = visible_text(back.text)
    assert LEFT in page
    assert "Barrier Cream" in page
    assert _statuses(db) == [OrderStatus.PENDING]  # nothing guessed: the sweep settles it
    assert stock_figures(db, cream["id"]) == (2, 2)


def test_paid_then_back_releases_nothing_and_shows_the_order(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    session_id, cancel_url = _checkout(shopper, cream, stripe_sandbox)
    stripe_sandbox.webhooks(mode="hold")  # the shop has not heard of the payment yet
    stripe_sandbox.pay(session_id, email="quick@example.com")
    back = shopper.http.get(cancel_url)
    assert back.status_code == 200
    assert "/checkout/success" in back.url
    assert "is confirmed" in visible_text(back.text)
    assert _statuses(db) == [OrderStatus.PAID]
    assert stock_figures(db, cream["id"]) == (0, 0)  # sold, never released
    stripe_sandbox.flush()
    stripe_sandbox.wait_for_webhooks()
    assert _statuses(db) == [OrderStatus.PAID]
    mails = db.session.scalars(
        sa.select(OutboxMessage.to_address).where(OutboxMessage.kind == "order_paid")
    ).all()
    db.session.rollback()
    assert mails == ["quick@example.com"]  # one confirmation, though the webhook came too
