"""Page weight: a product page and an answer page, loaded cold in Chromium, stay light.

Each page is loaded in a fresh browser (nothing cached), scrolled to the end so every lazy
image loads too, and every response is counted as it came over the wire: headers plus the
body as sent (gzip where the browser accepted it). Product photos are left out of the
budget; the page itself, its stylesheet, scripts, icons and other images count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from shop.catalog.models import Product
from shop.editorial.models import Answer, AnswerStatus
from shop.extensions import db
from shop.links.models import AnswerProductLink
from tests.e2e.conftest import DemoShop

BUDGET = 100 * 1024
PRODUCT_IMAGES = "/media/products/"
IMAGES = """() => Array.from(document.images).map((img) => {
  const box = img.getBoundingClientRect();
  return {
    src: img.getAttribute("src"),
    width: img.getAttribute("width"),
    height: img.getAttribute("height"),
    loading: img.getAttribute("loading"),
    fetchpriority: img.getAttribute("fetchpriority"),
    belowFold: box.top >= window.innerHeight,
  };
})"""


@dataclass
class Load:
    """What one cold page load fetched."""

    url: str
    counted: list[tuple[str, int]]  # (url, bytes over the wire) of every response but photos
    photos: int  # bytes of product photos, not counted
    origins: set[str]
    images: list[dict[str, Any]]  # every <img> as first shown, before scrolling
    responses: dict[str, Any]

    @property
    def weight(self) -> int:
        return sum(size for _url, size in self.counted)

    def figures(self) -> str:
        lines = [f"{self.url}: {self.weight:,} bytes without product photos ({self.photos:,})"]
        lines += [f"  {size:>7,}  {url}" for url, size in self.counted]
        return "\n".join(lines)


def _heaviest_answer(shop: DemoShop) -> str:
    """The published answer recommending the most products (the longest product list)."""
    with shop.app.app_context():
        try:
            slug = db.session.scalar(
                sa.select(Answer.slug)
                .join(AnswerProductLink, AnswerProductLink.answer_id == Answer.id)
                .where(Answer.status == AnswerStatus.PUBLISHED)
                .group_by(Answer.slug)
                .order_by(sa.func.count().desc(), Answer.slug)
                .limit(1)
            )
        finally:
            db.session.remove()
    assert slug, "the demo has an answer that recommends products"
    return f"/answers/{slug}"


def _most_recommended_product(shop: DemoShop) -> str:
    """The product the most answers recommend (the longest "What the doctor says")."""
    with shop.app.app_context():
        try:
            slug = db.session.scalar(
                sa.select(Product.slug)
                .join(AnswerProductLink, AnswerProductLink.product_id == Product.id)
                .group_by(Product.slug)
                .order_by(sa.func.count().desc(), Product.slug)
                .limit(1)
            )
        finally:
            db.session.remove()
    assert slug, "the demo has a product that answers recommend"
    return f"/products/{slug}"


def _load_cold(browser: Any, url: str) -> Load:
    """Open `url` in a fresh browser context, note its images, scroll to the end, count."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        finished: list[Any] = []
        page.on("requestfinished", lambda request: finished.append(request))
        main = page.goto(url, wait_until="load")
        assert main is not None
        assert main.ok, f"{url} answered {main.status}"
        images = page.evaluate(IMAGES)
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_load_state("networkidle")
        counted, photos, origins, responses = [], 0, set(), {}
        for request in finished:
            parts = urlsplit(request.url)
            origins.add(f"{parts.scheme}://{parts.netloc}")
            sizes = request.sizes()
            size = sizes["responseHeadersSize"] + sizes["responseBodySize"]
            response = request.response()
            responses[request.url] = (request.resource_type, response.all_headers())
            if parts.path.startswith(PRODUCT_IMAGES):
                photos += size
            else:
                counted.append((parts.path + (f"?{parts.query}" if parts.query else ""), size))
        return Load(url, counted, photos, origins, images, responses)
    finally:
        context.close()


def _page_path(shop: DemoShop, kind: str) -> str:
    return _most_recommended_product(shop) if kind == "product" else _heaviest_answer(shop)


@pytest.mark.parametrize("kind", ["product", "answer"])
def test_a_cold_page_is_light_self_contained_and_lazy_below_the_fold(
    demo_shop: DemoShop, browser: Any, kind: str
) -> None:
    path = _page_path(demo_shop, kind)
    load = _load_cold(browser, demo_shop.url + path)
    print(f"\n{kind} page\n{load.figures()}")

    assert load.weight <= BUDGET, f"over {BUDGET:,} bytes:\n{load.figures()}"
    assert load.origins == {demo_shop.url}, f"requests to other sites: {load.origins}"

    headers = {url: h for url, (_type, h) in load.responses.items()}
    page_headers = headers[demo_shop.url + path]
    assert page_headers.get("content-encoding") == "gzip", "the page itself is sent compressed"
    stylesheets = [url for url, (t, _h) in load.responses.items() if t == "stylesheet"]
    assert stylesheets, "the page has its stylesheet"
    for url in stylesheets:
        assert re.search(r"\.[0-9a-f]{12}\.css$", url), f"{url} has no content hash"
        assert "immutable" in headers[url].get("cache-control", ""), headers[url]
        assert headers[url].get("content-encoding") == "gzip", headers[url]

    assert load.images, "the page shows images"
    unsized = [i["src"] for i in load.images if not (i["width"] and i["height"])]
    assert not unsized, f"images without width and height: {unsized}"
    eager_below = [i["src"] for i in load.images if i["belowFold"] and i["loading"] != "lazy"]
    assert not eager_below, f"below the fold but not loading lazily: {eager_below}"
    if kind == "answer":
        assert any(i["belowFold"] for i in load.images), "the product list sits below the fold"
    else:
        photo = next(i for i in load.images if i["src"].startswith(PRODUCT_IMAGES))
        assert photo["loading"] != "lazy", "the product's photo loads at once"
        assert photo["fetchpriority"] == "high", "the product's photo is fetched first"
