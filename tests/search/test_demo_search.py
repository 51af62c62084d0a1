"""The demo shop is searchable as soon as it is loaded, bulk-loaded rows included."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import Product
from shop.editorial.models import Answer
from tests.search.helpers import answer_slugs, group_order, hits, search_page

RETINOIDS = "retinol-retinal-or-tretinoin-for-fine-lines"


def test_demo_answers_and_products_are_found(
    client: FlaskClient, runner: FlaskCliRunner, db: SQLAlchemy
) -> None:
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output

    # "retinaldehyde" is in that answer's body, not in its question.
    body_word = search_page(client, "retinaldehyde")
    assert RETINOIDS in answer_slugs(body_word)
    assert "<mark>retinaldehyde</mark>" in body_word.get_data(as_text=True).lower()

    retinal = search_page(client, "retinal")
    assert group_order(retinal) == ["products", "answers"]
    assert RETINOIDS in answer_slugs(retinal)
    assert hits(retinal, "products")

    assert hits(search_page(client, "Barrier Rep"), "products")[0] == "Barrier Repair Cream"
    assert hits(search_page(client, "Harbour Lab"), "products")
    assert hits(search_page(client, "niacinamide"), "products")
    assert group_order(search_page(client, "should I use a toner?"))[0] == "answers"

    # The demo's draft (oily skin in summer) and scheduled (toner) answers stay out.
    for q in ("oily humid summer", "fungal", "toner", "toner routine"):
        slugs = answer_slugs(search_page(client, q))
        assert "oily-skin-humid-summer" not in slugs, q
        assert "do-i-need-a-toner" not in slugs, q


def test_bulk_loaded_products_and_answers_are_indexed(
    client: FlaskClient, runner: FlaskCliRunner, db: SQLAlchemy
) -> None:
    result = runner.invoke(args=["demo", "load", "--products", "70", "--answers", "40"])
    assert result.exit_code == 0, result.output
    generated = db.session.scalar(sa.select(Product.name).where(Product.slug.like("%no-70")))
    assert generated is not None
    assert hits(search_page(client, generated), "products")[0] == generated
    question = db.session.scalar(
        sa.select(Answer.question).where(Answer.slug == "generated-answer-40")
    )
    assert question is not None
    assert answer_slugs(search_page(client, question))[0] == "generated-answer-40"
