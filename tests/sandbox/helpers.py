"""Parameters of a typical shop checkout, for the sandbox's tests."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

import stripe

if TYPE_CHECKING:
    from stripe.params import CouponCreateParams, PromotionCodeCreateParams, RefundCreateParams
    from stripe.params.checkout import SessionCreateParams

SUCCESS_URL = "http://shop.test/checkout/done?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://shop.test/cart"


def session_params(**overrides: Any) -> SessionCreateParams:
    """Return create-session parameters like the shop's: two lines, two shipping options."""
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 2450,
                    "product_data": {"name": "Barrier Repair Serum 30 ml"},
                },
                "quantity": 2,
            },
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 1800,
                    "product_data": {"name": "Gentle Cleanser"},
                },
                "quantity": 1,
            },
        ],
        "customer_email": "ana@example.com",
        "client_reference_id": "order-17",
        "metadata": {"order_id": "17"},
        "payment_intent_data": {"metadata": {"order_id": "17"}},
        "shipping_address_collection": {"allowed_countries": ["US", "CA"]},
        "shipping_options": [
            {
                "shipping_rate_data": {
                    "display_name": "Standard",
                    "type": "fixed_amount",
                    "fixed_amount": {"amount": 695, "currency": "usd"},
                }
            },
            {
                "shipping_rate_data": {
                    "display_name": "Express",
                    "type": "fixed_amount",
                    "fixed_amount": {"amount": 1500, "currency": "usd"},
                }
            },
        ],
        "expires_at": int(time.time()) + 45 * 60,
    }
    params.update(overrides)
    return cast("SessionCreateParams", params)


def loose_refund(**params: Any) -> RefundCreateParams:
    """Return refund parameters as given, even ill-typed ones (to test the server's checks)."""
    return cast("RefundCreateParams", params)


SUBTOTAL = 2 * 2450 + 1800


def promotion_code(
    client: stripe.StripeClient,
    code: str,
    coupon: dict[str, Any] | None = None,
    **promo: Any,
) -> stripe.PromotionCode:
    """Create a coupon (15% off unless `coupon` says otherwise) and a promotion code for it."""
    made = client.v1.coupons.create(cast("CouponCreateParams", coupon or {"percent_off": 15}))
    params = {"promotion": {"type": "coupon", "coupon": made.id}, "code": code} | promo
    return client.v1.promotion_codes.create(cast("PromotionCodeCreateParams", params))
