"""A reader code's sales are credited to its answer; `report answers` shows their revenue."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from shop.links.attribution import credit_code_answer, credit_order
from shop.links.models import OrderAttribution
from shop.orders.models import Order, OrderStatus
from shop.orders.services import LineSnapshot, create_pending_order
from shop.promotions.models import Promotion
from tests.cart.promotions import sandbox_promotion
from tests.factories import make_answer, make_product, pay_order
from tests.fixtures_live import LiveServer, Shopper
from tests.fixtures_stripe import StripeSandbox


def report(app: Flask) -> dict[str, list[str]]:
    """`report answers` as {slug: [orders, assisted, revenue, code_revenue, currency]}."""
    result = app.test_cli_runner().invoke(args=["report", "answers"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split(",")[5:] == [
        "orders", "assisted_orders", "revenue", "code_revenue", "currency",
    ]  # fmt: skip
    return {line.split(",")[0]: line.split(",")[5:] for line in lines[1:]}


def _order(promotion: Promotion | None, quantity: int = 2) -> Order:
    product = make_product(variants=[("50 ml", 2800, 50)])
    variant = product.variants[0]
    line = LineSnapshot(variant.id, product.name, "50 ml", variant.sku, 2800, quantity)
    subtotal = 2800 * quantity
    discount = (subtotal * (promotion.percent_off or 0) + 50) // 100 if promotion else 0
    return create_pending_order([line], "USD", None, discount=discount, promotion=promotion)


def _pay(order: Order, tax: int = 0) -> None:
    # Stripe's tax is added to what the customer pays (the settling module records it).
    order.tax = tax
    order.total += tax
    pay_order(order, "reader@example.com", amount_total=order.total)


def test_report_answers_shows_code_revenue_net_of_tax_discount_and_refunds(
    app: Flask, db: SQLAlchemy
) -> None:
    reader = make_answer("Is a barrier cream worth it?", slug="barrier-worth-it")
    other = make_answer("Which cleanser for rosacea?", slug="rosacea-cleanser")
    code = Promotion(
        code="READERS15", percent_off=15, currency="usd", answer_id=reader.id,
        stripe_coupon_id="coupon_r", stripe_promotion_code_id="promo_r",
    )  # fmt: skip
    db.session.add(code)
    db.session.flush()

    # The code's answer is the source even when the visit read another one last.
    with_tax = _order(code)  # 56.00 - 8.40 + 6.95 = 54.55
    credit_order(with_tax.id, [other.id])
    credit_code_answer(with_tax.id, reader.id)
    _pay(with_tax, tax=400)  # 58.55 paid, 4.00 of it tax: 54.55 kept
    # No answer read in the visit at all.
    refunded = _order(code)
    credit_code_answer(refunded.id, reader.id)
    _pay(refunded, tax=400)
    refunded.refunded_amount = 1000  # 48.55 kept, less its share of the tax: 4855 - 331
    refunded.status = OrderStatus.PARTIALLY_REFUNDED
    # Read the answer, bought without its code: revenue, not code revenue.
    plain = _order(None)  # 56.00 + 6.95
    credit_order(plain.id, [reader.id])
    _pay(plain)
    # An unpaid checkout with the code counts nowhere.
    credit_code_answer(_order(code).id, reader.id)
    db.session.commit()

    roles = {
        (a.order_id, a.answer_id): a.role for a in db.session.scalars(sa.select(OrderAttribution))
    }
    assert roles[(with_tax.id, reader.id)] == "source"
    assert roles[(with_tax.id, other.id)] == "assist"

    rows = report(app)
    assert rows["barrier-worth-it"] == ["3", "0", "162.74", "99.79", "USD"]
    assert rows["rosacea-cleanser"] == ["0", "1", "0.00", "0.00", "USD"]


def test_checking_out_with_a_reader_code_credits_its_answer_though_never_read(
    db: SQLAlchemy, live_shop: LiveServer, shopper: Shopper, stripe_sandbox: StripeSandbox
) -> None:
    reader = make_answer("Is a barrier cream worth it?", slug="barrier-worth-it")
    other = make_answer("Which cleanser for rosacea?", slug="rosacea-cleanser")
    sandbox_promotion(stripe_sandbox, "READERS15", percent_off=15, answer=reader)
    cream = make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 2800, 5)])
    ids, sku = (reader.id, other.id), cream.variants[0].sku
    db.session.commit()

    assert shopper.http.get(f"{live_shop.url}/answers/rosacea-cleanser").status_code == 200
    assert shopper.add("barrier-cream", sku, 2).status_code == 303
    _apply(shopper, "READERS15")
    assert shopper.checkout().status_code == 303

    credits = sorted((a.answer_id, a.role) for a in db.session.scalars(sa.select(OrderAttribution)))
    db.session.rollback()
    assert credits == sorted([(ids[0], "source"), (ids[1], "assist")])


def test_a_paid_reader_code_sale_shows_in_report_answers(
    app: Flask, db: SQLAlchemy, live_shop: LiveServer, shopper: Shopper,
    stripe_sandbox: StripeSandbox,
) -> None:  # fmt: skip
    reader = make_answer("Is a barrier cream worth it?", slug="barrier-worth-it")
    sandbox_promotion(stripe_sandbox, "READERS15", percent_off=15, answer=reader)
    cream = make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 2800, 5)])
    sku = cream.variants[0].sku
    db.session.commit()

    assert shopper.add("barrier-cream", sku, 2).status_code == 303
    _apply(shopper, "READERS15")
    pay_url = shopper.checkout().headers["Location"]
    stripe_sandbox.pay(pay_url.rsplit("/", 1)[-1], email="reader@example.com")
    stripe_sandbox.wait_for_webhooks()

    order = db.session.scalars(sa.select(Order)).one()
    facts: dict[str, Any] = {"status": order.status, "paid": order.amount_paid}
    db.session.rollback()
    assert facts == {"status": OrderStatus.PAID, "paid": 5600 - 840 + 695}
    assert report(app)["barrier-worth-it"] == ["1", "0", "54.55", "54.55", "USD"]


def _apply(shopper: Shopper, code: str) -> None:
    token = shopper.token("/cart")
    response = shopper.http.post(
        shopper.base + "/cart/code", data={"csrf_token": token, "code": code}, allow_redirects=False
    )
    assert response.status_code == 303


def test_a_reader_code_typed_on_stripes_page_credits_its_answer_and_is_paid_not_reviewed(
    app: Flask, db: SQLAlchemy, live_shop: LiveServer, shopper: Shopper,
    stripe_sandbox: StripeSandbox,
) -> None:  # fmt: skip
    reader = make_answer("Is a barrier cream worth it?", slug="barrier-worth-it")
    promotion_id = sandbox_promotion(stripe_sandbox, "READERS15", percent_off=15, answer=reader).id
    cream = make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 2800, 5)])
    sku, answer_id = cream.variants[0].sku, reader.id
    db.session.commit()

    assert shopper.add("barrier-cream", sku, 2).status_code == 303
    pay_url = shopper.checkout().headers["Location"]  # no code in the cart
    [created] = stripe_sandbox.requests("/v1/checkout/sessions", "POST")
    assert created["params"]["allow_promotion_codes"] == "true"
    # The reader remembers the code from the column and types it on Stripe's page.
    stripe_sandbox.pay(
        pay_url.rsplit("/", 1)[-1], email="reader@example.com", promotion_code="readers15"
    )
    stripe_sandbox.wait_for_webhooks()

    order = db.session.scalars(sa.select(Order)).one()
    figures = (order.status, order.discount, order.promotion_code, order.promotion_id)
    paid = order.amount_paid
    credits = [(a.answer_id, a.role) for a in db.session.scalars(sa.select(OrderAttribution))]
    db.session.rollback()
    assert figures == (OrderStatus.PAID, 840, "READERS15", promotion_id)
    assert paid == 5600 - 840 + 695
    assert credits == [(answer_id, "source")]
    assert report(app)["barrier-worth-it"] == ["1", "0", "54.55", "54.55", "USD"]
