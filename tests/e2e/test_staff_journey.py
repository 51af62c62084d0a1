"""Journey 3: an editor changes a product's price and recommends it in an answer, with a note;
a reader then sees both on the storefront."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from shop.catalog.models import Product
from shop.editorial.models import Answer
from shop.extensions import db
from tests.e2e.conftest import DESKTOP, DemoShop, Shots, context_page, sign_in_staff

PRODUCT_SLUG = "caffeine-eye-serum"
PRODUCT_NAME = "Caffeine Brightening Eye Serum"
SKU = "HR-CES-15"
OLD_PRICE = "$28.00"
NEW_PRICE = "$31.50"
SEO_TITLE = "Caffeine eye serum for morning puffiness"
ANSWER_SLUG = "puffy-eyes-in-the-morning"
NOTE = "Caffeine briefly tightens the small vessels: pat it on after the cold gel."


@pytest.fixture
def editor_page(browser: Any) -> Iterator[Any]:
    """The editor at their own computer: their own cookies, desktop-sized."""
    yield from context_page(browser, viewport=DESKTOP)


def _id_of(shop: DemoShop, model: type[Product] | type[Answer], slug: str) -> int:
    """The database id behind a slug: the admin's addresses are by id."""
    with shop.app.app_context():
        found = db.session.scalar(sa.select(model.id).where(model.slug == slug))
        db.session.rollback()
    assert found is not None, f"{slug} is in the demo"
    return int(found)


def test_an_editor_reprices_a_product_and_recommends_it_in_an_answer(
    demo_shop: DemoShop, editor_page: Any, page: Any, shots: Shots
) -> None:
    base = demo_shop.url
    product_id = _id_of(demo_shop, Product, PRODUCT_SLUG)
    answer_id = _id_of(demo_shop, Answer, ANSWER_SLUG)

    # What a reader sees before: the old price, and the answer without this product.
    page.goto(f"{base}/products/{PRODUCT_SLUG}")
    expect(page.get_by_role("main")).to_contain_text(f"Price: {OLD_PRICE}")
    page.goto(f"{base}/answers/{ANSWER_SLUG}")
    products = page.get_by_role("region", name="Products from this answer")
    expect(products.get_by_role("link", name=PRODUCT_NAME)).to_have_count(0)

    editor = editor_page
    sign_in_staff(editor, base, demo_shop.staff["editor"])
    shots(editor, "signed-in")

    # The price, typed in that size's row of the product editor's one form, and a change to
    # the product's own fields beside it: the one "Save product" keeps both.
    editor.goto(f"{base}/admin/products/{product_id}")
    expect(editor.get_by_role("heading", level=1)).to_have_text(PRODUCT_NAME)
    size = editor.get_by_role("group", name=re.compile(f"^Size {SKU}"))
    price = size.get_by_label("Price", exact=True)
    expect(price).to_have_value(OLD_PRICE.lstrip("$"))
    price.fill(NEW_PRICE.lstrip("$"))
    editor.get_by_label("Search engine title (optional)").fill(SEO_TITLE)
    expect(editor.get_by_role("button", name=re.compile(f"Save {SKU}"))).to_have_count(0)
    editor.get_by_role("button", name="Save product", exact=True).click()
    editor.wait_for_load_state()
    expect(editor.get_by_role("status")).to_contain_text(f"“{PRODUCT_NAME}” was saved.")
    size = editor.get_by_role("group", name=re.compile(f"^Size {SKU}"))
    expect(size.get_by_label("Price", exact=True)).to_have_value(NEW_PRICE.lstrip("$"))
    expect(size).to_contain_text(f"Saved: {NEW_PRICE}")
    expect(editor.get_by_label("Search engine title (optional)")).to_have_value(SEO_TITLE)
    shots(editor, "price-saved")

    # The link: find the product in the picker, Link it, then write the doctor's note.
    editor.goto(f"{base}/admin/links/answers/{answer_id}")
    expect(editor.get_by_role("heading", level=1)).to_contain_text("puffy", ignore_case=True)
    editor.get_by_label("Find a product by name, brand or SKU").fill("caffeine")
    picks = editor.get_by_role("table", name=re.compile("Products matching"))
    row = picks.get_by_role("row").filter(has_text=PRODUCT_NAME)
    expect(row).to_contain_text(NEW_PRICE)  # the picker reads the price just saved
    shots(editor, "picker")
    row.get_by_role("button", name=f"Link {PRODUCT_NAME}").click()
    editor.wait_for_load_state()
    expect(editor.get_by_role("status")).to_contain_text(f"{PRODUCT_NAME} is now recommended")
    linked = editor.get_by_role("region", name=re.compile("Recommended products"))
    item = linked.get_by_role("listitem").filter(
        has=editor.get_by_role("heading", name=re.compile(PRODUCT_NAME))
    )
    expect(item).to_have_count(1)
    item.get_by_label("Doctor's note (why this product here)").fill(NOTE)
    item.get_by_role("button", name=re.compile("^Save")).click()
    editor.wait_for_load_state()
    expect(editor.get_by_role("status")).to_contain_text(
        f"Saved the note and caution for {PRODUCT_NAME}"
    )
    shots(editor, "linked-with-note")

    # The reader's storefront shows both.
    page.goto(f"{base}/products/{PRODUCT_SLUG}")
    expect(page.get_by_role("main")).to_contain_text(f"Price: {NEW_PRICE}")
    expect(page.get_by_role("main")).not_to_contain_text(f"Price: {OLD_PRICE}")
    expect(page).to_have_title(re.compile(SEO_TITLE))
    shots(page, "product-new-price")

    page.goto(f"{base}/answers/{ANSWER_SLUG}")
    products = page.get_by_role("region", name="Products from this answer")
    recommendation = products.get_by_role("listitem").filter(
        has=page.get_by_role("link", name=PRODUCT_NAME)
    )
    expect(recommendation).to_have_count(1)
    expect(recommendation).to_contain_text(NOTE)
    expect(recommendation).to_contain_text(NEW_PRICE)
    recommendation.scroll_into_view_if_needed()
    shots(page, "answer-lists-product")


def test_leaving_the_editor_with_a_typed_price_asks_first(
    demo_shop: DemoShop, editor_page: Any
) -> None:
    base = demo_shop.url
    product_id = _id_of(demo_shop, Product, PRODUCT_SLUG)
    editor = editor_page
    sign_in_staff(editor, base, demo_shop.staff["editor"])
    url = f"{base}/admin/products/{product_id}"
    editor.goto(url)
    editor.on("dialog", lambda dialog: dialog.dismiss())  # "Stay on page"
    size = editor.get_by_role("group", name=re.compile(f"^Size {SKU}"))
    size.get_by_label("Price", exact=True).fill("99.00")
    with editor.expect_event("dialog") as asked:
        size.get_by_role("link", name=f"Stock of {SKU}").click(no_wait_after=True)
    assert asked.value.type == "beforeunload"
    expect(size.get_by_label("Price", exact=True)).to_have_value("99.00")
    assert editor.url == url
