"""Search forgives typos, British or American spelling, run-together numbers and questions.

On SQLite FTS5 and PostgreSQL full text alike (every test runs on both).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import ProductStatus
from shop.editorial.models import AnswerStatus
from tests.factories import make_answer, make_brand, make_concern, make_doctor, make_product
from tests.html import visible_text
from tests.search.helpers import answer_slugs, hits, search_page

DRAFT_WORD = "tranexamic"


@pytest.fixture
def counter(db: SQLAlchemy) -> dict[str, Any]:
    """A small shop counter written the way the demo is: mixed spellings, SPF 50, rosacea."""
    brand = make_brand("Calder Skin", "calder-skin")
    doctor = make_doctor("Ines Vale", "ines-vale")
    rosacea = make_concern("Rosacea", "rosacea")
    serum = make_product("Retinol Renewal Serum", slug="retinol-renewal-serum", brand=brand)
    serum.key_ingredients = ["Retinol", "Squalane"]
    serum.description = "A slow-release retinol serum for smoother, brighter skin."
    niacinamide = make_product(
        "Niacinamide Clarifying Drops", slug="niacinamide-drops", brand=brand
    )
    niacinamide.key_ingredients = ["Niacinamide", "Zinc PCA"]
    niacinamide.description = "Ten percent niacinamide to calm redness and refine pores."
    sunscreen = make_product("Mineral Fluid SPF 50", slug="mineral-fluid", brand=brand)
    sunscreen.description = "A zinc-only SPF 50 fluid for reactive, rosacea-prone skin."
    sunscreen.concerns = [rosacea]
    cream = make_product("Calming Barrier Moisturiser", slug="calming-moisturiser", brand=brand)
    cream.description = "A rich moisturiser with ceramides that soothes redness from rosacea."
    cream.concerns = [rosacea]
    make_product(
        f"Brightening Drops with {DRAFT_WORD.title()}",
        slug="draft-drops",
        status=ProductStatus.DRAFT,
    )
    found = {
        "flushing": make_answer(
            "Why does my face flush after a hot shower?",
            slug="face-flush",
            doctor=doctor,
            concerns=[rosacea],
            body="Flushing like this is often rosacea. Keep water lukewarm and use a "
            "plain moisturizer morning and night.",
        ),
        "routine": make_answer(
            "Which moisturizer suits oily skin?",
            slug="oily-moisturizer",
            doctor=doctor,
            body="A light gel moisturizer with niacinamide keeps shine down without clogging.",
        ),
        "draft": make_answer(
            "A draft on pigment",
            slug="draft-pigment",
            doctor=doctor,
            status=AnswerStatus.DRAFT,
            body=f"Notes on {DRAFT_WORD} acid for melasma.",
        ),
    }
    db.session.commit()
    return found


def test_a_typo_shows_results_for_the_shop_word(
    client: FlaskClient, counter: dict[str, Any]
) -> None:
    response = search_page(client, "retinl")
    text = visible_text(response)
    assert "Showing results for retinol" in text
    assert "Search instead for retinl" in text
    assert hits(response, "products") == ["Retinol Renewal Serum"]
    html = response.get_data(as_text=True)
    assert 'href="/search?q=retinl&amp;exact=1"' in html


def test_searching_instead_for_the_typo_finds_nothing_and_says_so(
    client: FlaskClient, counter: dict[str, Any]
) -> None:
    text = visible_text(search_page(client, "retinl", exact="1"))
    assert "Nothing matched “retinl”" in text
    assert "Showing results for" not in text


def test_a_misspelt_ingredient_finds_its_products(
    client: FlaskClient, counter: dict[str, Any]
) -> None:
    response = search_page(client, "niacinimide")
    assert "Showing results for niacinamide" in visible_text(response)
    assert hits(response, "products") == ["Niacinamide Clarifying Drops"]
    assert answer_slugs(response) == ["oily-moisturizer"]


def test_a_typo_among_right_words_is_corrected_alone(
    client: FlaskClient, counter: dict[str, Any]
) -> None:
    response = search_page(client, "retinl serum")
    assert "Showing results for retinol serum" in visible_text(response)
    assert hits(response, "products") == ["Retinol Renewal Serum"]


@pytest.mark.parametrize(
    "q", ["retinol", "moisturiser", "moisturizer", "serums", "spf50", "niacin"]
)
def test_a_word_the_shop_uses_is_never_corrected(
    client: FlaskClient, counter: dict[str, Any], q: str
) -> None:
    response = search_page(client, q)
    assert "Showing results for" not in visible_text(response)
    assert hits(response, "products") or answer_slugs(response)


def test_a_word_only_a_draft_uses_is_never_proposed(
    client: FlaskClient, counter: dict[str, Any]
) -> None:
    response = search_page(client, "tranexamik")
    text = visible_text(response)
    assert DRAFT_WORD not in text.lower()
    assert "Nothing matched “tranexamik”" in text


@pytest.mark.parametrize("q", ["xqzzvplk", "zzzz qqqq", "?!"])
def test_nonsense_gets_a_clear_no_results_page(
    client: FlaskClient, counter: dict[str, Any], q: str
) -> None:
    text = visible_text(search_page(client, q))
    assert "Showing results for" not in text
    assert "Nothing matched" in text or "nothing to search for" in text
    assert "Browse all skincare" in text


def test_british_and_american_spellings_find_the_same(
    client: FlaskClient, counter: dict[str, Any]
) -> None:
    british = search_page(client, "moisturiser")
    american = search_page(client, "moisturizer")
    assert (
        sorted(answer_slugs(british))
        == sorted(answer_slugs(american))
        == [
            "face-flush",
            "oily-moisturizer",
        ]
    )
    assert sorted(hits(british, "products")) == sorted(hits(american, "products"))
    assert hits(american, "products") == ["Calming Barrier Moisturiser"]


@pytest.mark.parametrize("q", ["spf50", "SPF50", "spf 50"])
def test_spf50_finds_the_spf_50_products(
    client: FlaskClient, counter: dict[str, Any], q: str
) -> None:
    assert hits(search_page(client, q), "products") == ["Mineral Fluid SPF 50"]


@pytest.mark.parametrize(
    "question",
    [
        "what helps with rosacea?",
        "What is the best moisturiser for rosacea?",
        "how do I calm rosacea?",
    ],
)
def test_a_question_finds_at_least_what_its_key_term_finds(
    client: FlaskClient, counter: dict[str, Any], question: str
) -> None:
    asked = search_page(client, question)
    named = search_page(client, "rosacea")
    assert set(hits(named, "products")) <= set(hits(asked, "products"))
    assert set(answer_slugs(named)) <= set(answer_slugs(asked))
    assert len(hits(named, "products")) == 2


def test_the_demo_shop_forgives(
    client: FlaskClient, runner: FlaskCliRunner, db: SQLAlchemy
) -> None:
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output

    retinol = search_page(client, "retinol")
    retinl = search_page(client, "retinl")
    assert "Showing results for retinol" in visible_text(retinl)
    assert hits(retinl, "products") == hits(retinol, "products") != []
    assert answer_slugs(retinl) == answer_slugs(retinol)

    niacinimide = search_page(client, "niacinimide")
    assert "Showing results for niacinamide" in visible_text(niacinimide)
    assert hits(niacinimide, "products") == hits(search_page(client, "niacinamide"), "products")

    spf = hits(search_page(client, "spf50", group="products"), "products")
    assert spf == hits(search_page(client, "spf 50", group="products"), "products")
    assert len(spf) >= 5

    british = answer_slugs(search_page(client, "moisturiser", group="answers"))
    american = answer_slugs(search_page(client, "moisturizer", group="answers"))
    assert len(american) > 0
    assert sorted(british) == sorted(american)

    for group in ("products", "answers"):
        asked = search_page(client, "what helps with rosacea?", group=group)
        named = search_page(client, "rosacea", group=group)
        found = hits(asked, group) if group == "products" else answer_slugs(asked)
        key = hits(named, group) if group == "products" else answer_slugs(named)
        assert set(key) <= set(found), group
        assert key


def test_a_new_product_s_words_are_corrected_to_at_once(
    client: FlaskClient, db: SQLAlchemy, counter: dict[str, Any]
) -> None:
    assert "Nothing matched “azelaik”" in visible_text(search_page(client, "azelaik"))
    make_product("Azelaic Acid Suspension", slug="azelaic-suspension")
    db.session.commit()
    response = search_page(client, "azelaik")
    assert "Showing results for azelaic" in visible_text(response)
    assert hits(response, "products") == ["Azelaic Acid Suspension"]
