"""A reader reads an answer, follows its recommendation and buys: the answer gets the credit."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from shop.links.models import AnswerProductLink, OrderAttribution
from shop.orders.models import Order, OrderStatus
from tests.factories import make_answer, make_product
from tests.fixtures_live import LiveServer, Shopper
from tests.fixtures_stripe import StripeSandbox


def test_buying_through_an_answer_credits_it_on_the_order_in_stripe_and_in_the_report(
    app: Flask, db: SQLAlchemy, live_shop: LiveServer, shopper: Shopper,
    stripe_sandbox: StripeSandbox,
) -> None:  # fmt: skip
    first = make_answer("Which cleanser for rosacea?", slug="rosacea-cleanser")
    second = make_answer("Is a barrier cream worth it?", slug="barrier-worth-it")
    cream = make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 3000, 5)])
    sku = cream.variants[0].sku
    db.session.add(AnswerProductLink(answer_id=second.id, product_id=cream.id, note="Yes."))
    ids = (first.id, second.id)
    db.session.commit()

    base = live_shop.url
    assert shopper.http.get(f"{base}/answers/rosacea-cleanser").status_code == 200
    assert shopper.http.get(f"{base}/answers/barrier-worth-it").status_code == 200
    followed = shopper.http.get(f"{base}/answers/barrier-worth-it/products/barrier-cream")
    assert followed.url == f"{base}/products/barrier-cream"
    assert shopper.add("barrier-cream", sku, 2).status_code == 303
    pay_url = shopper.checkout().headers["Location"]
    session_id = pay_url.rsplit("/", 1)[-1]

    [created] = stripe_sandbox.requests(path="/v1/checkout/sessions", method="POST")
    assert created["params"]["metadata"]["source_answer"] == "barrier-worth-it"

    stripe_sandbox.pay(session_id, email="reader@example.com")
    stripe_sandbox.wait_for_webhooks()

    order = db.session.scalars(sa.select(Order)).one()
    credits = sorted((a.answer_id, a.role) for a in db.session.scalars(sa.select(OrderAttribution)))
    status, total = order.status, order.total
    db.session.rollback()
    assert status is OrderStatus.PAID
    assert credits == [(ids[0], "assist"), (ids[1], "source")]

    report = app.test_cli_runner().invoke(args=["report", "answers"]).output.splitlines()
    row = next(line for line in report if line.startswith("barrier-worth-it,"))
    # views, clicks, add-to-carts, orders, assisted orders, revenue (no tax), code revenue
    assert row.split(",")[2:] == ["1", "1", "1", "1", "0", f"{total / 100:.2f}", "0.00", "USD"]
    assisted = next(line for line in report if line.startswith("rosacea-cleanser,"))
    assert assisted.split(",")[5:7] == ["0", "1"]


def test_a_forged_visit_cookie_credits_nothing(
    db: SQLAlchemy, live_shop: LiveServer, shopper: Shopper, stripe_sandbox: StripeSandbox
) -> None:
    answer = make_answer("Is sunscreen needed in winter?", slug="winter-spf")
    cream = make_product("Daily Fluid", slug="daily-fluid", variants=[("50 ml", 2400, 5)])
    sku = cream.variants[0].sku
    db.session.add(AnswerProductLink(answer_id=answer.id, product_id=cream.id))
    db.session.commit()

    assert shopper.add("daily-fluid", sku, 1).status_code == 303
    real = shopper.http.cookies.get("session")
    assert real is not None
    # A visitor edits the cookie to claim they read the answer: the signature no longer
    # matches, so the shop sees a fresh visit (and an empty cart) and credits nothing.
    shopper.http.cookies.clear()
    shopper.http.cookies.set("session", real[:-4] + "AAAA")
    assert "Your cart is empty" in shopper.cart_text()
    assert db.session.scalars(sa.select(OrderAttribution)).all() == []
    db.session.rollback()
