"""The shop laid out for a phone (375x844): every kind of page fits the screen whatever the
fonts, the header is compact, the catalogue's filters open from its top, and the cart's count
stays beside the word "Cart".

A product and an answer get names with one word too long for a phone's line. Each width check
runs twice: with this machine's fonts, and with a wide font appended to the shop's stylesheet,
so that it does not depend on which fonts happen to be installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop.catalog.models import Product
from shop.editorial.models import Answer, AnswerStatus
from shop.extensions import db
from shop.links.models import AnswerProductLink
from tests.e2e.conftest import DemoShop, Shots, context_page
from tests.e2e.phone import (
    LONG_NAME,
    assert_wide_font_applied,
    fit_problems,
    use_wide_font,
)
from tests.e2e.test_accessibility import _check as check_accessibility

PHONE = {"width": 375, "height": 844}
HEADER_MAX = 120  # px: the logo, the cart, the menu and the search, in two rows
LONG_QUESTION = (
    "Can I use tetrahexyldecylascorbate with my niacinamide serum, or do the two cancel each "
    "other out?"
)
LONG_WORD = "Tetrahexyldecylascorbate"

# Where the cart's count sits against the word "Cart" in the header's link.
CART_LINE = """() => {
  const link = document.querySelector(".nav-cart a");
  const count = link && link.querySelector(".cart-count");
  if (!count) return null;
  const word = document.createRange();
  word.selectNodeContents(link.firstChild);
  const w = word.getBoundingClientRect(), c = count.getBoundingClientRect();
  return {text: link.textContent, wordTop: w.top, wordBottom: w.bottom,
          countTop: c.top, countBottom: c.bottom};
}"""


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A 375x844 phone (touch, mobile viewport) with its own cookies."""
    yield from context_page(
        browser, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )


@pytest.fixture
def long_names(demo_shop: DemoShop) -> dict[str, str]:
    """Give a product, and an answer recommending it, a word too long for a phone's line;
    return the paths of their pages."""
    product = db.session.scalar(sa.select(Product).where(Product.slug == "niacinamide-10-serum"))
    assert product is not None, "the niacinamide serum in the demo"
    answer = db.session.scalar(
        sa.select(Answer)
        .join(AnswerProductLink, AnswerProductLink.answer_id == Answer.id)
        .where(AnswerProductLink.product_id == product.id)
        .where(Answer.status == AnswerStatus.PUBLISHED)
        .order_by(Answer.id)
        .limit(1)
    )
    assert answer is not None, "a published answer recommending the serum in the demo"
    product.name = LONG_NAME
    answer.question = LONG_QUESTION
    paths = {"product": f"/products/{product.slug}", "answer": f"/answers/{answer.slug}"}
    db.session.commit()
    db.session.close()
    return paths


def every_kind_of_page(shop: DemoShop, page: Any, paths: dict[str, str]) -> Iterator[str]:
    """Put the long-named product in the cart, then show each kind of page, yielding its name."""
    page.goto(shop.url + paths["product"])
    expect(page.get_by_role("heading", level=1)).to_have_text(LONG_NAME)
    page.get_by_role("button", name="Add to cart").tap()
    page.wait_for_url(re.compile(r"/cart$"))
    expect(page.get_by_role("list", name="Items in your cart")).to_contain_text(LONG_WORD)
    yield "cart"
    for name, path in [
        ("home", "/"),
        ("catalogue", "/products/"),
        ("category", "/categories/serums"),
        ("product", paths["product"]),
        ("answer", paths["answer"]),
        ("search results", f"/search?q={LONG_WORD}"),
    ]:
        response = page.goto(shop.url + path)
        assert response is not None, f"{name}: {path}"
        assert response.status == 200, f"{name}: {path}"
        yield name
    expect(page.get_by_role("main")).to_contain_text(LONG_NAME)


@pytest.mark.parametrize("wide_font", [False, True], ids=["this-machines-fonts", "a-wide-font"])
def test_no_page_is_wider_than_the_phone(
    demo_shop: DemoShop,
    long_names: dict[str, str],
    phone: Any,
    shots: Shots,
    wide_font: bool,
) -> None:
    if wide_font:
        use_wide_font(phone)
    problems: list[str] = []
    for name in every_kind_of_page(demo_shop, phone, long_names):
        if wide_font:
            assert_wide_font_applied(phone)
        found = fit_problems(phone, name)
        if found:
            shots(phone, name.replace(" ", "-"))
        problems += found
    assert not problems, "\n".join(problems)


def test_the_header_is_compact_on_a_phone(
    demo_shop: DemoShop, long_names: dict[str, str], phone: Any, shots: Shots
) -> None:
    tall: list[str] = []
    for name in every_kind_of_page(demo_shop, phone, long_names):
        header = phone.locator("header.site-header").bounding_box()
        assert header is not None, name
        if header["height"] > HEADER_MAX:
            tall.append(f"{name}: the header is {header['height']:.0f}px high")
            shots(phone, name.replace(" ", "-"))
        expect(phone.get_by_role("searchbox")).to_be_in_viewport(ratio=1)
        expect(phone.get_by_role("link", name=re.compile(r"^Cart \(1 item"))).to_be_in_viewport()
    assert not tall, f"over {HEADER_MAX}px:\n" + "\n".join(tall)


