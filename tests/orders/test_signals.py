"""Paying an order announces it (`order_paid`); the cart empties itself on hearing it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from shop.cart.models import CartLine
from shop.cart.services import clear_paid_cart, listen_to_orders
from shop.catalog.models import Variant
from shop.orders.models import Order, OrderStatus
from shop.orders.services import LineSnapshot, create_pending_order
from shop.orders.signals import order_paid
from tests.factories import make_cart, make_product, pay_order

heard: list[int] = []


def _count_paid(order: Order, **_: object) -> None:
    heard.append(order.id)


def _cart_lines(db: SQLAlchemy, cart_id: int) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(CartLine).where(CartLine.cart_id == cart_id)
        )
        or 0
    )


def _order_from_cart(db: SQLAlchemy) -> tuple[Order, int, int]:
    """A pending order from one cart, and another cart with the same cream in it."""
    cream: Variant = make_product("Barrier Cream", variants=[("50 ml", 2800, 10)]).variants[0]
    cart, other = make_cart([(cream, 2)]), make_cart([(cream, 1)])
    order = create_pending_order(
        [LineSnapshot(cream.id, "Barrier Cream", "50 ml", cream.sku, 2800, 2)],
        "USD",
        cart_id=cart.id,
        email="ann@example.com",
    )
    db.session.commit()
    return order, cart.id, other.id


def test_paying_an_order_empties_its_cart_in_the_same_unit_of_work(db: SQLAlchemy) -> None:
    order, cart_id, other_id = _order_from_cart(db)
    pay_order(order, "ann@example.com")
    # Not committed yet: the cart is empty inside the unit of work that paid the order...
    assert _cart_lines(db, cart_id) == 0
    db.session.rollback()
    # ...and comes back with it when that unit is rolled back.
    assert _cart_lines(db, cart_id) == 1
    pay_order(order, "ann@example.com")
    db.session.commit()
    assert order.status is OrderStatus.PAID
    assert _cart_lines(db, cart_id) == 0
    assert _cart_lines(db, other_id) == 1  # only that order's cart


def test_a_receiver_connected_twice_hears_each_payment_once(db: SQLAlchemy) -> None:
    order, _, _ = _order_from_cart(db)
    heard.clear()
    order_paid.connect(_count_paid)
    order_paid.connect(_count_paid)
    try:
        pay_order(order, "ann@example.com")
        pay_order(order, "ann@example.com")  # reported twice: paid once
    finally:
        order_paid.disconnect(_count_paid)
    assert heard == [order.id]


def test_building_apps_again_leaves_one_cart_receiver(app: Flask) -> None:
    listen_to_orders()
    listen_to_orders()
    assert list(order_paid.receivers_for(None)).count(clear_paid_cart) == 1


def test_an_order_is_paid_with_nobody_listening(db: SQLAlchemy) -> None:
    order, cart_id, _ = _order_from_cart(db)
    with order_paid.muted():
        pay_order(order, "ann@example.com")
    db.session.commit()
    assert order.status is OrderStatus.PAID
    assert _cart_lines(db, cart_id) == 1  # nobody emptied it
