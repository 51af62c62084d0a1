"""The shop laid out for a phone (375x844): every kind of page fits the screen whatever the
fonts.

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

PHONE = {"width": 375, "height": 844}
LONG_QUESTION = (
    "Can I use tetrahexyldecylascorbate with my niacinamide serum, or do the two cancel each "
    "other out?"
)
LONG_WORD = "Tetrahexyldecylascorbate"


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
