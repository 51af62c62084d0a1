"""A paid order with two lines and a full Stripe-shaped address, for the order tests."""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy import SQLAlchemy

from shop.orders.models import Order
from shop.orders.services import LineSnapshot, create_pending_order
from tests.factories import make_product, pay_order

ADDRESS: dict[str, Any] = {
    "line1": "1200 Lakeview Avenue",
    "line2": "Apartment 4B",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62704",
    "country": "US",
}
# How the address reads on a label, line by line.
ADDRESS_LINES = [
    "Ann Example",
    "1200 Lakeview Avenue",
    "Apartment 4B",
    "Springfield, IL 62704",
    "United States",
]


def paid_order(db: SQLAlchemy, email: str = "ann@example.com") -> Order:
    """Two creams and a serum, paid through `fulfil_checkout`, shipping to Springfield, IL.

    Subtotal $68.00 (2 x $28.00 + $12.00) plus $6.95 shipping: $74.95 paid.
    """
    cream = make_product("Barrier Cream", variants=[("50 ml", 2800, 10)]).variants[0]
    serum = make_product("Night Serum", variants=[("30 ml", 1200, 10)]).variants[0]
    order = create_pending_order(
        [
            LineSnapshot(cream.id, "Barrier Cream", "50 ml", cream.sku, 2800, 2),
            LineSnapshot(serum.id, "Night Serum", "30 ml", serum.sku, 1200, 1),
        ],
        "USD",
        cart_id=None,
        email=email,
    )
    pay_order(
        order,
        email,
        currency="usd",
        shipping_name="Ann Example",
        shipping_address=dict(ADDRESS),
        payment_intent_id=f"pi_test_{order.id}",
    )
    db.session.commit()
    assert order.total == 7495
    return order
