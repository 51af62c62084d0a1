"""Links that need staff: unavailable recommended products, answers and products without links."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import Product, ProductStatus
from shop.editorial.models import Answer, AnswerStatus
from shop.extensions import db
from shop.inventory.services import allocate_stock
from shop.links.lifecycle import (
    AnswerRef,
    ProductRef,
    UnavailableLink,
    answers_recommending_unavailable,
    answers_without_products,
    products_without_answers,
)
from shop.links.models import AnswerProductLink
from tests.factories import make_answer, make_product
from tests.sql import counted_selects


def _link(answer: Answer, *products: Product) -> None:
    for position, product in enumerate(products):
        db.session.add(
            AnswerProductLink(answer_id=answer.id, product_id=product.id, position=position)
        )
    db.session.flush()


def test_archived_and_sold_out_recommendations_are_listed(db: SQLAlchemy) -> None:
    archived = make_product("Archived Cream", status=ProductStatus.ARCHIVED)
    empty = make_product("Empty Serum", variants=[("30 ml", 2000, 0), ("50 ml", 3000, 0)])
    held = make_product("Held Balm", variants=[("50 ml", 1500, 2)])
    allocate_stock({held.variants[0].id: 2})  # every unit waits in open checkouts
    partly = make_product("Partly Stocked Oil", variants=[("30 ml", 900, 0), ("100 ml", 2100, 3)])
    fine = make_product("Fine Lotion")
    draft = make_product("Draft Mask", status=ProductStatus.DRAFT, variants=[("50 ml", 1000, 0)])
    public = make_answer("Public?", slug="public")
    hidden = make_answer("Hidden?", slug="hidden", status=AnswerStatus.DRAFT)
    _link(public, archived, empty, held, partly, fine, draft)
    _link(hidden, empty)

    found = answers_recommending_unavailable()

    assert [(u.product_name, u.answer_slug, u.why, u.public) for u in found] == [
        ("Archived Cream", "public", "archived", True),
        ("Empty Serum", "hidden", "sold out", False),
        ("Empty Serum", "public", "sold out", True),
        ("Held Balm", "public", "sold out", True),
    ]
    assert found[0] == UnavailableLink(
        answer_id=public.id,
        answer_slug="public",
        question="Public?",
        public=True,
        product_id=archived.id,
        product_slug=archived.slug,
        product_name="Archived Cream",
        why="archived",
    )


def test_an_archived_product_is_archived_even_when_sold_out(db: SQLAlchemy) -> None:
    gone = make_product("Gone", status=ProductStatus.ARCHIVED, variants=[("1", 100, 0)])
    _link(make_answer("Q?"), gone)

    assert [u.why for u in answers_recommending_unavailable()] == ["archived"]


def test_answers_without_products(db: SQLAlchemy) -> None:
    linked = make_answer("Linked?", slug="linked")
    _link(linked, make_product())
    lonely = make_answer("Lonely?", slug="lonely")
    draft = make_answer("Draft?", slug="draft", status=AnswerStatus.DRAFT)
    make_answer("Later?", slug="later", days_ago=-3)  # scheduled for later

    assert answers_without_products() == [AnswerRef(lonely.id, "lonely", "Lonely?", True)]
    everything = answers_without_products(public_only=False)
    assert [(a.slug, a.public) for a in everything] == [
        ("draft", False),
        ("later", False),
        ("lonely", True),
    ]
    assert everything[0].id == draft.id


def test_active_products_without_answers(db: SQLAlchemy) -> None:
    zinc = make_product("Zinc Stick", slug="zinc-stick")
    recommended = make_product("Recommended Cream")
    in_a_draft = make_product("Draft-Linked Gel")
    make_product("Archived Cream", status=ProductStatus.ARCHIVED)
    make_product("Draft Mask", status=ProductStatus.DRAFT)
    unlinked = make_product("Aloe Gel", slug="aloe-gel")
    _link(make_answer("Q?"), recommended)
    _link(make_answer("Draft?", status=AnswerStatus.DRAFT), in_a_draft)

    assert products_without_answers() == [
        ProductRef(unlinked.id, "aloe-gel", "Aloe Gel"),
        ProductRef(zinc.id, "zinc-stick", "Zinc Stick"),
    ]


def test_each_list_is_one_query(db: SQLAlchemy) -> None:
    for n in range(5):
        answer = make_answer(f"Q{n}?")
        _link(
            answer,
            make_product(status=ProductStatus.ARCHIVED),
            make_product(variants=[("1", 100, 0)]),
        )
        make_answer(f"Lonely {n}?")
        make_product()
    db.session.commit()

    with counted_selects(db) as selects:
        assert len(answers_recommending_unavailable()) == 10
        assert len(answers_without_products()) == 5
        assert len(products_without_answers()) == 5

    assert len(selects) == 3


def test_check_lists_all_three(db: SQLAlchemy, runner: FlaskCliRunner) -> None:
    archived = make_product("Old Cream", slug="old-cream", status=ProductStatus.ARCHIVED)
    empty = make_product("Empty Serum", slug="empty-serum", variants=[("30 ml", 2000, 0)])
    make_product("Spare Gel", slug="spare-gel")
    _link(make_answer("Dry skin?", slug="dry-skin"), archived)
    _link(make_answer("Draft?", slug="draft-one", status=AnswerStatus.DRAFT), empty)
    make_answer("Moles?", slug="moles")
    db.session.commit()

    result = runner.invoke(args=["links", "check"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Answers recommending products that cannot be bought: 2",
        "  Empty Serum (empty-serum) is sold out; recommended in draft-one [not public]",
        "  Old Cream (old-cream) is archived; recommended in dry-skin",
        "Public answers without products: 1",
        "  moles: Moles?",
        "Active products no answer recommends: 1",
        "  Spare Gel (spare-gel)",
    ]


def test_check_on_an_empty_shop(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["links", "check"])

    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "Answers recommending products that cannot be bought: 0",
        "Public answers without products: 0",
        "Active products no answer recommends: 0",
    ]
