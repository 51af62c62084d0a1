"""Whole purchases over HTTP: the shop, real stripe-python and the Stripe sandbox.

Each test asserts what the customer sees, what the shop stored, and what "Stripe"
received. The test's own database session is ended (`db.session.rollback()`) before
the shop is asked to do anything, because on SQLite an open transaction holds the lock.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import stripe
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from shop.core.models import utcnow
from shop.orders.models import Order, OrderStatus
from tests.factories import make_product
from tests.fixtures_live import Shopper
from tests.fixtures_mail import queued_mail
from tests.fixtures_stripe import StripeSandbox
from tests.html import visible_text
from tests.stock import stock_figures


@pytest.fixture
def cream(db: SQLAlchemy) -> dict[str, Any]:
    product = make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 2800, 5)])
    facts = {
        "slug": product.slug,
        "sku": product.variants[0].sku,
        "variant_id": product.variants[0].id,
    }
    db.session.commit()
    return facts


@dataclass(frozen=True)
class OrderFacts:
    id: int
    number: str
    status: OrderStatus
    email: str | None
    total: int
    amount_paid: int | None
    review_reason: str | None


def _orders(db: SQLAlchemy) -> list[OrderFacts]:
    """The orders as plain values, read in a transaction that ends at once.

    Plain values, not ORM objects: touching an expired object would start a new
    transaction, and on SQLite an open transaction holds the lock the server needs.
    """
    db.session.expire_all()
    found = [
        OrderFacts(o.id, o.number or "", o.status, o.email, o.total, o.amount_paid, o.review_reason)
        for o in db.session.scalars(sa.select(Order).order_by(Order.id))
    ]
    db.session.rollback()
    return found


def _start(shopper: Shopper, cream: dict[str, Any], quantity: int = 2) -> str:
    assert shopper.add(cream["slug"], cream["sku"], quantity).status_code == 303
    response = shopper.checkout()
    assert response.status_code == 303, response.text
    return str(response.headers["Location"])


def _session_id(pay_url: str) -> str:
    return pay_url.rstrip("/").rsplit("/", 1)[-1]


def test_a_whole_purchase_pays_once_sells_stock_and_mails_the_customer(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    pay_url = _start(shopper, cream, quantity=2)
    assert pay_url.startswith(stripe_sandbox.url + "/pay/cs_test_")
    [order] = _orders(db)
    assert order.status is OrderStatus.PENDING
    assert stock_figures(db, cream["variant_id"]) == (5, 2)  # held, not sold

    # What Stripe received: our prices from the database, an idempotency key from the order.
    [created] = stripe_sandbox.requests(path="/v1/checkout/sessions", method="POST")
    params = created["params"]
    key = created["idempotency_key"]  # this installation's prefix, then the order
    assert re.fullmatch(rf"[0-9a-f]{{16}}-checkout-order-{order.id}-\w+", key)
    assert params["mode"] == "payment"
    assert params["line_items"][0]["price_data"]["unit_amount"] == "2800"
    assert params["line_items"][0]["quantity"] == "2"
    assert params["client_reference_id"] == str(order.id)
    assert params["metadata"]["order_id"] == str(order.id)
    assert "{CHECKOUT_SESSION_ID}" in params["success_url"]
    assert params["shipping_options"][0]["shipping_rate_data"]["fixed_amount"]["amount"] == "695"
    assert params["shipping_address_collection"]["allowed_countries"] == ["US", "CA"]
    assert 30 * 60 <= int(params["expires_at"]) - time.time() <= 32 * 60

    paid = stripe_sandbox.pay(_session_id(pay_url), email="buyer@example.com")
    stripe_sandbox.wait_for_webhooks()
    success = shopper.http.get(paid["redirect"])
    assert success.status_code == 200
    assert f"order {order.number} is confirmed" in visible_text(success.text)

    [order] = _orders(db)
    assert order.status is OrderStatus.PAID
    assert order.email == "buyer@example.com"
    assert order.amount_paid == order.total == 2 * 2800 + 695
    assert stock_figures(db, cream["variant_id"]) == (3, 0)  # sold exactly once
    [(to, body)] = queued_mail(db, "order_paid")
    assert to == "buyer@example.com"
    assert order.number in body
    status_link = next(w for w in body.split() if "/orders/" in w)
    status_page = shopper.http.get(status_link)
    assert status_page.status_code == 200
    assert "Barrier Cream" in visible_text(status_page.text)
    assert "Your cart is empty" in shopper.cart_text()


def test_a_double_click_makes_one_order_and_one_session(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    assert shopper.add(cream["slug"], cream["sku"], 1).status_code == 303
    token = shopper.token("/cart")
    answers: list[str] = []

    def click() -> None:
        response = shopper.http.post(
            shopper.base + "/checkout", data={"csrf_token": token}, allow_redirects=False
        )
        answers.append(response.headers.get("Location", ""))

    clicks = [threading.Thread(target=click) for _ in range(3)]
    for c in clicks:
        c.start()
    for c in clicks:
        c.join()
    assert len(set(answers)) == 1
    assert answers[0].startswith(stripe_sandbox.url + "/pay/")
    assert len(_orders(db)) == 1
    sessions = {
        r["idempotency_key"]
        for r in stripe_sandbox.requests(path="/v1/checkout/sessions", method="POST")
    }
    assert len(sessions) == 1
    assert stock_figures(db, cream["variant_id"]) == (5, 1)


@pytest.mark.parametrize("mode", ["error_500", "timeout"])
def test_stripe_failing_at_checkout_releases_the_stock_and_says_so(
    db: SQLAlchemy,
    shopper: Shopper,
    cream: dict[str, Any],
    stripe_sandbox: StripeSandbox,
    mode: str,
) -> None:
    assert shopper.add(cream["slug"], cream["sku"], 2).status_code == 303
    stripe_sandbox.fault("/v1/checkout/sessions", mode, count=5, seconds=4)
    response = shopper.checkout()
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cart")
    said = shopper.cart_text()
    assert "could not reach our payment provider" in said
    assert "Please try again in a minute" in said  # a temporary failure: it may pass
    assert "could not be started" not in said
    [order] = _orders(db)
    assert order.status is OrderStatus.CANCELLED
    assert stock_figures(db, cream["variant_id"]) == (5, 0)  # no pending order keeps stock
    assert "Barrier Cream" in shopper.cart_text()  # the cart is intact


def test_stripe_refusing_the_checkout_says_it_could_not_start_and_logs_why(
    db: SQLAlchemy,
    app: Flask,
    shopper: Shopper,
    cream: dict[str, Any],
    stripe_sandbox: StripeSandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A session ending in 20 minutes is one Stripe refuses with a 400 (it wants 30 at least).
    app.config["CHECKOUT_SESSION_MINUTES"] = 19
    assert shopper.add(cream["slug"], cream["sku"], 2).status_code == 303
    with caplog.at_level(logging.ERROR, logger="shop.checkout"):
        response = shopper.checkout()
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cart")
    cart = shopper.cart_text()
    assert "The payment could not be started, so nothing was charged" in cart
    assert "try again in a minute" not in cart
    assert "Barrier Cream" in cart  # the cart is intact
    [order] = _orders(db)
    assert order.status is OrderStatus.CANCELLED
    assert stock_figures(db, cream["variant_id"]) == (5, 0)  # the hold is released
    # A request an earlier test timed out on may be recorded late; this test's is the 400.
    sessions = stripe_sandbox.requests(path="/v1/checkout/sessions", method="POST")
    [refused] = [r for r in sessions if r["status"] != 500]
    [logged] = [r for r in caplog.records if r.name == "shop.checkout"]
    assert logged.levelno == logging.ERROR
    assert order.number in logged.getMessage()
    assert "expires_at" in logged.getMessage()  # Stripe's own words, for staff
    assert refused["status"] == 400
    assert refused["id"] in logged.getMessage()


def test_duplicate_webhooks_fulfil_once(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    stripe_sandbox.webhooks(mode="duplicate")
    pay_url = _start(shopper, cream)
    stripe_sandbox.pay(_session_id(pay_url), email="twice@example.com")
    stripe_sandbox.wait_for_webhooks()
    [order] = _orders(db)
    assert order.status is OrderStatus.PAID
    assert stock_figures(db, cream["variant_id"]) == (3, 0)
    assert len(queued_mail(db, "order_paid")) == 1


def test_webhook_and_success_page_at_once_fulfil_once(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    stripe_sandbox.webhooks(mode="hold")
    pay_url = _start(shopper, cream)
    paid = stripe_sandbox.pay(_session_id(pay_url), email="race@example.com")
    page = threading.Thread(target=lambda: shopper.http.get(paid["redirect"]))
    page.start()
    stripe_sandbox.flush(times=2)
    page.join()
    stripe_sandbox.wait_for_webhooks()
    [order] = _orders(db)
    assert order.status is OrderStatus.PAID
    assert stock_figures(db, cream["variant_id"]) == (3, 0)
    assert len(queued_mail(db, "order_paid")) == 1


def test_delayed_payment_events_out_of_order_end_paid(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    stripe_sandbox.webhooks(mode="hold")
    session_id = _session_id(_start(shopper, cream))
    stripe_sandbox.pay(session_id, email="bank@example.com", **{"async": True})
    stripe_sandbox.control("POST", f"sessions/{session_id}/async", {"outcome": "succeeded"})
    stripe_sandbox.flush(order="reverse")  # "succeeded" arrives before "completed (unpaid)"
    stripe_sandbox.wait_for_webhooks()
    [order] = _orders(db)
    assert order.status is OrderStatus.PAID
    assert stock_figures(db, cream["variant_id"]) == (3, 0)


def test_a_made_up_return_link_is_404_and_never_reaches_stripe(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    session_id = _session_id(_start(shopper, cream))
    for made_up in ("cs_test_madeup0000000000000000", session_id + "x", "cs_' OR 1=1--"):
        page = shopper.http.get(f"{shopper.base}/checkout/success", params={"session_id": made_up})
        assert page.status_code == 404
        assert "This link does not match a checkout of ours" in visible_text(page.text)
    asked = [r["path"] for r in stripe_sandbox.requests(method="GET")]
    assert not [p for p in asked if p.startswith("/v1/checkout/sessions")]
    assert _orders(db)[0].status is OrderStatus.PENDING


def test_stripe_down_when_the_customer_returns_says_so_and_the_webhook_still_pays(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    session_id = _session_id(_start(shopper, cream))
    stripe_sandbox.webhooks(mode="hold")
    stripe_sandbox.pay(session_id, email="late@example.com")
    stripe_sandbox.fault("/v1/checkout/sessions/*", "error_500", method="GET", count=5)
    page = shopper.http.get(f"{shopper.base}/checkout/success", params={"session_id": session_id})
    assert page.status_code == 503
    assert "If you paid, your order is safe" in visible_text(page.text)
    assert _orders(db)[0].status is OrderStatus.PENDING  # nothing guessed
    stripe_sandbox.control("DELETE", "faults")
    stripe_sandbox.flush()
    stripe_sandbox.wait_for_webhooks()
    assert _orders(db)[0].status is OrderStatus.PAID
    assert stock_figures(db, cream["variant_id"]) == (3, 0)


def test_a_failed_delayed_payment_cancels_and_releases(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    session_id = _session_id(_start(shopper, cream))
    stripe_sandbox.pay(session_id, email="bank@example.com", **{"async": True})
    stripe_sandbox.wait_for_webhooks()
    success = shopper.http.get(f"{shopper.base}/checkout/success?session_id={session_id}")
    assert "Payment processing" in visible_text(success.text)
    assert _orders(db)[0].status is OrderStatus.PROCESSING
    stripe_sandbox.control("POST", f"sessions/{session_id}/async", {"outcome": "failed"})
    stripe_sandbox.wait_for_webhooks()
    assert _orders(db)[0].status is OrderStatus.CANCELLED
    assert stock_figures(db, cream["variant_id"]) == (5, 0)


def test_an_expired_checkout_gives_the_stock_back_and_a_late_expiry_changes_nothing(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    session_id = _session_id(_start(shopper, cream))
    stripe_sandbox.expire(session_id)
    stripe_sandbox.wait_for_webhooks()
    assert _orders(db)[0].status is OrderStatus.EXPIRED
    assert stock_figures(db, cream["variant_id"]) == (5, 0)

    # A paid order, then an "expired" event for it (late, or replayed): nothing changes.
    again = shopper.checkout()  # the cart still holds the two units
    second = _session_id(again.headers["Location"])
    stripe_sandbox.pay(second, email="late@example.com")
    stripe_sandbox.wait_for_webhooks()
    [expired_event] = stripe_sandbox.events("checkout.session.expired")
    replay = expired_event["event"]
    replay["id"] = "evt_late_replay"
    replay["data"]["object"]["id"] = second
    _post_signed(shopper, stripe_sandbox, replay)
    orders = _orders(db)
    assert [o.status for o in orders] == [OrderStatus.EXPIRED, OrderStatus.PAID]
    assert stock_figures(db, cream["variant_id"]) == (3, 0)


def _post_signed(shopper: Shopper, stripe_sandbox: StripeSandbox, event: dict[str, Any]) -> int:
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, stripe_sandbox.webhook_secret
    )
    response = shopper.http.post(
        shopper.base + "/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )
    return response.status_code


@pytest.mark.parametrize(
    "signature",
    ["", "t=1,v1=deadbeef", "forged", "stale"],
)
def test_forged_stale_or_missing_signatures_are_refused_and_change_nothing(
    db: SQLAlchemy,
    shopper: Shopper,
    cream: dict[str, Any],
    stripe_sandbox: StripeSandbox,
    signature: str,
) -> None:
    stripe_sandbox.webhooks(mode="hold")
    session_id = _session_id(_start(shopper, cream))
    stripe_sandbox.pay(session_id, email="x@example.com")
    event = next(e for e in stripe_sandbox.events("checkout.session.completed"))["event"]
    payload = json.dumps(event)
    if signature == "forged":
        signature = stripe.WebhookSignature.generate_signature_header(payload, "whsec_wrong")
    elif signature == "stale":
        old = int(time.time()) - 3600
        signature = stripe.WebhookSignature.generate_signature_header(
            payload, stripe_sandbox.webhook_secret, timestamp=old
        )
    headers = {"Content-Type": "application/json"}
    if signature:
        headers["Stripe-Signature"] = signature
    response = shopper.http.post(shopper.base + "/stripe/webhook", data=payload, headers=headers)
    assert response.status_code == 400
    assert _orders(db)[0].status is OrderStatus.PENDING
    assert stock_figures(db, cream["variant_id"]) == (5, 2)


def test_a_handler_that_dies_half_way_rolls_back_and_the_retry_fulfils_once(
    app: Flask,
    db: SQLAlchemy,
    shopper: Shopper,
    cream: dict[str, Any],
    stripe_sandbox: StripeSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shop.mail.services import queue_mail as real_queue_mail

    calls = {"n": 0}

    def dies_the_first_time(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the worker crashed after the order was marked paid")
        return real_queue_mail(*args, **kwargs)

    monkeypatch.setattr("shop.orders.services.queue_mail", dies_the_first_time)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    session_id = _session_id(_start(shopper, cream))
    stripe_sandbox.pay(session_id, email="retry@example.com")
    stripe_sandbox.wait_for_webhooks()
    [completed] = stripe_sandbox.events("checkout.session.completed")
    statuses = [a["status"] for a in completed["attempts"]]
    assert statuses[0] == 500
    assert statuses[-1] == 200
    [order] = _orders(db)
    assert order.status is OrderStatus.PAID
    assert stock_figures(db, cream["variant_id"]) == (3, 0)
    assert len(queued_mail(db, "order_paid")) == 1


def test_an_amount_that_does_not_match_holds_the_order_for_review(
    db: SQLAlchemy, shopper: Shopper, cream: dict[str, Any], stripe_sandbox: StripeSandbox
) -> None:
    session_id = _session_id(_start(shopper, cream))
    # Our record and Stripe's now differ: the shop thinks the goods cost one cent.
    db.session.execute(sa.update(Order).values(subtotal=1, total=1 + 695))
    db.session.commit()
    stripe_sandbox.pay(session_id, email="odd@example.com")
    stripe_sandbox.wait_for_webhooks()
    [order] = _orders(db)
    assert order.status is OrderStatus.REVIEW
    assert order.review_reason == "total 696 expected, 6295 charged"  # two creams and shipping
    assert stock_figures(db, cream["variant_id"]) == (5, 2)  # nothing sold or shipped
    assert queued_mail(db, "order_paid") == []


def test_release_expired_settles_a_checkout_whose_webhook_never_came(
    app: Flask,
    db: SQLAlchemy,
    shopper: Shopper,
    cream: dict[str, Any],
    stripe_sandbox: StripeSandbox,
) -> None:
    stripe_sandbox.set_webhook_url(None)  # the events are lost
    session_id = _session_id(_start(shopper, cream))
    stripe_sandbox.control("POST", "clock", {"advance": 40 * 60})
    db.session.execute(
        sa.update(Order).values(checkout_expires_at=utcnow() - timedelta(minutes=10))
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["orders", "release-expired"])
    assert "Settled 1 expired checkout" in result.output
    assert _orders(db)[0].status is OrderStatus.EXPIRED
    assert stock_figures(db, cream["variant_id"]) == (5, 0)
    assert any(
        r["path"] == f"/v1/checkout/sessions/{session_id}" for r in stripe_sandbox.requests()
    )


def test_unknown_event_types_are_answered_200_and_recorded(
    db: SQLAlchemy, shopper: Shopper, stripe_sandbox: StripeSandbox
) -> None:
    event = {
        "id": "evt_unknown_1",
        "object": "event",
        "type": "customer.created",
        "created": int(time.time()),
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }
    assert _post_signed(shopper, stripe_sandbox, event) == 200
    assert _post_signed(shopper, stripe_sandbox, event) == 200  # and a redelivery too
    from shop.payments.models import StripeEvent

    recorded = db.session.scalars(sa.select(StripeEvent.outcome)).all()
    db.session.rollback()
    assert recorded == ["ignored: not a type the shop handles"]
