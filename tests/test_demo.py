"""`flask --app shop demo load` builds a believable shop that a visitor can browse."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import Brand, Category, Product, SkinConcern, Variant
from shop.inventory.models import StockRecord
from tests.html import visible_text


def _count(db: SQLAlchemy, model: type) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_demo_shop_is_believable_and_every_product_page_works(
    app: Flask, db: SQLAlchemy, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Loaded" in result.output

    assert _count(db, Product) >= 40
    assert _count(db, Category) >= 6
    assert _count(db, Brand) >= 8
    assert _count(db, SkinConcern) >= 8
    sold_out = db.session.scalars(
        sa.select(Product.slug)
        .join(Variant)
        .join(StockRecord)
        .group_by(Product.slug)
        .having(sa.func.sum(StockRecord.on_hand) == 0)
    ).all()
    low = db.session.scalar(
        sa.select(sa.func.count()).select_from(StockRecord).where(StockRecord.on_hand.between(1, 5))
    )
    assert len(sold_out) >= 1
    assert (low or 0) >= 3

    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    product_urls = re.findall(r"<loc>http://shop\.test(/products/[^<]+)</loc>", sitemap)
    assert len(product_urls) >= 40
    media_root = Path(app.config["MEDIA_ROOT"])
    for url in product_urls:
        page = client.get(url)
        assert page.status_code == 200, url
        text = visible_text(page)
        assert re.search(r"\$\d+\.\d\d", text), url
        assert re.search(r"In stock|Only \d+ left|Sold out", text), url
        html = page.get_data(as_text=True)
        image = re.search(r'<img src="/media/([^"]+)" alt="([^"]+)"', html)
        assert image is not None, url
        assert (media_root / image.group(1)).is_file()

    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0
    assert "already has products" in again.output


def test_demo_load_grows_a_large_synthetic_catalogue(
    db: SQLAlchemy, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    result = runner.invoke(args=["demo", "load", "--products", "130"])
    assert result.exit_code == 0, result.output
    assert "Grew the catalogue to 130 products" in result.output
    assert _count(db, Product) == 130
    listing = client.get("/products/?page=5")
    assert listing.status_code == 200
    assert "97–120 of 130 products" in visible_text(listing)


def test_demo_column_is_complete_and_every_answer_page_names_its_doctor(
    db: SQLAlchemy, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    import feedparser

    from shop.editorial.models import Doctor, QuestionStatus, ReaderQuestion, Topic

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert _count(db, Doctor) >= 2
    assert _count(db, Topic) >= 8
    waiting = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ReaderQuestion)
        .where(ReaderQuestion.status == QuestionStatus.NEW)
    )
    assert (waiting or 0) >= 5

    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    answer_urls = re.findall(r"<loc>http://shop\.test(/answers/[a-z0-9-]+)</loc>", sitemap)
    assert len(answer_urls) >= 30
    credentials = re.compile(r"Dr\. [A-Z][a-z]+ [A-Z][a-z]+, MD, FAAD")
    for url in answer_urls:
        page = client.get(url)
        assert page.status_code == 200, url
        assert credentials.search(visible_text(page)), url
    assert "/answers/botox-dysport-migraine-jaw-tension" in answer_urls

    feed = feedparser.parse(client.get("/answers/feed.xml").get_data())
    assert not feed.bozo
    assert feed.version == "atom10"
    assert len(feed.entries) == 20


def test_demo_staff_can_sign_in_with_the_documented_password(
    runner: FlaskCliRunner, client: FlaskClient
) -> None:
    from tests.html import csrf_token

    result = runner.invoke(args=["demo", "load"])
    assert "owner@demo.shop, editor@demo.shop, fulfilment@demo.shop" in result.output
    for email in ("owner@demo.shop", "editor@demo.shop", "fulfilment@demo.shop"):
        token = csrf_token(client.get("/admin/login"))
        signed_in = client.post(
            "/admin/login",
            data={"csrf_token": token, "email": email, "password": "skin-shop-demo"},
        )
        assert signed_in.status_code == 303, email
        home = client.get("/admin/")
        assert f"Signed in as {email}" in visible_text(home)
        client.post("/admin/logout", data={"csrf_token": csrf_token(home)})