def test_the_menu_opens_on_a_phone_without_javascript(
    demo_shop: DemoShop, browser: Any, shots: Shots
) -> None:
    """The page and category links fold into a Menu that opens with a tap, scripts or not."""
    for page in context_page(
        browser,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    ):
        page.goto(demo_shop.url + "/products/")
        categories = page.get_by_role("navigation", name="Categories")
        expect(categories).to_be_hidden()
        expect(page.get_by_role("link", name="Answers", exact=True)).to_be_hidden()
        page.get_by_text("Menu", exact=True).tap()
        shots(page, "menu-open")
        expect(page.get_by_role("link", name="Answers", exact=True)).to_be_visible()
        categories.get_by_role("link", name="Serums").tap()
        page.wait_for_url(re.compile(r"/categories/serums$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Serums")


@pytest.mark.parametrize("path", ["/products/", "/categories/serums", "/brands/lumen-twelve"])
def test_the_filters_come_before_the_products_on_a_phone(
    demo_shop: DemoShop, phone: Any, shots: Shots, path: str
) -> None:
    phone.goto(f"{demo_shop.url}{path}?in_stock=1&sort=price_asc")
    filters = phone.get_by_role("form", name="Filter and sort")
    summary = filters.get_by_text(re.compile(r"^Filter and sort \(2 active\)$"))
    expect(summary).to_be_visible()
    first_card = phone.locator(".card").first
    expect(first_card).to_be_visible()
    summary_box, card_box = summary.bounding_box(), first_card.bounding_box()
    assert summary_box is not None
    assert card_box is not None
    assert summary_box["y"] + summary_box["height"] <= card_box["y"], (
        "the filter and sort control comes after the first product",
        summary_box,
        card_box,
    )
    # Folded until asked for; then the choices show, and applying one keeps its count.
    in_stock = filters.get_by_role("checkbox", name="In stock only")
    expect(in_stock).to_be_hidden()
    summary.tap()
    expect(in_stock).to_be_visible()
    expect(in_stock).to_be_checked()
    shots(phone, "filters-open")
    filters.get_by_role("combobox", name="Sort by").select_option(label="Newest")
    filters.get_by_role("button", name="Apply").tap()
    phone.wait_for_url(re.compile(r"sort=newest"))
    expect(phone.get_by_text(re.compile(r"^Filter and sort \(2 active\)$"))).to_be_visible()


def test_the_filters_are_an_open_sidebar_on_a_desktop(
    demo_shop: DemoShop, page: Any, shots: Shots
) -> None:
    page.goto(demo_shop.url + "/products/")
    filters = page.get_by_role("form", name="Filter and sort")
    expect(filters.get_by_role("heading", name="Filter and sort")).to_be_visible()
    expect(filters.get_by_text("(0 active)")).to_be_hidden()
    in_stock = filters.get_by_role("checkbox", name="In stock only")
    expect(in_stock).to_be_visible()
    box, grid = filters.bounding_box(), page.locator(".grid").bounding_box()
    assert box is not None
    assert grid is not None
    assert box["x"] + box["width"] <= grid["x"], "the filters sit beside the products"
    in_stock.check()
    filters.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"in_stock=1"))
    expect(filters.get_by_role("checkbox", name="In stock only")).to_be_checked()
    shots(page, "sidebar")


@pytest.mark.parametrize("wide_font", [False, True], ids=["this-machines-fonts", "a-wide-font"])
def test_the_cart_count_stays_on_the_cart_line(
    demo_shop: DemoShop, phone: Any, shots: Shots, wide_font: bool
) -> None:
    if wide_font:
        use_wide_font(phone)
    phone.goto(demo_shop.url + "/products/barrier-repair-cream")
    phone.get_by_role("spinbutton", name="Quantity").fill("10")
    phone.get_by_role("button", name="Add to cart").tap()
    phone.wait_for_url(re.compile(r"/cart$"))
    for width in (375, 320):
        phone.set_viewport_size({"width": width, "height": PHONE["height"]})
        for path in ("/", "/cart", "/products/"):
            phone.goto(demo_shop.url + path)
            cart = phone.evaluate(CART_LINE)
            assert cart is not None, f"{path}: the header shows the cart's count"
            assert cart["text"].startswith("Cart (10"), cart
            same_line = abs(cart["countTop"] - cart["wordTop"]) <= 3
            if not same_line:
                shots(phone, f"{width}-{path.strip('/') or 'home'}")
            assert same_line, f"{width}px, {path}: the count is not on the Cart line: {cart}"


def test_the_open_menu_and_filters_have_no_accessibility_violations(
    demo_shop: DemoShop, phone: Any, shots: Shots
) -> None:
    """axe-core on a phone with what is folded away unfolded (the other tours see it folded)."""

    def unfolded() -> Iterator[str]:
        phone.goto(demo_shop.url + "/categories/serums?in_stock=1")
        phone.get_by_text(re.compile(r"^Filter and sort \(1 active\)$")).tap()
        expect(phone.get_by_role("checkbox", name="In stock only")).to_be_visible()
        yield "filters open"
        # The menu opens over the page, filters and all.
        phone.get_by_text("Menu", exact=True).tap()
        expect(phone.get_by_role("navigation", name="Categories")).to_be_visible()
        yield "filters and menu open"

    check_accessibility(unfolded(), phone, shots)
