"""Promotions for the cart, checkout, answer-page and report tests.

`make_promotion` writes a row with made-up Stripe ids, for tests where Stripe is not
involved. `sandbox_promotion` first makes the coupon and promotion code in the sandbox (as
the promotions service would at Stripe) and then the row, for tests that check out there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask import current_app

from shop.editorial.models import Answer
from shop.extensions import db
from shop.promotions.models import Promotion
from tests.fixtures_stripe import StripeSandbox

_made = 0


def make_promotion(
    code: str = "WELCOME10",
    *,
    percent_off: int | None = None,
    amount_off: int | None = None,
    min_subtotal: int | None = None,
    max_redemptions: int | None = None,
    expires_at: datetime | None = None,
    ended_at: datetime | None = None,
    answer: Answer | None = None,
    stripe_promotion_code_id: str | None = "",
) -> Promotion:
    """A promotion row (10% off unless told); its Stripe ids are made up unless given."""
    global _made
    _made += 1
    if percent_off is None and amount_off is None:
        percent_off = 10
    promotion = Promotion(
        code=code,
        percent_off=percent_off,
        amount_off=amount_off,
        currency=str(current_app.config["SHOP_CURRENCY"]).lower(),
        min_subtotal=min_subtotal,
        max_redemptions=max_redemptions,
        expires_at=expires_at,
        ended_at=ended_at,
        answer_id=answer.id if answer is not None else None,
        stripe_coupon_id=f"coupon_test_{_made}",
        stripe_promotion_code_id=(
            f"promo_test_{_made}" if stripe_promotion_code_id == "" else stripe_promotion_code_id
        ),
    )
    db.session.add(promotion)
    db.session.flush()
    return promotion


def sandbox_promotion(
    stripe_sandbox: StripeSandbox, code: str, *, percent_off: int, **rules: Any
) -> Promotion:
    """Make the coupon and the promotion code in the sandbox, then the shop's row for them.

    Skips the test while the sandbox has no `/v1/coupons` (the sandbox's engineer adds it).
    """
    coupon = stripe_sandbox.api(
        "POST", "/v1/coupons", {"percent_off": str(percent_off), "duration": "once"}
    )
    if coupon.status == 404:
        pytest.skip("needs the sandbox's /v1/coupons and /v1/promotion_codes")
    assert coupon.status == 200, coupon.text
    form = {"coupon": coupon.json()["id"], "code": code}
    if rules.get("max_redemptions"):
        form["max_redemptions"] = str(rules["max_redemptions"])
    promo = stripe_sandbox.api("POST", "/v1/promotion_codes", form)
    assert promo.status == 200, promo.text
    promotion = make_promotion(
        code,
        percent_off=percent_off,
        stripe_promotion_code_id=str(promo.json()["id"]),
        **rules,
    )
    promotion.stripe_coupon_id = str(coupon.json()["id"])
    db.session.flush()
    return promotion


def sandbox_or_row_promotion(
    stripe_sandbox: StripeSandbox, code: str, *, percent_off: int, **rules: Any
) -> Promotion:
    """As `sandbox_promotion`, but while the sandbox has no coupons, a row with made-up ids
    (for tests whose outcome is decided before Stripe is asked)."""
    probe = stripe_sandbox.api("GET", "/v1/coupons")
    if probe.status == 404:
        return make_promotion(code, percent_off=percent_off, **rules)
    return sandbox_promotion(stripe_sandbox, code, percent_off=percent_off, **rules)
