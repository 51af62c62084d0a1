"""The dashboard's sales say what they include: the tax collected and the discounts given
beside paid sales, and what the sales come to net of tax."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.orders.models import Order, OrderStatus
from shop.orders.services import LineSnapshot, create_pending_order, record_refund
from tests.factories import make_product, pay_order, promotion_named
from tests.fixtures_staff import sign_in
from tests.html import visible_text


def _paid(price: int, quantity: int, discount: int = 0, tax: int = 0, code: str = "") -> Order:
    """An order paid with `discount` off its goods and `tax` on top, as Stripe charged it."""
    variant = make_product("Barrier Cream", variants=[("50 ml", price, 20)]).variants[0]
    order = create_pending_order(
        [LineSnapshot(variant.id, "Barrier Cream", "50 ml", variant.sku, price, quantity)],
        "USD",
        cart_id=None,
        email="buyer@example.com",
    )
    order.discount, order.tax, order.promotion_code = discount, tax, code or None
    if code:
        order.promotion_id = promotion_named(code).id
    order.total = order.subtotal - discount + order.shipping + tax
    pay_order(order, "buyer@example.com")
    assert order.status is OrderStatus.PAID
    return order


def _money_figures(client: FlaskClient) -> str:
    page = client.get("/admin/dashboard")
    assert page.status_code == 200
    text = visible_text(page)
    start = text.index("Paid sales less refunds")
    return text[start : text.index("Tax and discounts leave out", start)]


def test_the_dashboard_shows_tax_collected_and_discounts_given_beside_sales(
    client: FlaskClient, db: SQLAlchemy, make_staff: Callable[..., StaffUser]
) -> None:
    _paid(2800, 2, discount=560, tax=420, code="SPRING10")  # 5600 - 560 + 695 + 420 = 6155
    _paid(4000, 2)  # 8000, free shipping, no code, no tax
    refunded = _paid(1500, 1, discount=150, tax=100, code="SPRING10")  # 1500 - 150 + 695 + 100
    record_refund(refunded, refunded.total, "charge ch_all")
    db.session.commit()
    assert refunded.status is OrderStatus.REFUNDED
    make_staff("ed@example.com", StaffRole.EDITOR)
    assert sign_in(client, "ed@example.com")[0] == 303

    assert _money_figures(client) == (
        "Paid sales less refunds $141.55 what customers paid, after discounts and with tax "
        "Sales tax collected $4.20 charged by Stripe on these sales, owed to the tax authorities "
        "Sales net of tax $137.35 "
        "Discounts given $5.60 taken off the goods by promotion codes "
        "(already out of the sales above) "
    )


def test_a_shop_without_tax_or_codes_shows_zero_for_both(
    client: FlaskClient, db: SQLAlchemy, make_staff: Callable[..., StaffUser]
) -> None:
    _paid(4000, 2)
    db.session.commit()
    make_staff("ed@example.com", StaffRole.EDITOR)
    assert sign_in(client, "ed@example.com")[0] == 303

    figures = _money_figures(client)
    assert "Paid sales less refunds $80.00" in figures
    assert "Sales tax collected $0.00" in figures
    assert "Sales net of tax $80.00" in figures
    assert "Discounts given $0.00" in figures
