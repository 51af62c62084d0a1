"""Journey 5: a customer on a phone browses, buys and pays, and never has to scroll sideways.

On every page of the way (the shop's pages and the sandbox's hosted pay page) the page must
be no wider than the phone's 375px screen. A phone shrinks a page that is too wide to fit
(its layout viewport grows), so `scrollWidth <= innerWidth` alone would pass an overflowing
page: the test also asserts the viewport is still 375px wide.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from shop.catalog.models import Product
from shop.extensions import db
from tests.e2e.conftest import DemoShop, Shots
from tests.e2e.phone import LONG_NAME, assert_fits_the_phone


def test_a_phone_customer_browses_buys_and_pays_without_scrolling_sideways(
    demo_shop: DemoShop, phone_page: Any, shots: Shots
) -> None:
    product = db.session.scalar(sa.select(Product).where(Product.slug == "niacinamide-10-serum"))
    assert product is not None
    product.name = LONG_NAME
    db.session.commit()
    db.session.close()
    page = phone_page

    page.goto(demo_shop.url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_fits_the_phone(page, shots, "home")

    # The categories fold into the header's menu on a phone.
    page.get_by_text("Menu", exact=True).tap()
    page.get_by_role("navigation", name="Categories").get_by_role("link", name="Serums").tap()
    page.wait_for_url(re.compile(r"/categories/serums$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Serums")
    assert_fits_the_phone(page, shots, "category")

    page.get_by_role("main").get_by_role("link", name=re.compile("Tetrahexyldecylascorbate")).tap()
    page.wait_for_url(re.compile(r"/products/niacinamide-10-serum$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(LONG_NAME)
    assert_fits_the_phone(page, shots, "product")

    page.get_by_role("button", name="Add to cart").tap()
    page.wait_for_url(re.compile(r"/cart$"))
    lines = page.get_by_role("list", name="Items in your cart")
    expect(lines.get_by_role("link", name=LONG_NAME)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Cart \(1 item"))).to_be_visible()
    assert_fits_the_phone(page, shots, "cart")

    page.get_by_role("button", name="Checkout").tap()
    page.wait_for_url(re.compile(r"/pay/cs_"))
    expect(page.get_by_role("heading", name="Your order")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Tetrahexyldecylascorbate")
    assert_fits_the_phone(page, shots, "pay-page")

    page.get_by_label("Email").fill("phone@example.com")
    page.get_by_label("Full name").fill("Pat Phone")
    page.get_by_label("Address line 1").fill("12 Small Screen Street")
    page.get_by_label("Town or city").fill("Portland")
    page.get_by_label("Postal code").fill("97201")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("Security code (CVC)").fill("123")
    assert_fits_the_phone(page, shots, "pay-page-filled")
    page.get_by_role("button", name=re.compile(r"^Pay \$")).tap()

    page.wait_for_url(re.compile(r"/checkout/success\?session_id=cs_"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")
    expect(page.get_by_role("main")).to_contain_text(LONG_NAME)
    assert_fits_the_phone(page, shots, "success")


def test_a_long_search_on_a_phone_does_not_widen_the_page(
    demo_shop: DemoShop, phone_page: Any, shots: Shots
) -> None:
    page = phone_page
    page.goto(demo_shop.url + "/products/")
    assert_fits_the_phone(page, shots, "products")
    # A pasted link is one long word: the results page repeats it in its heading.
    pasted = "https://example.com/skincare/" + "niacinamide-serum-review-" * 5
    box = page.get_by_role("searchbox")
    box.tap()
    page.keyboard.type(pasted)
    assert_fits_the_phone(page, shots, "typed")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    expect(page.get_by_role("heading", level=1)).to_contain_text("niacinamide-serum-review")
    assert_fits_the_phone(page, shots, "results")
