"""Search as a visitor meets it, on SQLite FTS5 and on PostgreSQL full text."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import Product, ProductStatus
from shop.core.models import utcnow
from shop.editorial.models import Answer, AnswerStatus
from shop.search.models import SearchDocument
from shop.search.queries import search
from tests.factories import (
    make_answer,
    make_brand,
    make_concern,
    make_doctor,
    make_product,
    make_topic,
)
from tests.html import injected_markup, visible_text
from tests.search.helpers import group_order, hits, search_page
from tests.sql import counted_selects

SECRET = "zebrafishword"


@pytest.fixture
def shelf(db: SQLAlchemy) -> dict[str, Any]:
    """Products and answers to find, and drafts, archived and future ones never to find."""
    harbour = make_brand("Harbour Lab", "harbour-lab")
    nordvik = make_brand("Nordvik Derm", "nordvik-derm")
    hale = make_doctor("Miriam Hale", "miriam-hale")
    rosacea = make_concern("Rosacea", "rosacea")
    barrier = make_product("Barrier Repair Cream", slug="barrier-repair-cream", brand=harbour)
    barrier.key_ingredients = ["Ceramides", "Cholesterol"]
    barrier.description = "Ceramides and cholesterol for a **damaged** skin barrier."
    retinal = make_product("Retinal Night Serum", slug="retinal-night-serum", brand=nordvik)
    retinal.key_ingredients = ["Retinaldehyde", "Squalane"]
    retinal.description = "A gentle retinoid serum in a cushioning base."
    found = {
        "barrier": barrier,
        "retinal": retinal,
        "draft_product": make_product(
            f"Barrier Draft Balm {SECRET}", slug="draft-balm", status=ProductStatus.DRAFT
        ),
        "archived_product": make_product(
            f"Barrier Archived Oil {SECRET}", slug="archived-oil", status=ProductStatus.ARCHIVED
        ),
        "retinoid": make_answer(
            "How should I start a retinoid?",
            slug="start-a-retinoid",
            doctor=hale,
            concerns=[rosacea],
            body="## Go slowly\n\nBegin with **retinaldehyde** two nights a week, then more.\n",
        ),
        "sunscreen": make_answer(
            "Do I need sunscreen indoors?",
            slug="sunscreen-indoors",
            doctor=hale,
            body="Window glass lets UVA through, so yes, near a window.\n",
        ),
        "draft_answer": make_answer(
            "A draft about the barrier?",
            slug="draft-answer",
            doctor=hale,
            status=AnswerStatus.DRAFT,
            body=f"Unpublished words: {SECRET}.",
        ),
        "future_answer": make_answer(
            "A future answer about the barrier?",
            slug="future-answer",
            doctor=hale,
            status=AnswerStatus.SCHEDULED,
            published_at=utcnow() + timedelta(days=3),
            body=f"Scheduled words: {SECRET}.",
        ),
    }
    db.session.commit()
    return found


def test_finds_an_answer_by_a_word_from_its_body(
    client: FlaskClient, shelf: dict[str, Any]
) -> None:
    response = search_page(client, "retinaldehyde")
    assert hits(response, "answers") == ["How should I start a retinoid?"]
    html = response.get_data(as_text=True)
    assert "<mark>retinaldehyde</mark>" in html
    # The snippet is words, not Markdown.
    snippet = re.search(r'<p class="search-snippet">(.*?)</p>', html, re.S)
    assert snippet is not None
    assert "**" not in snippet.group(1)
    assert "##" not in snippet.group(1)
    assert "Dr. Miriam Hale" in visible_text(response)


def test_finds_a_product_by_the_start_of_its_name(
    client: FlaskClient, shelf: dict[str, Any]
) -> None:
    response = search_page(client, "Barrier Rep")
    assert hits(response, "products") == ["Barrier Repair Cream"]
    html = response.get_data(as_text=True)
    assert "<mark>Barrier</mark> <mark>Repair</mark> Cream" in html
    assert "/products/barrier-repair-cream" in html
    text = visible_text(response)
    assert "Harbour Lab" in text
    assert "$25.00" in text
    assert "In stock" in text


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Harbour", ["Barrier Repair Cream"]),  # brand
        ("nordvik derm", ["Retinal Night Serum"]),  # brand, two words
        ("squalane", ["Retinal Night Serum"]),  # key ingredient
        ("ceramides", ["Barrier Repair Cream"]),  # ingredient and description
        ("retinal", ["Retinal Night Serum"]),
        ("cushion", ["Retinal Night Serum"]),  # a prefix of a description word
    ],
)
def test_finds_products_by_brand_ingredient_and_description(
    client: FlaskClient, shelf: dict[str, Any], q: str, expected: list[str]
) -> None:
    assert hits(search_page(client, q), "products") == expected


def test_name_matches_rank_above_description_matches(
    client: FlaskClient, db: SQLAlchemy, shelf: dict[str, Any]
) -> None:
    mentions = make_product("Plain Cleanser")
    mentions.description = "Pairs well with a serum at night, " + "gentle " * 30
    db.session.commit()
    assert hits(search_page(client, "serum"), "products") == [
        "Retinal Night Serum",
        "Plain Cleanser",
    ]


def test_drafts_archived_and_future_content_are_never_found(
    client: FlaskClient, shelf: dict[str, Any]
) -> None:
    response = search_page(client, SECRET)
    assert "Nothing matched" in visible_text(response)
    for q in ("barrier", "barrier draft", "barrier archived", "future answer", "draft"):
        html = search_page(client, q).get_data(as_text=True)
        for hidden in (
            "draft-balm",
            "archived-oil",
            "draft-answer",
            "future-answer",
            "Barrier Draft Balm",
            "A future answer",
        ):
            assert hidden not in html, (q, hidden)


def test_an_answer_scheduled_for_later_is_found_from_its_time(
    client: FlaskClient, db: SQLAlchemy, shelf: dict[str, Any]
) -> None:
    future: Answer = shelf["future_answer"]
    assert future.published_at is not None
    later = utcnow() + timedelta(days=4)
    [answers] = [g for g in search(SECRET, now=later).groups if g.kind == "answers"]
    assert [hit.answer.slug for hit in answers.page.items] == ["future-answer"]
    assert hits(search_page(client, SECRET), "answers") == []

    # Its time comes: nothing is reindexed, it is simply public now.
    db.session.execute(
        sa.update(Answer)
        .where(Answer.id == future.id)
        .values(published_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    assert hits(search_page(client, SECRET), "answers") == ["A future answer about the barrier?"]


def test_publishing_a_draft_makes_it_findable(
    client: FlaskClient, db: SQLAlchemy, shelf: dict[str, Any]
) -> None:
    from shop.editorial.publishing import publish_answer_now

    draft = shelf["draft_answer"]
    publish_answer_now(draft.id, draft.version)
    db.session.commit()
    assert hits(search_page(client, SECRET), "answers") == ["A draft about the barrier?"]


def test_renaming_a_product_changes_results_at_once(
    client: FlaskClient, db: SQLAlchemy, shelf: dict[str, Any]
) -> None:
    shelf["barrier"].name = "Ceramide Comfort Cream"
    db.session.commit()
    assert hits(search_page(client, "comfort"), "products") == ["Ceramide Comfort Cream"]
    assert hits(search_page(client, "repair"), "products") == []


def test_renaming_a_brand_concern_or_topic_reaches_their_documents(
    client: FlaskClient, db: SQLAlchemy, shelf: dict[str, Any]
) -> None:
    shelf["barrier"].brand.name = "Seaside Apothecary"
    topic = make_topic("Routines", "routines")
    shelf["sunscreen"].topics = [topic]
    db.session.commit()
    assert hits(search_page(client, "seaside"), "products") == ["Barrier Repair Cream"]
    assert hits(search_page(client, "harbour"), "products") == []
    assert hits(search_page(client, "routines"), "answers") == ["Do I need sunscreen indoors?"]

    topic.name = "Daily habits"
    shelf["retinoid"].concerns[0].name = "Flushing"
    db.session.commit()
    assert hits(search_page(client, "habits"), "answers") == ["Do I need sunscreen indoors?"]
    assert hits(search_page(client, "flushing"), "answers") == ["How should I start a retinoid?"]
    assert hits(search_page(client, "rosacea"), "answers") == []

    db.session.delete(topic)
    db.session.commit()
    assert hits(search_page(client, "habits"), "answers") == []


def test_editing_an_answer_changes_results_and_a_rollback_leaves_none(
    client: FlaskClient, db: SQLAlchemy, shelf: dict[str, Any]
) -> None:
    shelf["sunscreen"].body = "Azelaic acid is a different matter."
    db.session.commit()
    assert hits(search_page(client, "azelaic"), "answers") == ["Do I need sunscreen indoors?"]
    assert hits(search_page(client, "UVA"), "answers") == []

    shelf["sunscreen"].body = "Bakuchiol talk that is never saved."
    db.session.flush()
    db.session.rollback()
    assert hits(search_page(client, "bakuchiol"), "answers") == []
    assert hits(search_page(client, "azelaic"), "answers") == ["Do I need sunscreen indoors?"]


def test_deleting_a_product_deletes_its_document(db: SQLAlchemy, shelf: dict[str, Any]) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(SearchDocument))
    db.session.delete(shelf["retinal"])
    db.session.commit()
    after = db.session.scalar(sa.select(sa.func.count()).select_from(SearchDocument))
    assert after == (before or 0) - 1
    assert [g.page.total for g in search("squalane").groups] == [0, 0]


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("how do I start a retinoid", "answers"),
        ("retinoid?", "answers"),
        ("what about retinal", "answers"),
        ("retinal serum for night use", "answers"),  # four words or more
        ("retinal", "products"),
        ("Retinal Night", "products"),
    ],
)
def test_questions_lead_with_answers_and_names_with_products(
    client: FlaskClient, shelf: dict[str, Any], q: str, first: str
) -> None:
    assert group_order(search_page(client, q))[0] == first


def test_nothing_with_every_word_falls_back_to_any_word(
    client: FlaskClient, shelf: dict[str, Any]
) -> None:
    response = search_page(client, "squalane ceramides")
    assert "contain some of them" in visible_text(response)
    assert sorted(hits(response, "products")) == ["Barrier Repair Cream", "Retinal Night Serum"]


BAD_INPUT = [
    "",
    " ",
    "x" * 1000,
    "retinol " * 200,
    '"',
    "'",
    '"unterminated',
    "AND",
    "retinol AND",
    "OR NOT",
    "*",
    "retin*",
    "NEAR(",
    "NEAR(retinol serum, 2)",
    "^barrier",
    "title:barrier",
    "-barrier",
    "{barrier}",
    "(((",
    "a:*",
    "!",
    "&|!",
    "\\",
    "'; DROP TABLE products; --",
    "1' OR '1'='1",
    "crème",
    "日本語",
    "🧴✨",
    "Ω≈ç√∫",
    "\u0000",
    "\u202e",
    "%00",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("q", BAD_INPUT)
def test_bad_input_gets_a_normal_page(client: FlaskClient, shelf: dict[str, Any], q: str) -> None:
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'role="search"' in html
    assert injected_markup(html) == []
    assert client.get("/products/barrier-repair-cream").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/search",
        "/search?q=",
        "/search?q=%22",
        "/search?q=barrier&page=abc",
        "/search?q=barrier&page=-3",
        "/search?q=barrier&page=999999999999999999999",
        "/search?q=barrier&group=nonsense",
        "/search?q=barrier&group=products&page=40",
        "/search?q=barrier&q=cream",
        "/search?q=%FF%FE",
    ],
)
def test_odd_urls_get_a_normal_page(client: FlaskClient, shelf: dict[str, Any], url: str) -> None:
    assert client.get(url).status_code == 200


def test_empty_search_shows_a_friendly_empty_state(client: FlaskClient, db: SQLAlchemy) -> None:
    text = visible_text(search_page(client, ""))
    assert "Type a product name" in text
    text = visible_text(search_page(client, '"*"'))
    assert "There is nothing to search for" in text


def test_markup_in_content_is_escaped_in_titles_and_snippets(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    make_product('<script>alert("name")</script> Glow Serum', slug="glow")
    make_answer(
        "Is <b>bold</b> <img src=x onerror=alert(1)> glow real?",
        slug="glow-answer",
        body='Glow comes from <script>alert("body")</script> and '
        '<img src=x onerror=alert(2)> a healthy barrier. <a href="javascript:alert(3)">x</a>',
    )
    db.session.commit()
    for q in ("glow", "script", "onerror", "alert"):
        response = search_page(client, q)
        html = response.get_data(as_text=True)
        assert injected_markup(html) == [], q
        assert "<script>alert" not in html, q
        assert "<img src=x" not in html, q
        assert "<b>bold</b>" not in html, q
        # Only our own <mark> elements are markup inside titles and snippets.
        for fragment in re.findall(
            r'<p class="search-snippet">(.*?)</p>|<h3 class="search-hit-title"><a [^>]*>(.*?)</a>',
            html,
            re.S,
        ):
            for part in fragment:
                assert set(re.findall(r"</?(\w+)", part)) <= {"mark"}, part
    page = search_page(client, "glow").get_data(as_text=True)
    assert "&lt;script&gt;" in page
    assert "Search results for “glow”" in visible_text(search_page(client, "glow"))
    title = search_page(client, "<b>x</b>").get_data(as_text=True)
    assert "<title>Search results for “&lt;b&gt;x&lt;/b&gt;”" in title


def test_a_results_page_costs_the_same_queries_for_few_or_manyhits(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    doctor = make_doctor()
    make_product("Lotus Cream One")
    make_answer("Lotus question one?", doctor=doctor)
    db.session.commit()
    with counted_selects(db) as few:
        search_page(client, "lotus")

    for n in range(15):
        make_product(f"Lotus Cream {n}", variants=[("30 ml", 1000 + n, n), ("50 ml", 2000, 1)])
        make_answer(f"Lotus question {n}?", doctor=doctor)
    db.session.commit()
    with counted_selects(db) as many:
        response = search_page(client, "lotus")
    assert len(hits(response, "products")) == 10
    assert len(hits(response, "answers")) == 10
    assert len(many) == len(few)
    # A count and a page per group, and the product images.
    assert len(many) <= 5, many


def test_each_group_links_to_more_and_pages_through_them(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    for n in range(25):
        make_product(f"Tonic Mist {n:02d}")
    db.session.commit()
    overview = search_page(client, "tonic")
    assert len(hits(overview, "products")) == 10
    assert "See all 25 products" in visible_text(overview)
    assert "/search?q=tonic&amp;group=products" in overview.get_data(as_text=True)

    first = search_page(client, "tonic", group="products")
    assert len(hits(first, "products")) == 20
    assert group_order(first) == ["products"]
    second = search_page(client, "tonic", group="products", page="2")
    assert len(hits(second, "products")) == 5
    assert set(hits(first, "products")).isdisjoint(hits(second, "products"))
    assert "All results for" in visible_text(second)


def test_results_page_is_not_for_search_engines(client: FlaskClient, shelf: dict[str, Any]) -> None:
    html = search_page(client, "barrier").get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in html
    assert '<link rel="canonical"' not in html
    assert "<script" not in html


@pytest.mark.parametrize("url", ["/", "/answers/", "/products/", "/no-such-page", "/cart"])
def test_every_page_has_the_search_box(client: FlaskClient, db: SQLAlchemy, url: str) -> None:
    html = client.get(url).get_data(as_text=True)
    form = re.search(
        r'<form class="site-search" role="search" action="/search" method="get">'
        r"(.*?)</form>",
        html,
        re.S,
    )
    assert form is not None, url
    assert '<label for="site-search-q"' in form.group(1)
    assert 'id="site-search-q" name="q"' in form.group(1)


def test_the_search_box_keeps_what_was_searched(client: FlaskClient, db: SQLAlchemy) -> None:
    html = search_page(client, 'retinol "serum"').get_data(as_text=True)
    assert 'name="q" value="retinol &#34;serum&#34;"' in html


def test_reindex_picks_up_rows_written_around_the_orm(
    client: FlaskClient, db: SQLAlchemy, runner: FlaskCliRunner, shelf: dict[str, Any]
) -> None:
    db.session.execute(
        sa.update(Product)
        .where(Product.id == shelf["retinal"].id)
        .values(name="Quietly Renamed Serum")
    )
    db.session.commit()
    assert hits(search_page(client, "quietly"), "products") == []

    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 4 products and 4 answers." in result.output
    assert hits(search_page(client, "quietly"), "products") == ["Quietly Renamed Serum"]
    # Reindexing twice changes nothing.
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    assert hits(search_page(client, "Barrier Rep"), "products") == ["Barrier Repair Cream"]
