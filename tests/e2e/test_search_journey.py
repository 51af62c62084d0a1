"""Journey 4: a visitor searches from the header and finds an answer and a product."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import DemoShop, Shots


def test_a_visitor_finds_an_answer_and_a_product_from_the_header_search(
    demo_shop: DemoShop, page: Any, shots: Shots
) -> None:
    page.goto(demo_shop.url + "/")
    box = page.get_by_role("searchbox").first
    box.fill("barrier cream")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=barrier"))
    shots(page, "results")
    results = page.get_by_role("main")
    expect(results.get_by_role("link", name=re.compile("Barrier Repair Cream"))).to_be_visible()
    answer_link = results.locator("a[href^='/answers/']").first
    expect(answer_link).to_be_visible()
    headline = answer_link.inner_text()

    answer_link.click()
    page.wait_for_url(re.compile(r"/answers/[a-z0-9-]+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(headline.strip()[:30])
    shots(page, "answer")

    page.go_back()
    results.get_by_role("link", name=re.compile("Barrier Repair Cream")).first.click()
    page.wait_for_url(re.compile(r"/products/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Barrier Repair Cream")
    expect(page.get_by_role("button", name=re.compile("Add to cart", re.I))).to_be_visible()
    shots(page, "product")


def test_a_visitor_who_misspells_an_ingredient_still_finds_it(
    demo_shop: DemoShop, page: Any, shots: Shots
) -> None:
    page.goto(demo_shop.url + "/")
    box = page.get_by_role("searchbox").first
    box.fill("niacinimide")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=niacinimide"))
    results = page.get_by_role("main")
    expect(results.get_by_role("status")).to_contain_text("Showing results for niacinamide")
    expect(results.locator(".search-hit-product").first).to_contain_text("Niacinamide")
    shots(page, "corrected")

    results.get_by_role("link", name="niacinimide").click()
    page.wait_for_url(re.compile(r"exact=1"))
    expect(page.get_by_role("main")).to_contain_text("Nothing matched “niacinimide”")
    shots(page, "as-typed")
