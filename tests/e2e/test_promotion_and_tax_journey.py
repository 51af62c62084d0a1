"""Journey: a customer applies the demo's promotion code in the cart, sees US sales tax
computed on the sandbox's pay page once a Californian address is typed, pays, and finds the
discount and the tax on the confirmation page, in the mail and in the staff's order export.

The shop runs with automatic tax on, as `make run` does with the local sandbox; the code is
the demo's `WELCOME10`, made at the sandbox by `promotions sync` as `make run` makes it.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from shop.catalog.models import Product, Variant
from shop.core.money import format_major
from shop.demo.promotions import WELCOME_CODE, load_promotions
from shop.extensions import db
from shop.orders.models import Order, OrderStatus
from shop.promotions.services import sync_promotions
from tests.e2e.conftest import DemoShop, Shots, sign_in_staff
from tests.e2e.test_purchase_journeys import (
    PAYS,
    PRODUCT_NAME,
    add_to_cart_from_product_page,
    mail_to,
    wait_for,
)

BUYER = "cali@example.com"
CALIFORNIA_RATE = 7250  # the sandbox's rate for CA, in thousandths of a percent (7.25%)


def half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def test_a_customer_uses_the_demo_code_and_pays_californian_sales_tax(
    demo_shop: DemoShop, page: Any, browser: Any, shots: Shots
) -> None:
    app = demo_shop.app
    app.config["SHOP_AUTOMATIC_TAX"] = True
    load_promotions(app.config["SHOP_CURRENCY"])
    assert sync_promotions() >= 1
    db.session.commit()
    price = db.session.scalar(
        sa.select(Variant.price)
        .join(Product)
        .where(Product.name == PRODUCT_NAME)
        .order_by(Variant.position)
    )
    assert price is not None
    db.session.close()
    discount = half_up(price * 10, 100)
    tax = half_up((price - discount) * CALIFORNIA_RATE, 100_000)
    assert tax > 0

    base = demo_shop.url
    page.goto(f"{base}/products/adapalene-gel")
    add_to_cart_from_product_page(page)
    page.get_by_label("Promotion code").fill("welcome10")
    page.get_by_role("button", name="Apply").click()
    summary = page.locator(".cart-discount")
    expect(summary).to_contain_text(f"Discount ({WELCOME_CODE})")
    expect(page.get_by_text("calculated at checkout")).to_be_visible()
    shots(page, "cart-with-code")

    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(re.escape(demo_shop.sandbox.url) + r"/pay/cs_"))
    order_table = page.get_by_role("table")
    expect(order_table).to_contain_text(WELCOME_CODE)
    expect(order_table).to_contain_text("Enter your address to calculate")

    page.get_by_label("Email").fill(BUYER)
    page.get_by_label("Full name").fill("Carla Coast")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Address line 1").fill("500 Mission Street")
    page.get_by_label("Town or city").fill("San Francisco")
    page.get_by_label("Postal code").fill("94105")
    page.get_by_label("State, province or region").fill("CA")
    page.get_by_role("button", name=re.compile("^(Calculate tax|Update total)$")).click()
    expect(order_table).to_contain_text("California")
    expect(order_table).to_contain_text("7.25%")
    shots(page, "pay-page-with-tax")

    page.get_by_label("Card number").fill(PAYS)
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    page.wait_for_url(re.compile(r"/checkout/success\?session_id=cs_"))
    totals = page.get_by_role("table")
    expect(totals).to_contain_text(f"Discount ({WELCOME_CODE})")
    expect(totals).to_contain_text("Tax")
    shots(page, "success")

    order = wait_for(
        lambda: db.session.scalar(
            sa.select(Order).where(Order.email == BUYER, Order.status == OrderStatus.PAID)
        ),
        "the paid order",
    )
    assert (order.discount, order.tax, order.promotion_code) == (discount, tax, WELCOME_CODE)
    assert order.total == price - discount + order.shipping + tax
    db.session.close()

    mail = wait_for(lambda: mail_to(demo_shop, BUYER), "the confirmation mail")[0]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert WELCOME_CODE in text
    assert "Tax" in text

    staff = browser.new_context()
    staff_page = staff.new_page()
    sign_in_staff(staff_page, base, demo_shop.staff["owner"])
    response = staff_page.request.get(f"{base}/admin/orders/export.csv")
    rows = {r["order_number"]: r for r in csv.DictReader(io.StringIO(response.text()))}
    row = rows[order.number]
    assert row["promotion_code"] == WELCOME_CODE
    assert row["discount"] == format_major(discount, order.currency)
    assert row["tax"] == format_major(tax, order.currency)
    staff_page.goto(f"{base}/admin/promotions/")
    expect(staff_page.get_by_role("row", name=re.compile(WELCOME_CODE))).to_contain_text("1")
    shots(staff_page, "admin-promotions")
    staff.close()
