"""The tie-ins as readers meet them: products on answers, answers on products, and credit."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import ProductStatus
from shop.links.models import AnswerDailyStats, AnswerProductLink
from tests.factories import make_answer, make_concern, make_product
from tests.html import csrf_token, visible_text
from tests.sql import counted_selects


@pytest.fixture
def routine(db: SQLAlchemy) -> dict[str, Any]:
    """An answer on dryness recommending three products: in stock, sold out, archived."""
    dry = make_concern("Dryness", "dryness")
    cream = make_product("Barrier Cream", slug="barrier-cream", concerns=[dry],
                         variants=[("50 ml", 2800, 10), ("100 ml", 4600, 4)])  # fmt: skip
    gone = make_product("Old Balm", slug="old-balm", concerns=[dry], status=ProductStatus.ARCHIVED)
    empty = make_product(
        "Rich Mask", slug="rich-mask", concerns=[dry], variants=[("75 ml", 3000, 0)]
    )
    spare = make_product(
        "Oat Lotion", slug="oat-lotion", concerns=[dry], variants=[("200 ml", 1800, 7)]
    )
    answer = make_answer("Why is my skin so dry in winter?", slug="dry-winter", concerns=[dry])
    for position, (product, note, caution) in enumerate(
        [(cream, "Ceramides rebuild the barrier.", "Patch-test first."),
         (empty, "A weekly rescue mask.", ""), (gone, "An old favourite.", "")]
    ):  # fmt: skip
        link = AnswerProductLink(answer_id=answer.id, product_id=product.id, position=position)
        link.note, link.caution = note, caution
        db.session.add(link)
    db.session.commit()
    return {"answer": answer.slug, "answer_id": answer.id, "cream": cream.slug,
            "cream_sku": cream.variants[0].sku, "spare": spare.slug}  # fmt: skip


def test_answer_page_lists_the_products_with_notes_and_never_a_dead_button(
    client: FlaskClient, routine: dict[str, Any]
) -> None:
    response = client.get(f"/answers/{routine['answer']}")
    text = visible_text(response)
    assert "Products from this answer" in text
    assert text.index("Barrier Cream") < text.index("Rich Mask") < text.index("Old Balm")
    assert "Ceramides rebuild the barrier." in text
    assert "Caution: Patch-test first." in text
    assert "$28.00" in text and "In stock" in text  # noqa: PT018
    assert "Sold out for now." in text
    assert "No longer sold." in text
    assert "In stock for the same concern: Oat Lotion" in text
    html = response.get_data(as_text=True)
    assert html.count("Add to cart<span") == 1  # only the product that can be bought
    assert "Add this routine to cart" not in text  # one buyable product is not a routine


def test_adding_the_routine_adds_every_product_that_can_be_bought(
    client: FlaskClient, db: SQLAlchemy, routine: dict[str, Any]
) -> None:
    spare_id = db.session.scalar(sa.text("select id from products where slug = 'oat-lotion'"))
    db.session.add(
        AnswerProductLink(answer_id=routine["answer_id"], product_id=spare_id, position=9)
    )
    db.session.commit()
    page = client.get(f"/answers/{routine['answer']}")
    assert "Add this routine to cart (2 products)" in visible_text(page)
    response = client.post(
        f"/answers/{routine['answer']}/routine", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/answers/{routine['answer']}#products")
    cart = visible_text(client.get("/cart"))
    assert "Barrier Cream" in cart and "Oat Lotion" in cart  # noqa: PT018
    assert "Rich Mask" not in cart


def test_product_page_says_what_the_doctor_says(
    client: FlaskClient, routine: dict[str, Any]
) -> None:
    text = visible_text(client.get(f"/products/{routine['cream']}"))
    assert "What the doctor says" in text
    assert "Why is my skin so dry in winter?" in text
    assert "“Ceramides rebuild the barrier.”" in text
    spare = visible_text(client.get(f"/products/{routine['spare']}"))
    assert "Suggested reading" in spare  # not linked, but on the same concern
    assert "Why is my skin so dry in winter?" in spare


def _queries(app: Flask, client: FlaskClient, url: str) -> int:
    from shop.extensions import db

    # A real request starts with an empty session; the test's own objects must not be
    # refreshed inside the request and counted against the page.
    db.session.remove()
    with counted_selects(db) as selects, client.get(url) as response:
        assert response.status_code == 200
    return len(selects)


def test_answer_and_product_pages_cost_the_same_queries_with_1_or_50_links(
    app: Flask, client: FlaskClient, db: SQLAlchemy
) -> None:
    concern = make_concern("Acne", "acne")
    small = make_answer("One product?", slug="one-link", concerns=[concern])
    big = make_answer("Fifty products?", slug="fifty-links", concerns=[concern])
    products = [make_product(f"Gel {n}", slug=f"gel-{n}", concerns=[concern],
                             variants=[("30 ml", 1000 + n, 0 if n % 7 == 0 else 5)])
                for n in range(50)]  # fmt: skip
    db.session.add(AnswerProductLink(answer_id=small.id, product_id=products[1].id))
    for n, product in enumerate(products):
        db.session.add(AnswerProductLink(answer_id=big.id, product_id=product.id, position=n))
    db.session.commit()
    app.config["CACHE_TYPE"] = "NullCache"  # what building the page costs, every time
    client.get("/answers/one-link")  # warm up the session cookie and caches
    one, fifty = (
        _queries(app, client, "/answers/one-link"),
        _queries(app, client, "/answers/fifty-links"),
    )
    assert one <= fifty <= one + 4  # the alternatives lookup runs only when something is sold out
    assert fifty <= 16
    assert _queries(app, client, "/products/gel-1") == _queries(app, client, "/products/gel-0")


def test_reading_clicking_and_adding_are_counted_for_the_answer(
    client: FlaskClient, db: SQLAlchemy, routine: dict[str, Any]
) -> None:
    client.get(f"/answers/{routine['answer']}").close()  # closing sends the counts
    with client.get(f"/answers/{routine['answer']}/products/{routine['cream']}") as click:
        assert click.status_code == 302
        assert click.headers["Location"].endswith(f"/products/{routine['cream']}")
    page = client.get(f"/products/{routine['cream']}")
    data = {"csrf_token": csrf_token(page), "variant": routine["cream_sku"], "quantity": "1"}
    client.post("/cart/add", data=data).close()
    db.session.expire_all()
    stats = db.session.scalars(sa.select(AnswerDailyStats)).one()
    assert (stats.views, stats.product_clicks, stats.add_to_carts) == (1, 1, 1)


def test_an_add_without_reading_the_answer_is_not_credited(
    client: FlaskClient, db: SQLAlchemy, routine: dict[str, Any]
) -> None:
    page = client.get(f"/products/{routine['cream']}")
    data = {"csrf_token": csrf_token(page), "variant": routine["cream_sku"], "quantity": "1"}
    assert client.post("/cart/add", data=data).status_code == 303
    assert db.session.scalars(sa.select(AnswerDailyStats)).all() == []


def test_report_answers_writes_the_figures(
    client: FlaskClient, runner: FlaskCliRunner, routine: dict[str, Any]
) -> None:
    client.get(f"/answers/{routine['answer']}").close()
    result = runner.invoke(args=["report", "answers"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == (
        "answer_slug,question,views,product_clicks,add_to_carts,orders,assisted_orders,revenue,"
        "code_revenue,currency"
    )
    assert lines[1] == "dry-winter,Why is my skin so dry in winter?,1,0,0,0,0,0.00,0.00,USD"
    later = runner.invoke(args=["report", "answers", "--since", "2999-01-01"])
    assert later.output.strip().splitlines()[1:] == []
    bad = runner.invoke(args=["report", "answers", "--since", "yesterday"])
    assert bad.exit_code == 2
