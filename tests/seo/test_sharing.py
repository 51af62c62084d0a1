"""What search engines and link previews read: JSON-LD, canonical URLs, Open Graph, sitemap."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from werkzeug.test import TestResponse

from shop.catalog.models import Product, ProductStatus
from shop.core.models import utcnow
from shop.editorial.models import Answer, AnswerStatus
from tests.factories import (
    make_answer,
    make_brand,
    make_category,
    make_concern,
    make_doctor,
    make_product,
    make_topic,
)
from tests.html import json_ld

BASE = "http://shop.test"
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.canonical: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta":
            key = found.get("property") or found.get("name")
            if key and found.get("content") is not None:
                self.meta.setdefault(key, []).append(found["content"] or "")
        if tag == "link" and found.get("rel") == "canonical":
            self.canonical.append(found.get("href") or "")


def head(response: TestResponse) -> _Head:
    """The page's <meta> tags by property or name, and its canonical links."""
    parser = _Head()
    parser.feed(response.get_data(as_text=True))
    return parser


def meta(response: TestResponse, key: str) -> str:
    """The one <meta> with this property or name; fails when there is none or several."""
    values = head(response).meta.get(key, [])
    assert len(values) == 1, f"{key}: {values}"
    return values[0]


def of_type(response: TestResponse, kind: str) -> dict[str, Any]:
    """The one JSON-LD block of this @type."""
    found = [d for d in json_ld(response) if isinstance(d, dict) and d.get("@type") == kind]
    assert len(found) == 1, f"{len(found)} {kind} blocks"
    return found[0]


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


@pytest.fixture
def site(db: SQLAlchemy) -> dict[str, Any]:
    """Products and answers with known change times, one of each without a picture."""
    now = utcnow().replace(microsecond=0)
    serums = make_category("Serums", "serums")
    north = make_brand("North Lab", "north-lab")
    acne = make_concern("Acne", "acne")
    oil = make_product(
        'Oil "Night" Serum & Drops',
        slug="oil-serum",
        brand=north,
        category=serums,
        concerns=[acne],
        variants=[("15 ml", 2900, 5), ("30 ml", 4900, 0)],
    )
    south = make_brand("South Skin", "south-skin")
    plain = make_product(
        "Plain Serum", slug="plain-serum", brand=south, category=serums, image=False
    )
    retired = make_product(
        "Retired Serum", slug="retired-serum", category=serums, status=ProductStatus.ARCHIVED
    )
    hale = make_doctor("Miriam Hale", "miriam-hale")
    hale.photo_path = "doctors/miriam-hale.svg"
    topic = make_topic("Routines", "routines")
    edited = make_answer(
        "Does niacinamide help acne?",
        slug="niacinamide-acne",
        doctor=hale,
        concerns=[acne],
        topics=[topic],
    )
    scheduled = make_answer(
        "Is retinol safe every night?",
        slug="retinol-nightly",
        doctor=hale,
        topics=[topic],
        status=AnswerStatus.SCHEDULED,
    )
    db.session.flush()
    times = {
        "oil": now - timedelta(days=20),
        "plain": now - timedelta(days=10),
        "retired": now - timedelta(days=1),  # archived: no longer dates the category
        "edited published": now - timedelta(days=30),
        "edited updated": now - timedelta(days=5),
        "scheduled published": now - timedelta(days=3),
        "scheduled updated": now - timedelta(days=8),  # written before it went public
    }
    for product, key in ((oil, "oil"), (plain, "plain"), (retired, "retired")):
        db.session.execute(
            sa.update(Product).where(Product.id == product.id).values(updated_at=times[key])
        )
    for answer, key in ((edited, "edited"), (scheduled, "scheduled")):
        db.session.execute(
            sa.update(Answer)
            .where(Answer.id == answer.id)
            .values(published_at=times[f"{key} published"], updated_at=times[f"{key} updated"])
        )
    db.session.commit()
    return {"times": times}


