"""The shop's own pages as visitors meet them: the footer's links, the pages, the sitemap."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from werkzeug.test import TestResponse

from shop.pages.models import STANDARD_PAGES, Page
from shop.pages.services import PageContent, write_page
from tests.factories import make_answer, make_brand, make_category, make_product, make_topic
from tests.html import injected_markup, visible_text

FOOTER_PATHS = [f"/pages/{p.slug}" for p in STANDARD_PAGES]
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def footer_links(response: TestResponse) -> list[tuple[str, str]]:
    """The (href, text) of every link in the page's footer, in order."""
    page = response.get_data(as_text=True)
    footer = re.search(r"<footer\b.*?</footer>", page, re.S)
    assert footer is not None, "the page has a footer"
    return [
        (html.unescape(href), visible_text(text))
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', footer.group(0), re.S)
    ]


def title_of(response: TestResponse) -> str:
    found = re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S)
    assert found is not None, "the page has a <title>"
    return html.unescape(found.group(1))


def meta_description(response: TestResponse) -> str:
    found = re.search(r'<meta name="description" content="([^"]*)">', response.get_data(True))
    assert found is not None, "the page has a meta description"
    return html.unescape(found.group(1))


def test_every_storefront_page_links_to_the_five_pages_and_each_answers_with_its_title(
    client: FlaskClient, db: SQLAlchemy, standard_pages: list[Page]
) -> None:
    category = make_category("Moisturisers", "moisturisers")
    brand = make_brand("Calm Lab", "calm-lab")
    product = make_product("Barrier Cream", slug="barrier-cream", brand=brand, category=category)
    topic = make_topic("Ingredients", "ingredients")
    answer = make_answer("Why is my skin so dry?", slug="dry-skin", topics=[topic])
    db.session.commit()
    storefront = [
        "/",
        "/products/",
        f"/products/{product.slug}",
        f"/categories/{category.slug}",
        f"/brands/{brand.slug}",
        "/answers/",
        f"/answers/{answer.slug}",
        f"/answers/topics/{topic.slug}",
        f"/doctors/{answer.doctor.slug}",
        "/ask",
        "/search?q=cream",
        "/cart",
        *FOOTER_PATHS,
    ]
    for url in storefront:
        response = client.get(url)
        assert response.status_code == 200, url
        hrefs = [href for href, _ in footer_links(response)]
        assert hrefs == FOOTER_PATHS, url
    # The "not found" page too: a lost visitor can still find the way to contact the shop.
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert [href for href, _ in footer_links(missing)] == FOOTER_PATHS

    labels = [text for _, text in footer_links(client.get("/"))]
    assert labels == [p.footer_label for p in STANDARD_PAGES]
    assert labels[:2] == ["Contact", "Shipping & returns"]
    for standard in STANDARD_PAGES:
        response = client.get(f"/pages/{standard.slug}")
        assert response.status_code == 200
        assert f"{standard.title} " in visible_text(response)
        assert title_of(response).startswith(f"{standard.title} | ")
        # Not written yet (a fresh install): it says so rather than showing an empty page.
        assert "We are still writing this page." in visible_text(response)


def test_the_current_page_is_marked_in_the_footer(
    client: FlaskClient, standard_pages: list[Page]
) -> None:
    page = client.get("/pages/privacy").get_data(as_text=True)
    assert '<a href="/pages/privacy" aria-current="page">Privacy</a>' in page
    assert page.count('aria-current="page"') == 2  # the breadcrumb's last step and the footer


@pytest.mark.parametrize("path", ["/pages/no-such-page", "/pages/" + "x" * 300, "/pages/"])
def test_an_unknown_page_is_not_found(
    client: FlaskClient, standard_pages: list[Page], path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_page_shows_its_markdown_title_and_description(
    client: FlaskClient, db: SQLAlchemy, standard_pages: list[Page]
) -> None:
    write_page(
        "shipping-returns",
        PageContent(
            "Shipping & returns",
            "## Returns\n\nSend back **unopened** items within 30 days.",
            "How we ship and how to return unopened items.",
        ),
    )
    db.session.commit()
    response = client.get("/pages/shipping-returns")
    page = response.get_data(as_text=True)
    assert "<h2>Returns</h2>" in page
    assert "<strong>unopened</strong>" in page
    assert "<h1>Shipping &amp; returns</h1>" in page
    assert title_of(response).startswith("Shipping & returns | ")
    assert meta_description(response) == "How we ship and how to return unopened items."
    assert "Last updated on" in visible_text(response)


def test_without_a_description_search_engines_get_the_first_words(
    client: FlaskClient, db: SQLAlchemy, standard_pages: list[Page]
) -> None:
    words = " ".join(["Write to us any working day and a person answers."] * 8)
    write_page("contact", PageContent("Contact us", f"## Email\n\n{words}"))
    db.session.commit()
    description = meta_description(client.get("/pages/contact"))
    assert description.startswith("Email Write to us any working day")
    assert len(description) <= 155
    assert description.endswith("…")


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert('x')</script>",
        "[Write to us](javascript:alert('x'))",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_script_in_the_markdown_is_not_rendered(
    client: FlaskClient, db: SQLAlchemy, standard_pages: list[Page], source: str
) -> None:
    write_page("contact", PageContent("Contact us", f"Hello.\n\n{source}\n\nBye."))
    db.session.commit()
    response = client.get("/pages/contact")
    assert response.status_code == 200
    assert injected_markup(response.get_data(as_text=True)) == []
    assert "Hello." in visible_text(response)
    assert "Bye." in visible_text(response)


def _sitemap_locs(client: FlaskClient) -> list[str]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.get_data())  # noqa: S314 - our own sitemap
    return [loc.text or "" for loc in root.findall("sm:url/sm:loc", SITEMAP_NS)]


def test_the_sitemap_lists_the_written_pages(
    client: FlaskClient, db: SQLAlchemy, standard_pages: list[Page]
) -> None:
    # A page still to be written tells visitors so; search engines are not sent to it.
    assert not [loc for loc in _sitemap_locs(client) if "/pages/" in loc]
    for standard in STANDARD_PAGES:
        write_page(standard.slug, PageContent(standard.title, f"What {standard.title} says."))
    db.session.commit()
    locs = _sitemap_locs(client)
    assert [loc for loc in locs if "/pages/" in loc] == sorted(
        f"http://shop.test{path}" for path in FOOTER_PATHS
    )
    xml = client.get("/sitemap.xml").get_data(as_text=True)
    assert re.search(r"<loc>http://shop.test/pages/privacy</loc><lastmod>\d{4}-", xml)
