"""Suggestions for staff: what an answer mentions, what shares its concerns, and back."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import Brand, Product, ProductStatus, SkinConcern
from shop.core.errors import NotFound
from shop.editorial.models import Answer, AnswerStatus
from shop.extensions import db
from shop.links import mentions, suggestions
from shop.links.mentions import answer_text, ingredient_names, tokens
from shop.links.models import AnswerProductLink, DismissedSuggestion
from shop.links.suggestions import (
    concern_score,
    dismiss_suggestion,
    restore_suggestion,
    suggest_answers_for_product,
    suggest_products_for_answer,
)
from tests.factories import make_answer, make_brand, make_concern, make_product
from tests.sql import counted_selects


@dataclass
class Shelf:
    rosacea: SkinConcern
    acne: SkinConcern
    cream: Product  # Harbour Lab, SKU HL-BRC-50, niacinamide, rosacea
    azelaic: Product  # Quiet Theory, azelaic acid, rosacea + acne
    cleanser: Product  # Quiet Theory, nothing shared


def _product(
    name: str,
    *,
    brand: str,
    ingredients: list[str],
    concerns: list[SkinConcern],
    sku: str | None = None,
    status: ProductStatus = ProductStatus.ACTIVE,
) -> Product:
    product = make_product(name, brand=_brand(brand), concerns=concerns, status=status)
    product.key_ingredients = ingredients
    if sku is not None:
        product.variants[0].sku = sku
    return product


def _brand(name: str) -> Brand:
    found = db.session.scalar(sa.select(Brand).where(Brand.name == name))
    return found or make_brand(name)


@pytest.fixture
def shelf(db: SQLAlchemy) -> Shelf:
    rosacea = make_concern("Rosacea & redness", "rosacea")
    acne = make_concern("Acne & breakouts", "acne")
    cream = _product(
        "Barrier Repair Cream",
        brand="Harbour Lab",
        ingredients=["Ceramides NP, AP, EOP", "Niacinamide 2%", "Glycerin"],
        concerns=[rosacea],
        sku="HL-BRC-50",
    )
    azelaic = _product(
        "Azelaic Acid 10% Cream",
        brand="Quiet Theory",
        ingredients=["Azelaic Acid 10%", "Glycerin"],
        concerns=[rosacea, acne],
    )
    cleanser = _product(
        "Velvet Cleansing Milk", brand="Quiet Theory", ingredients=["Oat Kernel Oil"], concerns=[]
    )
    db.session.flush()
    return Shelf(rosacea, acne, cream, azelaic, cleanser)


def _answer(body: str, concerns: list[SkinConcern] | None = None, **kwargs: Any) -> Answer:
    return make_answer("What should I use?", body=body, concerns=concerns or [], **kwargs)


def _reasons(answer: Answer) -> dict[str, list[str]]:
    return {s.product_slug: s.reasons for s in suggest_products_for_answer(answer.id)}


@pytest.mark.parametrize(
    ("body", "slug", "reason"),
    [
        (
            "I keep a barrier repair cream by the sink.",
            "cream",
            'mentions the product name "Barrier Repair Cream"',
        ),
        (
            "Anything from **Quiet Theory** is gentle.",
            "cleanser",
            'mentions the brand "Quiet Theory"',
        ),
        (
            "A little niacinamide helps the barrier.",
            "cream",
            'mentions "niacinamide", a key ingredient',
        ),
        ("Ceramides rebuild it.", "cream", 'mentions "ceramides", a key ingredient'),
        ("Reorder hl-brc-50 when it runs out.", "cream", "mentions SKU HL-BRC-50"),
        (
            "Try [this one](https://shop.test/products/x) with azelaic acid.",
            "azelaic",
            'mentions "azelaic acid", a key ingredient',
        ),
    ],
)
def test_an_answer_mentioning_a_product_suggests_it_and_says_why(
    shelf: Shelf, body: str, slug: str, reason: str
) -> None:
    product = getattr(shelf, slug)
    answer = _answer(body)

    reasons = _reasons(answer)

    assert reason in reasons[product.slug]


def test_mentions_in_the_question_and_the_letter_count_too(shelf: Shelf) -> None:
    answer = make_answer("Is Barrier Repair Cream enough?", body="Yes.")
    answer.letter = "Dear doctor, I use niacinamide."

    reasons = _reasons(answer)[shelf.cream.slug]

    assert reasons == [
        'mentions the product name "Barrier Repair Cream"',
        'mentions "niacinamide", a key ingredient',
    ]


@pytest.mark.parametrize(
    "body",
    [
        "See [my favourite](/products/barrier-repair-cream) for more.",
        "See <https://shop.test/barrier-repair-cream>.",
        "See https://shop.test/barrier/repair/cream today.",
        "See [the cream][1].\n\n[1]: /barrier-repair-cream",
        '<a href="/barrier repair cream">a cream</a>',
        "My barrier. Repair cream is for later.",  # not across a sentence
        "A barrier repair creamy texture.",  # whole words only
    ],
)
def test_addresses_partial_words_and_common_words_are_not_mentions(shelf: Shelf, body: str) -> None:
    answer = _answer(body)

    assert suggest_products_for_answer(answer.id) == []


def test_ingredients_most_products_carry_and_short_words_are_not_mentions(
    shelf: Shelf,
) -> None:
    for n in range(10):
        _product(f"Plain Lotion {n}", brand="Basalt", ingredients=["Glycerin"], concerns=[])
    mask = _product("Porridge Mask", brand="Basalt", ingredients=["Oat", "Kaolin"], concerns=[])
    answer = _answer("Glycerin and oat, or kaolin.")

    assert _reasons(answer) == {mask.slug: ['mentions "kaolin", a key ingredient']}


def test_link_text_is_a_mention_even_though_its_address_is_not(shelf: Shelf) -> None:
    answer = _answer("Try [Barrier Repair Cream](/products/elsewhere).")

    assert _reasons(answer) == {
        shelf.cream.slug: ['mentions the product name "Barrier Repair Cream"']
    }


def test_mentions_rank_above_products_that_only_share_concerns(shelf: Shelf) -> None:
    # The azelaic cream shares both concerns (a perfect overlap), the barrier cream only one,
    # and the cleanser shares none but is named by its brand.
    answer = _answer("Quiet Theory's milk is fine.", concerns=[shelf.rosacea, shelf.acne])

    found = suggest_products_for_answer(answer.id)

    assert [s.product_slug for s in found] == [
        shelf.azelaic.slug,  # a brand mention plus both concerns
        shelf.cleanser.slug,  # a brand mention only
        shelf.cream.slug,  # one concern of the two
    ]
    assert found[0].reasons == [
        'mentions the brand "Quiet Theory"',
        'shares the concerns "Acne & breakouts" and "Rosacea & redness"',
    ]
    assert found[2].reasons == ['shares the concern "Rosacea & redness"']
    assert found[1].score > found[2].score
    assert all(isinstance(s.score, float) for s in found)


def test_the_longest_phrase_wins(shelf: Shelf) -> None:
    # "Azelaic Acid 10% Cream" is the product; it is not also the ingredient of another one.
    other = _product("Redness Gel", brand="Nordvik", ingredients=["Azelaic Acid 15%"], concerns=[])
    answer = _answer("I prescribe Azelaic Acid 10% Cream.")

    reasons = _reasons(answer)

    assert reasons == {shelf.azelaic.slug: ['mentions the product name "Azelaic Acid 10% Cream"']}
    assert other.slug not in reasons


def test_the_limit_keeps_the_best(shelf: Shelf) -> None:
    answer = _answer("Barrier Repair Cream.", concerns=[shelf.rosacea])

    found = suggest_products_for_answer(answer.id, limit=1)

    assert [s.product_slug for s in found] == [shelf.cream.slug]


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.ARCHIVED])
def test_only_active_products_are_suggested_for_answers(
    db: SQLAlchemy, shelf: Shelf, status: ProductStatus
) -> None:
    shelf.cream.status = status
    db.session.flush()
    answer = _answer("Barrier Repair Cream, HL-BRC-50.", concerns=[shelf.rosacea])

    assert shelf.cream.slug not in _reasons(answer)


def test_linked_and_dismissed_pairs_are_never_suggested(db: SQLAlchemy, shelf: Shelf) -> None:
    body = "Barrier Repair Cream or Azelaic Acid 10% Cream, or the Quiet Theory milk."
    answer = _answer(body, concerns=[shelf.rosacea])
    db.session.add(AnswerProductLink(answer_id=answer.id, product_id=shelf.cream.id))
    dismiss_suggestion(answer.id, shelf.azelaic.id)

    assert list(_reasons(answer)) == [shelf.cleanser.slug]
    product_side = suggest_answers_for_product(shelf.cream.id) + suggest_answers_for_product(
        shelf.azelaic.id
    )
    assert product_side == []


def test_a_dismissal_lasts_until_it_is_restored(db: SQLAlchemy, shelf: Shelf) -> None:
    answer = _answer("Barrier Repair Cream.")
    dismiss_suggestion(answer.id, shelf.cream.id)
    dismiss_suggestion(answer.id, shelf.cream.id)  # twice is the same as once
    db.session.commit()

    for _ in range(2):
        assert _reasons(answer) == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DismissedSuggestion)) == 1

    restore_suggestion(answer.id, shelf.cream.id)
    restore_suggestion(answer.id, shelf.cream.id)

    assert list(_reasons(answer)) == [shelf.cream.slug]


def test_dismissing_an_unknown_pair_is_refused(shelf: Shelf) -> None:
    answer = _answer("Nothing.")
    with pytest.raises(NotFound):
        dismiss_suggestion(answer.id, 999_999)
    with pytest.raises(NotFound):
        dismiss_suggestion(999_999, shelf.cream.id)


def test_unknown_ids_are_not_found(shelf: Shelf) -> None:
    with pytest.raises(NotFound):
        suggest_products_for_answer(999_999)
    with pytest.raises(NotFound):
        suggest_answers_for_product(999_999)


def test_answers_are_suggested_for_a_product_drafts_marked(shelf: Shelf) -> None:
    named = _answer("HL-BRC-50 is our cream.", slug="named")
    draft = _answer(
        "Niacinamide, quietly.", slug="draft", status=AnswerStatus.DRAFT, concerns=[shelf.rosacea]
    )
    sharing = _answer("Nothing named.", slug="sharing", concerns=[shelf.rosacea, shelf.acne])
    _answer("Unrelated.", slug="unrelated")

    found = suggest_answers_for_product(shelf.cream.id)

    assert [(s.answer_slug, s.public) for s in found] == [
        ("named", True),
        ("draft", False),
        ("sharing", True),
    ]
    assert found[0].reasons == ["mentions SKU HL-BRC-50"]
    assert found[0].question == named.question
    assert found[1].reasons == [
        'mentions "niacinamide", a key ingredient',
        'shares the concern "Rosacea & redness"',
    ]
    assert found[1].answer_id == draft.id
    assert found[2].reasons == ['shares the concern "Rosacea & redness"']
    assert found[2].answer_id == sharing.id
    assert found[1].score > found[2].score


def test_both_directions_agree(shelf: Shelf) -> None:
    answer = _answer("Azelaic acid and Barrier Repair Cream.", concerns=[shelf.acne])

    for suggestion in suggest_products_for_answer(answer.id):
        back = {s.answer_id: s for s in suggest_answers_for_product(suggestion.product_id)}
        assert back[answer.id].reasons == suggestion.reasons
        assert back[answer.id].score == suggestion.score


def _every_product_scored(answer: Answer, excluded: set[int]) -> list[tuple[int, float]]:
    """The slow, obvious ranking: score every product, sort."""
    catalogue = suggestions._load_catalogue()
    index = catalogue.mentions
    terms = index.scan(answer_text(answer.question, answer.letter, answer.body))
    concern_ids = {c.id for c in answer.concerns}
    scored = []
    for rank, product in enumerate(catalogue.products):
        if product.id in excluded:
            continue
        named = [t for t in terms if not index.is_broad(t) and index.carries(t, rank)]
        named += [t for t in terms if index.is_broad(t) and index.carries(t, rank)]
        shared = concern_ids & product.concern_ids
        if named or shared:
            overlap = concern_score(len(shared), len(concern_ids), len(product.concern_ids))
            scored.append((rank, product.id, sum(index.weight(t) for t in named) + overlap))
    scored.sort(key=lambda item: (-item[2], item[0]))
    return [(product_id, round(score, 3)) for _, product_id, score in scored]


@pytest.mark.parametrize("broad_at", [1, 3, 1000])
def test_ranking_by_sets_equals_scoring_every_product(
    db: SQLAlchemy, monkeypatch: pytest.MonkeyPatch, broad_at: int
) -> None:
    # Terms many products share are ranked by set operations; they must rank as if every
    # product had been scored one by one.
    monkeypatch.setattr(mentions, "BROAD_AT", broad_at)
    rng = random.Random(7)
    concerns = [make_concern() for _ in range(4)]
    brands = ["Quiet Theory", "Harbour Lab", "Lumen Twelve"]
    pool = ["Niacinamide 4%", "Azelaic Acid", "Zinc Oxide", "Squalane", "Panthenol", "Urea 10%"]
    products = [
        _product(
            f"Item {n}",
            brand=rng.choice(brands),
            ingredients=rng.sample(pool, 2),
            concerns=rng.sample(concerns, rng.randint(0, 2)),
        )
        for n in range(30)
    ]
    for n in range(12):
        words = rng.sample(
            [
                *brands,
                "niacinamide",
                "azelaic acid",
                "zinc oxide",
                "squalane",
                "panthenol",
                "urea",
                f"Item {n}",
                "nothing",
            ],
            4,
        )
        answer = _answer(" and ".join(words) + ".", concerns=rng.sample(concerns, n % 3))
        excluded = {p.id for p in rng.sample(products, 3)}
        for product_id in excluded:
            dismiss_suggestion(answer.id, product_id)
        for limit in (1, 5, 40):
            expected = _every_product_scored(answer, excluded)[:limit]
            found = suggest_products_for_answer(answer.id, limit)
            assert [(s.product_id, s.score) for s in found] == expected


def test_a_fixed_number_of_queries_however_big_the_shop(db: SQLAlchemy, shelf: Shelf) -> None:
    answer_id = _answer("Barrier Repair Cream, niacinamide.", concerns=[shelf.rosacea]).id
    product_id = shelf.cream.id
    db.session.commit()

    def selects() -> tuple[int, int]:
        with counted_selects(db) as for_answer:
            suggest_products_for_answer(answer_id)
        with counted_selects(db) as for_product:
            suggest_answers_for_product(product_id)
        return len(for_answer), len(for_product)

    small = selects()
    for n in range(6):
        _product(f"Niacinamide Serum {n}", brand="Lumen", ingredients=["Niacinamide"], concerns=[])
        _answer(f"Barrier Repair Cream number {n}.", concerns=[shelf.rosacea])
    db.session.commit()

    assert selects() == small == (7, 6)


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("Niacinamide 2%", ["niacinamide"]),
        ("Adapalene 0.1%", ["adapalene"]),
        ("Ceramides NP, AP, EOP", ["ceramides NP", "ceramides"]),
        ("Green Tea Extract (EGCG)", ["green tea extract", "green tea"]),
        ("L-Ascorbic Acid 15%", ["L-ascorbic acid"]),
        ("Zinc PCA 1%", ["zinc PCA"]),
        ("50%", []),
    ],
)
def test_ingredients_are_named_as_prose_names_them(raw: str, names: list[str]) -> None:
    assert ingredient_names(raw) == names


def test_tokens_ignore_case_punctuation_and_plurals() -> None:
    assert tokens("Ceramides & NIACINAMIDE, 2%!") == [
        "ceramide",
        "and",
        "niacinamide",
        "2",
        "%",
        "|",
    ]


# The command line


def test_suggest_prints_one_answer_and_why(runner: FlaskCliRunner, shelf: Shelf) -> None:
    answer = _answer("Barrier Repair Cream helps.", slug="dry-winter", concerns=[shelf.acne])
    _answer("Barrier Repair Cream, again.", slug="another")
    db.session.commit()

    result = runner.invoke(args=["links", "suggest", "--answer", "dry-winter"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{answer.question} (dry-winter)",
        f"  + Barrier Repair Cream ({shelf.cream.slug}): "
        'mentions the product name "Barrier Repair Cream"',
        f'  + Azelaic Acid 10% Cream ({shelf.azelaic.slug}): shares the concern "Acne & breakouts"',
        "2 suggestions for 1 of 1 answer.",
    ]


def test_suggest_covers_every_public_answer(
    db: SQLAlchemy, runner: FlaskCliRunner, shelf: Shelf
) -> None:
    _answer("Barrier Repair Cream.", slug="public-one", days_ago=2)
    _answer("Nothing at all.", slug="public-two", days_ago=1)
    _answer("Barrier Repair Cream.", slug="a-draft", status=AnswerStatus.DRAFT)
    db.session.commit()

    result = runner.invoke(args=["links", "suggest", "--limit", "1"])

    assert result.exit_code == 0, result.output
    assert "(public-one)" in result.output
    assert "(public-two)" in result.output
    assert "a-draft" not in result.output
    assert "  (nothing to suggest)" in result.output
    assert result.output.splitlines()[-1] == "1 suggestion for 1 of 2 answers."


def test_suggest_refuses_an_unknown_answer(runner: FlaskCliRunner, shelf: Shelf) -> None:
    result = runner.invoke(args=["links", "suggest", "--answer", "no-such-answer"])

    assert result.exit_code == 2
    assert "there is no answer 'no-such-answer'" in result.output


def test_suggest_writes_nothing(db: SQLAlchemy, runner: FlaskCliRunner, shelf: Shelf) -> None:
    _answer("Barrier Repair Cream.", slug="one")
    db.session.commit()

    runner.invoke(args=["links", "suggest"])

    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnswerProductLink)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DismissedSuggestion)) == 0


def test_suggest_and_check_run_on_the_demo(runner: FlaskCliRunner) -> None:
    loaded = runner.invoke(args=["demo", "load"])
    assert loaded.exit_code == 0, loaded.output

    suggested = runner.invoke(
        args=["links", "suggest", "--answer", "botox-dysport-migraine-jaw-tension"]
    )
    everything = runner.invoke(args=["links", "suggest", "--limit", "3"])
    checked = runner.invoke(args=["links", "check"])

    assert suggested.exit_code == 0, suggested.output
    assert suggested.output.startswith("Can Botox or Dysport help migraines")
    assert " of 1 answer." in suggested.output.splitlines()[-1]
    assert everything.exit_code == 0, everything.output
    assert "  + " in everything.output
    assert checked.exit_code == 0, checked.output
    assert "Active products no answer recommends:" in checked.output