def test_product_json_ld_names_the_product_its_brand_and_each_offer(
    client: FlaskClient, site: dict[str, Any]
) -> None:
    data = of_type(client.get("/products/oil-serum"), "Product")
    assert data["@context"] == "https://schema.org"
    assert data["name"] == 'Oil "Night" Serum & Drops'
    assert data["description"] == "A test product."  # Markdown read as text, not as "**test**"
    assert data["image"] == [f"{BASE}/media/products/oil-serum.svg"]
    assert data["brand"] == {
        "@type": "Brand",
        "name": "North Lab",
        "url": f"{BASE}/brands/north-lab",
    }
    assert data["url"] == f"{BASE}/products/oil-serum"
    [first, second] = data["offers"]
    assert data["sku"] == first["sku"]
    assert first["@type"] == second["@type"] == "Offer"
    assert (first["price"], first["priceCurrency"]) == ("29.00", "USD")
    assert (second["price"], second["priceCurrency"]) == ("49.00", "USD")
    assert first["availability"] == "https://schema.org/InStock"
    assert second["availability"] == "https://schema.org/OutOfStock"
    assert first["url"] == f"{BASE}/products/oil-serum?variant={first['sku']}"


def test_product_without_a_picture_claims_none(client: FlaskClient, site: dict[str, Any]) -> None:
    response = client.get("/products/plain-serum")
    assert "image" not in of_type(response, "Product")
    assert "og:image" not in head(response).meta
    assert meta(response, "twitter:card") == "summary"


@pytest.mark.parametrize(
    ("url", "trail"),
    [
        (
            "/products/oil-serum",
            [
                ("Home", "/"),
                ("Serums", "/categories/serums"),
                ('Oil "Night" Serum & Drops', "/products/oil-serum"),
            ],
        ),
        (
            "/categories/serums",
            [("Home", "/"), ("Shop all", "/products/"), ("Serums", "/categories/serums")],
        ),
        (
            "/answers/niacinamide-acne",
            [
                ("Home", "/"),
                ("Answers", "/answers/"),
                ("Does niacinamide help acne?", "/answers/niacinamide-acne"),
            ],
        ),
        (
            "/answers/topics/routines",
            [("Home", "/"), ("Answers", "/answers/"), ("Routines", "/answers/topics/routines")],
        ),
    ],
)
def test_breadcrumb_list_follows_the_visible_trail(
    client: FlaskClient, site: dict[str, Any], url: str, trail: list[tuple[str, str]]
) -> None:
    items = of_type(client.get(url), "BreadcrumbList")["itemListElement"]
    assert [(i["@type"], i["position"]) for i in items] == [
        ("ListItem", n) for n in range(1, len(trail) + 1)
    ]
    assert [(i["name"], i["item"]) for i in items] == [(name, BASE + path) for name, path in trail]


def test_answer_json_ld_credits_the_doctor_with_dates(
    client: FlaskClient, site: dict[str, Any]
) -> None:
    times = site["times"]
    data = of_type(client.get("/answers/niacinamide-acne"), "MedicalWebPage")
    assert data["headline"] == "Does niacinamide help acne?"
    assert data["url"] == f"{BASE}/answers/niacinamide-acne"
    assert data["datePublished"] == iso(times["edited published"])
    assert data["dateModified"] == iso(times["edited updated"])
    author = data["author"]
    assert author["@type"] == "Person"
    assert author["name"] == "Dr. Miriam Hale"
    assert author["url"] == f"{BASE}/doctors/miriam-hale"
    assert [c["name"] for c in author["hasCredential"]] == ["MD", "FAAD"]
    question = data["mainEntity"]
    assert question["@type"] == "Question"
    assert question["name"] == "Does niacinamide help acne?"
    assert question["acceptedAnswer"]["@type"] == "Answer"
    assert question["acceptedAnswer"]["author"]["name"] == "Dr. Miriam Hale"
    assert "What helps" in question["acceptedAnswer"]["text"]


def test_scheduled_answer_is_modified_when_it_went_public(
    client: FlaskClient, site: dict[str, Any]
) -> None:
    data = of_type(client.get("/answers/retinol-nightly"), "MedicalWebPage")
    published = iso(site["times"]["scheduled published"])
    assert data["datePublished"] == data["dateModified"] == published


PUBLIC_PAGES = [
    ("/", "/"),
    ("/products/", "/products/"),
    ("/products/?sort=featured&page=1", "/products/"),
    ("/categories/serums", "/categories/serums"),
    ("/brands/north-lab", "/brands/north-lab"),
    ("/products/oil-serum", "/products/oil-serum"),
    ("/products/oil-serum?variant=nope", "/products/oil-serum"),
    ("/answers/", "/answers/"),
    ("/answers/topics/routines", "/answers/topics/routines"),
    ("/answers/niacinamide-acne", "/answers/niacinamide-acne"),
    ("/doctors/miriam-hale", "/doctors/miriam-hale"),
    ("/ask", "/ask"),
]


