"""`flask --app shop demo load` builds a believable shop that a visitor can browse."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import Brand, Category, Product, SkinConcern, Variant
from shop.editorial.models import Answer
from shop.inventory.models import StockRecord
from tests.html import visible_text
from tests.stock import off_the_ledger


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
        home = client.get("/admin/", follow_redirects=True)  # the dashboard
        assert f"Signed in as {email}" in visible_text(home)
        client.post("/admin/logout", data={"csrf_token": csrf_token(home)})


BENCH_ARGS = ["--products", "80", "--answers", "40", "--links", "120", "--orders", "60"]


def test_demo_links_give_each_answer_its_products_in_order(
    db: SQLAlchemy, runner: FlaskCliRunner
) -> None:
    from shop.links.models import AnswerProductLink

    result = runner.invoke(args=["demo", "load", *BENCH_ARGS])
    assert result.exit_code == 0, result.output
    assert "Grew the product recommendations to 120 links" in result.output

    links = db.session.execute(
        sa.select(
            AnswerProductLink.answer_id,
            AnswerProductLink.product_id,
            AnswerProductLink.position,
            AnswerProductLink.note,
        )
    ).all()
    assert len(links) == 120
    assert len({(link.answer_id, link.product_id) for link in links}) == 120
    positions: dict[int, list[int]] = {}
    for link in links:
        positions.setdefault(link.answer_id, []).append(link.position)
        assert link.note.strip(), link
    for answer_id, taken in positions.items():
        assert sorted(taken) == list(range(len(taken))), answer_id
        assert 1 <= len(taken) <= 6, answer_id

    again = runner.invoke(args=["demo", "load", *BENCH_ARGS])
    assert "already has products" in again.output
    assert _count(db, AnswerProductLink) == 120


def test_demo_past_orders_add_up_and_leave_stock_alone(
    db: SQLAlchemy, runner: FlaskCliRunner, app: Flask, tmp_path: Path
) -> None:
    from shop.inventory.models import StockAdjustment
    from shop.links.models import OrderAttribution
    from shop.orders.models import Order, OrderLine, OrderStatus

    result = runner.invoke(args=["demo", "load", *BENCH_ARGS])
    assert result.exit_code == 0, result.output
    assert "Added 60 past orders over the last 365 days" in result.output

    flat = app.config["SHOP_SHIPPING_FLAT_RATE"]
    free_over = app.config["SHOP_FREE_SHIPPING_OVER"]
    variants = {v.id: v for v in db.session.scalars(sa.select(Variant))}
    names = dict(db.session.execute(sa.select(Product.id, Product.name)).all())
    orders = db.session.scalars(sa.select(Order).order_by(Order.id)).all()
    assert len(orders) == 60
    paid_like = {OrderStatus.PAID, OrderStatus.FULFILLED}
    assert sum(o.status in paid_like for o in orders) > 40
    for order in orders:
        assert order.number == f"DH-{100000 + order.id}"
        assert 1 <= len(order.lines) <= 3, order.number
        for line in order.lines:
            assert line.variant_id is not None
            variant = variants[line.variant_id]
            assert (line.sku, line.size_label, line.unit_price) == (
                variant.sku,
                variant.size_label,
                variant.price,
            )
            assert line.product_name == names[variant.product_id]
            assert line.line_total == line.unit_price * line.quantity
        assert order.subtotal == sum(line.line_total for line in order.lines)
        assert order.shipping == (0 if order.subtotal >= free_over else flat), order.number
        assert order.total == order.subtotal + order.shipping
        assert order.events, order.number
        if order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
            assert (order.amount_paid, order.paid_at) == (None, None), order.number
        else:
            assert order.amount_paid == order.total, order.number
            assert order.paid_at is not None
            assert 0 <= order.refunded_amount <= order.total
        assert order.status not in (OrderStatus.PENDING, OrderStatus.PROCESSING)

    # History: no stock held or sold; each size still has exactly its opening stock.
    assert _count(db, OrderLine) == sum(len(o.lines) for o in orders)
    assert db.session.scalar(sa.select(sa.func.sum(StockRecord.allocated))) == 0
    reasons = set(db.session.scalars(sa.select(StockAdjustment.reason)))
    assert reasons == {"initial"}
    assert off_the_ledger(db) == []

    exported = tmp_path / "orders.csv"
    export = runner.invoke(args=["orders", "export", "--output", str(exported)])
    assert export.exit_code == 0, export.output
    with exported.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["order_number"] for row in rows] == [o.number for o in orders]
    credited = dict(
        db.session.execute(
            sa.select(Order.number, Answer.slug)
            .join(OrderAttribution, OrderAttribution.order_id == Order.id)
            .join(Answer, Answer.id == OrderAttribution.answer_id)
            .where(OrderAttribution.role == "source")
        ).all()
    )
    assert credited
    assert {row["order_number"]: row["answer"] for row in rows if row["answer"]} == credited


def test_demo_past_orders_show_in_the_dashboard_and_the_answers_report(
    db: SQLAlchemy, runner: FlaskCliRunner, client: FlaskClient, tmp_path: Path
) -> None:
    from shop.links.models import OrderAttribution
    from shop.orders.models import Order, OrderStatus
    from shop.orders.statuses import PAID_STATUSES
    from tests.fixtures_staff import sign_in

    assert runner.invoke(args=["demo", "load", *BENCH_ARGS]).exit_code == 0

    status, _ = sign_in(client, "owner@demo.shop", "skin-shop-demo")
    assert status == 303
    dashboard = client.get("/admin/dashboard")
    assert dashboard.status_code == 200
    waiting = db.session.scalar(
        sa.select(sa.func.count()).select_from(Order).where(Order.status == OrderStatus.PAID)
    )
    assert f"Waiting for fulfilment ({waiting})" in visible_text(dashboard)

    report = tmp_path / "answers.csv"
    made = runner.invoke(args=["report", "answers", "--output", str(report)])
    assert made.exit_code == 0, made.output
    with report.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    sources = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OrderAttribution)
        .join(Order, Order.id == OrderAttribution.order_id)
        .where(OrderAttribution.role == "source", Order.status.in_(PAID_STATUSES))
    )
    assert sum(int(row["orders"]) for row in rows) == sources
    for row in rows:
        # An answer that sold something was read and clicked through first.
        assert int(row["views"]) >= int(row["product_clicks"]) >= int(row["add_to_carts"])
        assert int(row["add_to_carts"]) >= int(row["orders"]), row["answer_slug"]


def test_demo_load_refuses_more_links_than_the_answers_can_hold(
    db: SQLAlchemy, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(args=["demo", "load", "--answers", "40", "--links", "241"])
    assert result.exit_code == 2
    assert "40 answers hold at most 240 links" in result.output
    assert _count(db, Product) == 0
