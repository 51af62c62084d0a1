"""The storefront as a shopper meets it: listing, filters, product pages, errors."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import Product, ProductStatus
from tests.factories import make_brand, make_category, make_concern, make_product
from tests.html import breadcrumbs, card_titles, link_hrefs, visible_text


@pytest.fixture
def shelf(db: SQLAlchemy) -> dict[str, Product]:
    """A small shop: two categories, two brands, two concerns, one draft, one archived."""
    cleansers = make_category("Cleansers", "cleansers", position=1)
    serums = make_category("Serums", "serums", position=2)
    north = make_brand("North Lab", "north-lab")
    south = make_brand("South Skin", "south-skin")
    acne = make_concern("Acne", "acne")
    dry = make_concern("Dryness", "dryness")
    products = {
        "foam": make_product(
            "Foam Wash",
            slug="foam-wash",
            brand=north,
            category=cleansers,
            concerns=[acne],
            variants=[("150 ml", 1400, 40)],
            featured_rank=2,
        ),
        "milk": make_product(
            "Milk Cleanser",
            slug="milk-cleanser",
            brand=south,
            category=cleansers,
            concerns=[dry],
            variants=[("200 ml", 2200, 3)],
            featured_rank=1,
        ),
        "acid": make_product(
            "Acid Serum",
            slug="acid-serum",
            brand=north,
            category=serums,
            concerns=[acne],
            variants=[("30 ml", 3800, 0)],
        ),
        "oil": make_product(
            "Oil Serum",
            slug="oil-serum",
            brand=south,
            category=serums,
            concerns=[dry, acne],
            variants=[("15 ml", 2900, 5), ("30 ml", 4900, 12)],
        ),
        "draft": make_product(
            "Secret Draft",
            slug="secret-draft",
            brand=north,
            category=serums,
            status=ProductStatus.DRAFT,
        ),
        "old": make_product(
            "Retired Balm",
            slug="retired-balm",
            brand=south,
            category=cleansers,
            status=ProductStatus.ARCHIVED,
        ),
    }
    db.session.commit()
    return products


def test_home_shows_featured_products_in_rank_order_and_categories(
    client: FlaskClient, shelf: dict[str, Product]
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    titles = card_titles(response)
    assert titles[:2] == ["Milk Cleanser", "Foam Wash"]
    assert "Secret Draft" not in titles
    text = visible_text(response)
    assert "Cleansers" in text
    assert "Serums" in text


def test_catalogue_lists_only_active_products(
    client: FlaskClient, shelf: dict[str, Product]
) -> None:
    response = client.get("/products/")
    assert response.status_code == 200
    assert sorted(card_titles(response)) == [
        "Acid Serum",
        "Foam Wash",
        "Milk Cleanser",
        "Oil Serum",
    ]
    assert "4 products" in visible_text(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=serums", ["Acid Serum", "Oil Serum"]),
        ("brand=south-skin", ["Milk Cleanser", "Oil Serum"]),
        ("concern=dryness", ["Milk Cleanser", "Oil Serum"]),
        ("price_min=20&price_max=30", ["Milk Cleanser", "Oil Serum"]),
        ("price_max=14", ["Foam Wash"]),
        ("in_stock=1", ["Foam Wash", "Milk Cleanser", "Oil Serum"]),
        ("category=serums&brand=north-lab", ["Acid Serum"]),
        ("category=serums&concern=acne&in_stock=1", ["Oil Serum"]),
        ("brand=north-lab&brand=south-skin&category=cleansers", ["Foam Wash", "Milk Cleanser"]),
        ("concern=dryness&price_max=10", []),
    ],
)
def test_filters_combine(
    client: FlaskClient, shelf: dict[str, Product], query: str, expected: list[str]
) -> None:
    response = client.get(f"/products/?{query}&sort=name")
    assert response.status_code == 200
    assert card_titles(response) == expected
    if not expected:
        assert "No products match" in visible_text(response)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["Foam Wash", "Milk Cleanser", "Oil Serum", "Acid Serum"]),
        ("price_desc", ["Oil Serum", "Acid Serum", "Milk Cleanser", "Foam Wash"]),
        ("name", ["Acid Serum", "Foam Wash", "Milk Cleanser", "Oil Serum"]),
        ("featured", ["Milk Cleanser", "Foam Wash", "Acid Serum", "Oil Serum"]),
        ("newest", ["Oil Serum", "Acid Serum", "Milk Cleanser", "Foam Wash"]),
    ],
)
def test_sorting(
    client: FlaskClient, shelf: dict[str, Product], sort: str, expected: list[str]
) -> None:
    assert card_titles(client.get(f"/products/?sort={sort}")) == expected


def test_pages_split_the_list_and_link_to_each_other(
    app: Flask, client: FlaskClient, db: SQLAlchemy
) -> None:
    app.config["SHOP_PAGE_SIZE"] = 3
    category = make_category()
    brand = make_brand()
    for n in range(7):
        make_product(f"Item {n}", brand=brand, category=category)
    db.session.commit()

    first = client.get("/products/?sort=name")
    assert card_titles(first) == ["Item 0", "Item 1", "Item 2"]
    assert "1–3 of 7 products" in visible_text(first)
    assert link_hrefs(first, "next") == ["/products/?page=2&sort=name"]

    last = client.get("/products/?sort=name&page=3")
    assert card_titles(last) == ["Item 6"]
    assert link_hrefs(last, "prev") == ["/products/?page=2&sort=name"]
    assert link_hrefs(last, "canonical") == ["http://shop.test/products/?page=3&sort=name"]

    beyond = client.get("/products/?page=4")
    assert beyond.status_code == 404
    assert "There is no page 4" in visible_text(beyond)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=-1", "Page: Number must be between 1 and 10000."),
        ("page=abc", "Page: Not a valid integer value."),
        ("sort=bogus", "Sort by: Not a valid choice."),
        ("price_max=abc", "Max price: Enter a price such as 25 or 25.50"),
        ("price_min=-5", "Min price: Enter a price such as 25 or 25.50"),
        ("price_min=30&price_max=10", "Max price: The maximum price is below the minimum."),
        ("price_min=NaN", "Min price: Enter a price such as 25 or 25.50"),
        ("brand=no-such-brand", "Brand:"),
        ("category=" + "x" * 10_000, "Category:"),
        ("price_max=" + "9" * 5000, "Max price: Field cannot be longer than 12 characters."),
    ],
)
def test_nonsense_parameters_get_a_400_page_that_says_what_was_wrong(
    client: FlaskClient, shelf: dict[str, Product], query: str, message: str
) -> None:
    response = client.get(f"/products/?{query}")
    assert response.status_code == 400
    text = visible_text(response)
    assert "We could not use those filters" in text
    assert message in text
    assert "Traceback" not in text


def test_product_page_shows_price_availability_sizes_and_copy(
    client: FlaskClient, shelf: dict[str, Product]
) -> None:
    response = client.get("/products/oil-serum")
    assert response.status_code == 200
    text = visible_text(response)
    assert "Oil Serum" in text
    assert "$29.00" in text
    assert "$49.00" in text
    assert "Only 5 left" in text  # the 15 ml size
    assert "In stock" in text  # the 30 ml size
    assert breadcrumbs(response) == ["Home", "Serums", "Oil Serum"]
    assert "Key ingredients" in text
    assert "Glycerin" in text
    html = response.get_data(as_text=True)
    assert "<strong>test</strong>" in html  # Markdown description rendered
    assert 'alt="Oil Serum bottle"' in html
    assert '<link rel="canonical" href="http://shop.test/products/oil-serum">' in html
    assert 'name="variant" value="SKU-' in html


@pytest.mark.parametrize(
    ("slug", "words"),
    [("acid-serum", "Sold out"), ("milk-cleanser", "Only 3 left"), ("foam-wash", "In stock")],
)
def test_availability_words(
    client: FlaskClient, shelf: dict[str, Product], slug: str, words: str
) -> None:
    assert words in visible_text(client.get(f"/products/{slug}"))


def test_sold_out_product_offers_no_add_to_cart(
    client: FlaskClient, shelf: dict[str, Product]
) -> None:
    text = visible_text(client.get("/products/acid-serum"))
    assert "Every size is sold out for now" in text
    assert "Add to cart" not in text
    assert "Add to cart" in visible_text(client.get("/products/foam-wash"))


def test_variant_in_the_url_is_preselected(client: FlaskClient, shelf: dict[str, Product]) -> None:
    sku = shelf["oil"].variants[1].sku
    html = client.get(f"/products/oil-serum?variant={sku}").get_data(as_text=True)
    assert f'value="{sku}" checked' in html
    assert "$49.00 for 30 ml" in visible_text(html)


def test_archived_product_says_discontinued_and_cannot_be_bought(
    client: FlaskClient, shelf: dict[str, Product]
) -> None:
    response = client.get("/products/retired-balm")
    assert response.status_code == 200
    text = visible_text(response)
    assert "This product has been discontinued" in text
    assert "Add to cart" not in text


@pytest.mark.parametrize(
    "url",
    [
        "/products/secret-draft",
        "/products/no-such-thing",
        "/categories/nope",
        "/brands/nope",
        "/nowhere",
    ],
)
def test_unknown_or_draft_pages_are_friendly_404s(
    client: FlaskClient, shelf: dict[str, Product], url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 404
    text = visible_text(response)
    assert "not found" in text.lower() or "could not find" in text.lower()
    assert "Browse all skincare" in text


@pytest.mark.parametrize(
    ("url", "heading", "expected"),
    [
        ("/categories/serums", "Serums", ["Acid Serum", "Oil Serum"]),
        ("/brands/north-lab", "North Lab", ["Acid Serum", "Foam Wash"]),
        ("/categories/serums?brand=south-skin", "Serums", ["Oil Serum"]),
    ],
)
def test_category_and_brand_pages(
    client: FlaskClient, shelf: dict[str, Product], url: str, heading: str, expected: list[str]
) -> None:
    response = client.get(url + ("&" if "?" in url else "?") + "sort=name")
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.get_data(as_text=True)
    assert card_titles(response) == expected


def test_titles_and_descriptions_differ_between_pages(
    client: FlaskClient, shelf: dict[str, Product]
) -> None:
    import re

    seen: dict[str, str] = {}
    for url in [
        "/",
        "/products/",
        "/products/oil-serum",
        "/products/foam-wash",
        "/categories/serums",
        "/brands/north-lab",
    ]:
        html = client.get(url).get_data(as_text=True)
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        description = re.search(r'<meta name="description" content="([^"]*)"', html)
        assert title
        assert description
        assert description.group(1).strip()
        assert title.group(1) not in seen, f"{url} repeats the title of {seen.get(title.group(1))}"
        seen[title.group(1)] = url


def test_sitemap_lists_active_products_and_categories_only(
    client: FlaskClient, shelf: dict[str, Product]
) -> None:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    xml = response.get_data(as_text=True)
    for slug in ("foam-wash", "milk-cleanser", "acid-serum", "oil-serum"):
        assert f"<loc>http://shop.test/products/{slug}</loc>" in xml
    assert "secret-draft" not in xml
    assert "retired-balm" not in xml
    assert "<loc>http://shop.test/categories/serums</loc>" in xml
    assert "<loc>http://shop.test/brands/north-lab</loc>" in xml


def test_robots_names_the_sitemap(client: FlaskClient, shelf: dict[str, Product]) -> None:
    response = client.get("/robots.txt")
    assert response.mimetype == "text/plain"
    assert "Sitemap: http://shop.test/sitemap.xml" in response.get_data(as_text=True)


def test_server_error_shows_a_friendly_page_without_a_trace(
    app: Flask, client: FlaskClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode() -> str:
        raise RuntimeError("secret internals")

    app.add_url_rule("/explode", view_func=explode)
    response = client.get("/explode")
    assert response.status_code == 500
    text = visible_text(response)
    assert "Something went wrong on our side" in text
    assert "secret internals" not in text
    assert "Traceback" not in text


def test_media_serves_images_with_a_safe_type(app: Flask, client: FlaskClient) -> None:
    from pathlib import Path

    root = Path(app.config["MEDIA_ROOT"])
    (root / "products").mkdir(parents=True)
    (root / "products" / "a.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / "products" / "evil.html").write_text("<script>alert(1)</script>")
    with client.get("/media/products/a.svg") as ok:
        assert ok.status_code == 200
        assert ok.mimetype == "image/svg+xml"
        assert "sandbox" in ok.headers["Content-Security-Policy"]
    assert client.get("/media/products/evil.html").status_code == 404
    assert client.get("/media/" + quote("../secret_key")).status_code == 404
