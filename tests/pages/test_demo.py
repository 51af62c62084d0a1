"""The demo shop's pages carry written copy that agrees with the column and with checkout."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.demo.editorial import read_editorial
from shop.demo.loader import DemoLoadError
from shop.demo.pages import load_pages, read_pages
from shop.pages.models import STANDARD_PAGES, Page
from shop.pages.services import PageContent, write_page
from tests.html import visible_text
from tests.pages.test_views import FOOTER_PATHS, footer_links


def _text(client: FlaskClient, slug: str) -> str:
    response = client.get(f"/pages/{slug}")
    assert response.status_code == 200, slug
    return visible_text(response)


def test_demo_load_writes_every_footer_page(
    db: SQLAlchemy, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Wrote the contact, shipping and returns, privacy, terms and about pages." in (
        result.output
    )
    home = client.get("/")
    assert [href for href, _ in footer_links(home)] == FOOTER_PATHS
    for href in FOOTER_PATHS:
        text = visible_text(client.get(href))
        assert "We are still writing this page." not in text
        assert "{" not in text, f"{href} has an unfilled placeholder"
        assert len(text) > 800, href
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert sorted(re.findall(r"<loc>http://shop\.test(/pages/[^<]+)</loc>", sitemap)) == sorted(
        FOOTER_PATHS
    )


def test_the_demo_copy_says_what_a_customer_needs(
    app: Flask, db: SQLAlchemy, client: FlaskClient
) -> None:
    load_pages()
    db.session.commit()

    contact = _text(client, "contact")
    assert "hello@drhale-shop.example" in contact
    assert "within one working day" in contact

    shipping = _text(client, "shipping-returns")
    # The figures checkout charges (SHOP_SHIPPING_FLAT_RATE, SHOP_FREE_SHIPPING_OVER).
    assert "a flat $6.95 per order" in shipping
    assert "free when your products come to $75.00 or more" in shipping
    assert "the United States and Canada" in shipping
    assert "unopened product" in shipping
    assert "within 30 days of delivery" in shipping

    privacy = _text(client, "privacy")
    for stored in ("Your orders", "Your email address", "Stripe", "never see or store your card"):
        assert stored in privacy

    terms = _text(client, "terms")
    assert "Terms of sale" in terms
    assert "not medical advice" in terms

    # The about page names the column's doctor as the editorial demo data has her.
    doctor = read_editorial()["doctors"][0]
    about = client.get("/pages/about")
    assert f"About Dr. {doctor['name']}" in visible_text(about)
    assert f"Dr. {doctor['name']}, {doctor['credentials']}" in visible_text(about)
    assert f'href="/doctors/{doctor["slug"]}"' in about.get_data(as_text=True)


def test_the_shipping_copy_follows_the_shop_settings(app: Flask, db: SQLAlchemy) -> None:
    app.config.update(
        SHOP_SHIPPING_FLAT_RATE=500, SHOP_FREE_SHIPPING_OVER=10000, SHOP_SHIPPING_COUNTRIES=["US"]
    )
    shipping = next(p for p in load_pages() if p.slug == "shipping-returns")
    assert "a flat $5.00 per order" in shipping.body_markdown
    assert "$100.00 or more" in shipping.body_markdown
    assert "addresses in the United States." in shipping.body_markdown


def test_demo_pages_rewrites_the_pages_of_a_shop_already_loaded(
    db: SQLAlchemy, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    write_page("contact", PageContent("Contact us", "Old words."))
    db.session.commit()
    result = runner.invoke(args=["demo", "pages"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    pages = db.session.scalars(sa.select(Page).order_by(Page.slug)).all()
    assert sorted(p.slug for p in pages) == sorted(s.slug for s in STANDARD_PAGES)
    assert "Old words." not in _text(client, "contact")


def test_an_unknown_placeholder_is_refused(app: Flask, db: SQLAlchemy) -> None:
    broken = [{"slug": "contact", "title": "Contact", "body": "Write to {nobody}."}]
    with pytest.raises(DemoLoadError, match=r"unknown placeholder \{nobody\}"):
        load_pages(broken)


def test_every_demo_page_is_a_standard_page() -> None:
    assert [p["slug"] for p in read_pages()] == [s.slug for s in STANDARD_PAGES]