@pytest.mark.parametrize(("url", "canonical"), PUBLIC_PAGES)
def test_every_public_page_has_one_canonical_url_and_a_sharing_preview(
    client: FlaskClient, site: dict[str, Any], url: str, canonical: str
) -> None:
    response = client.get(url)
    assert response.status_code == 200
    found = head(response)
    assert found.canonical == [BASE + canonical]
    assert meta(response, "og:url") == BASE + canonical
    assert meta(response, "og:site_name") == "Dr. Hale Skin Clinic Shop"
    assert meta(response, "og:type") in ("website", "product", "article", "profile")
    assert meta(response, "og:title")
    assert meta(response, "og:description") == meta(response, "description")
    assert meta(response, "twitter:title") == meta(response, "og:title")
    assert meta(response, "twitter:description") == meta(response, "description")
    image = found.meta.get("og:image", [])
    if image:
        assert image[0].startswith(BASE + "/")
        assert meta(response, "twitter:image") == image[0]
        assert meta(response, "og:image:alt")
    else:
        assert meta(response, "twitter:card") == "summary"


@pytest.mark.parametrize("url", ["/cart", "/search?q=serum", "/admin/login", "/nope"])
def test_private_and_missing_pages_offer_no_canonical_or_preview(
    client: FlaskClient, site: dict[str, Any], url: str
) -> None:
    found = head(client.get(url))
    assert found.canonical == []
    assert not [key for key in found.meta if key.startswith(("og:", "twitter:"))]


def test_product_preview_is_a_large_picture_card(client: FlaskClient, site: dict[str, Any]) -> None:
    response = client.get("/products/oil-serum")
    assert meta(response, "og:type") == "product"
    assert meta(response, "og:title") == 'Oil "Night" Serum & Drops by North Lab'
    assert meta(response, "og:image") == f"{BASE}/media/products/oil-serum.svg"
    assert meta(response, "og:image:alt") == 'Oil "Night" Serum & Drops bottle'
    assert meta(response, "twitter:card") == "summary_large_image"
    assert meta(response, "twitter:image") == f"{BASE}/media/products/oil-serum.svg"
    assert meta(response, "product:price:amount") == "29.00"
    assert meta(response, "product:price:currency") == "USD"


def test_answer_preview_is_an_article_with_its_dates(
    client: FlaskClient, site: dict[str, Any]
) -> None:
    times = site["times"]
    response = client.get("/answers/niacinamide-acne")
    assert meta(response, "og:type") == "article"
    assert meta(response, "og:title") == "Does niacinamide help acne?"
    assert meta(response, "article:published_time") == iso(times["edited published"])
    assert meta(response, "article:modified_time") == iso(times["edited updated"])
    assert meta(response, "article:author") == f"{BASE}/doctors/miriam-hale"
    assert sorted(head(response).meta["article:tag"]) == ["Acne", "Routines"]
    # The only picture is the doctor's small square portrait: a summary card.
    assert meta(response, "og:image") == f"{BASE}/media/doctors/miriam-hale.svg"
    assert meta(response, "twitter:card") == "summary"


def _sitemap(client: FlaskClient) -> dict[str, str | None]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.get_data())  # noqa: S314 - our own sitemap
    return {
        url.findtext("sm:loc", namespaces=SITEMAP_NS) or "": url.findtext(
            "sm:lastmod", namespaces=SITEMAP_NS
        )
        for url in root.findall("sm:url", SITEMAP_NS)
    }


def test_every_sitemap_url_says_when_it_last_changed(
    client: FlaskClient, site: dict[str, Any]
) -> None:
    times = site["times"]
    products = iso(times["plain"])  # the newest change among active products
    answers = iso(times["scheduled published"])  # going public is the newest answer change
    assert _sitemap(client) == {
        f"{BASE}/": answers,
        f"{BASE}/products/": products,
        f"{BASE}/answers/": answers,
        f"{BASE}/categories/serums": products,
        f"{BASE}/brands/north-lab": iso(times["oil"]),
        f"{BASE}/brands/south-skin": products,
        f"{BASE}/products/oil-serum": iso(times["oil"]),
        f"{BASE}/products/plain-serum": products,
        f"{BASE}/answers/niacinamide-acne": iso(times["edited updated"]),
        f"{BASE}/answers/retinol-nightly": iso(times["scheduled published"]),
        f"{BASE}/doctors/miriam-hale": answers,
        f"{BASE}/answers/topics/routines": answers,
        f"{BASE}/answers/topics/acne": iso(times["edited updated"]),
    }
