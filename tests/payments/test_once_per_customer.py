"""A code allowed once per customer: the cart cannot know who the customer is (Stripe's page
asks for the address), so a second paid use by the same address is caught when the payment
is settled, and the order waits for staff instead of shipping at a discount it was not due."""

from __future__ import annotations

from flask_sqlalchemy import SQLAlchemy

from shop.orders.models import Order, OrderStatus
from shop.orders.services import LineSnapshot, create_pending_order
from shop.promotions.models import Promotion
from tests.factories import make_product, pay_order


def _order_with(promotion: Promotion, variant_id: int, sku: str) -> int:
    order = create_pending_order(
        [LineSnapshot(variant_id, "Barrier Cream", "50 ml", sku, 2800, 1)],
        "USD",
        None,
        discount=280,
        promotion=promotion,
    )
    return order.id


def test_a_second_use_by_the_same_address_goes_to_review_naming_the_discount(
    db: SQLAlchemy,
) -> None:
    variant = make_product("Barrier Cream", variants=[("50 ml", 2800, 9)]).variants[0]
    promotion = Promotion(
        code="FIRSTJAR", percent_off=10, currency="USD", once_per_customer=True,
        stripe_coupon_id="coupon_first", stripe_promotion_code_id="promo_first",
    )  # fmt: skip
    db.session.add(promotion)
    db.session.flush()
    first = db.session.get_one(Order, _order_with(promotion, variant.id, variant.sku))
    pay_order(first, "ana@example.com")
    assert first.status is OrderStatus.PAID

    again = _order_with(promotion, variant.id, variant.sku)
    other = _order_with(promotion, variant.id, variant.sku)
    second = db.session.get_one(Order, again)
    pay_order(second, "ANA@example.com")
    someone_else = db.session.get_one(Order, other)
    pay_order(someone_else, "bea@example.com")

    assert second.status is OrderStatus.REVIEW
    assert second.review_reason == "discount 0 expected, 280 charged"
    assert someone_else.status is OrderStatus.PAID
    assert someone_else.discount == 280
