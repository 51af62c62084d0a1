"""Promotions for the cart, checkout, answer-page and report tests.

`make_promotion` writes a row with made-up Stripe ids, for tests where Stripe is not
involved. `sandbox_promotion` makes one as staff do (the promotions service makes the coupon
and promotion code in the sandbox, then the row), for tests that check out there.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from shop.editorial.models import Answer
from shop.extensions import db
from shop.promotions.models import Promotion
from shop.promotions.services import PromotionRules, create_promotion
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
    stripe_sandbox: StripeSandbox,
    code: str,
    *,
    percent_off: int,
    max_redemptions: int | None = None,
    answer: Answer | None = None,
) -> Promotion:
    """Make a promotion as staff do: the coupon and the promotion code in the sandbox (through
    the shop's own promotions service), then the shop's row for them."""
    promotion = create_promotion(
        PromotionRules(
            code=code,
            currency=str(current_app.config["SHOP_CURRENCY"]),
            percent_off=percent_off,
            max_redemptions=max_redemptions,
            answer_slug=answer.slug if answer is not None else None,
        )
    )
    assert stripe_sandbox.requests("/v1/promotion_codes", "POST")
    return promotion
