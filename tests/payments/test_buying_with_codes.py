"""Buying with a promotion code through the live shop, real stripe-python and the sandbox,
with Stripe Tax on and off: what the sandbox received, and what the order, the customer's
mail and the staff's export say afterwards. Nothing is held or forged here: the sandbox
computes the discount and the tax itself and posts its own signed webhook.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from shop.extensions import db as shop_db
from shop.promotions.services import PromotionRules, create_promotion
from tests.factories import make_product
from tests.fixtures_live import Shopper
from tests.fixtures_mail import queued_mail
from tests.fixtures_stripe import StripeSandbox
from tests.payments.buying import (
    US_ADDRESS,
    created_session_params,
    order_figures,
)

CREAM_PRICE, SHIPPING = 2800, 695


def half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


@pytest.fixture
def cream(db: SQLAlchemy) -> tuple[str, str]:
    product = make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 2800, 9)])
    found = (product.slug, product.variants[0].sku)
    db.session.commit()
    return found


def _make(code: str, **rules: Any) -> str:
    """A promotion made as staff make it; returns its Stripe promotion code id."""
    promotion = create_promotion(PromotionRules(code=code, currency="USD", **rules))
    stripe_id = str(promotion.stripe_promotion_code_id)
    shop_db.session.commit()
    return stripe_id


def _apply(shopper: Shopper, code: str) -> None:
    token = shopper.token("/cart")
    response = shopper.http.post(
        shopper.base + "/cart/code", data={"csrf_token": token, "code": code}, allow_redirects=False
    )
    assert response.status_code == 303


def _export(app: Flask) -> dict[str, str]:
    result = app.test_cli_runner().invoke(args=["orders", "export"])
    assert result.exit_code == 0, result.output
    [row] = csv.DictReader(io.StringIO(result.output))
    return {
        k: row[k]
        for k in ("status", "subtotal", "discount", "shipping", "tax", "total", "promotion_code")
    }


def test_a_fixed_code_with_tax_on_is_charged_and_recorded_as_stripe_computed_it(
    app: Flask,
    db: SQLAlchemy,
    shopper: Shopper,
    stripe_sandbox: StripeSandbox,
    cream: tuple[str, str],
) -> None:
    app.config["SHOP_AUTOMATIC_TAX"] = True
    stripe_code = _make("SAVE5", amount_off=500)
    slug, sku = cream
    assert shopper.add(slug, sku, 2).status_code == 303
    _apply(shopper, "save5")
    session_id = _checkout(shopper)

    sent = created_session_params(stripe_sandbox)
    assert sent["discounts"] == [{"promotion_code": stripe_code}]
    assert "allow_promotion_codes" not in sent
    assert sent["automatic_tax"] == {"enabled": "true"}

    stripe_sandbox.pay(session_id, email="buyer@example.com", address=US_ADDRESS)
    stripe_sandbox.wait_for_webhooks()

    subtotal = 2 * CREAM_PRICE
    tax = half_up((subtotal - 500) * 725, 10_000)  # California's 7.25%, shipping untaxed
    order = order_figures(db)
    assert order.status.value == "paid"
    assert (order.discount, order.tax, order.promotion_code) == (500, tax, "SAVE5")
    assert order.total == order.amount_paid == subtotal - 500 + SHIPPING + tax
    [(to, body)] = queued_mail(db, "order_paid")
    assert to == "buyer@example.com"
    assert "Discount (SAVE5)" in body
    assert "-$5.00" in body
    assert f"${tax // 100}.{tax % 100:02d}" in body
    assert _export(app) == {
        "status": "paid",
        "subtotal": "56.00",
        "discount": "5.00",
        "shipping": "6.95",
        "tax": f"{tax // 100}.{tax % 100:02d}",
        "total": f"{order.total // 100}.{order.total % 100:02d}",
        "promotion_code": "SAVE5",
    }


def test_a_percentage_code_with_tax_off_is_charged_without_tax(
    app: Flask,
    db: SQLAlchemy,
    shopper: Shopper,
    stripe_sandbox: StripeSandbox,
    cream: tuple[str, str],
) -> None:
    assert app.config["SHOP_AUTOMATIC_TAX"] is False
    _make("GLOW15", percent_off=15)
    slug, sku = cream
    assert shopper.add(slug, sku, 1).status_code == 303
    _apply(shopper, "GLOW15")
    session_id = _checkout(shopper)
    assert "automatic_tax" not in created_session_params(stripe_sandbox)

    stripe_sandbox.pay(session_id, email="buyer@example.com", address=US_ADDRESS)
    stripe_sandbox.wait_for_webhooks()

    discount = half_up(CREAM_PRICE * 15, 100)  # $4.20
    order = order_figures(db)
    assert order.status.value == "paid"
    assert (order.discount, order.tax, order.promotion_code) == (discount, 0, "GLOW15")
    assert order.amount_paid == CREAM_PRICE - discount + SHIPPING
    [(_, body)] = queued_mail(db, "order_paid")
    assert "Discount (GLOW15)" in body
    assert "Tax" not in body
    exported = _export(app)
    assert (exported["discount"], exported["tax"], exported["promotion_code"]) == (
        "4.20",
        "0.00",
        "GLOW15",
    )


def _checkout(shopper: Shopper) -> str:
    response = shopper.checkout()
    assert response.status_code == 303, response.text
    return str(response.headers["Location"]).rstrip("/").rsplit("/", 1)[-1]
