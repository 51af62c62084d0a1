"""What a visitor types becomes a safe query for each engine, whatever they type."""

from __future__ import annotations

import pytest

from shop.search.parser import MAX_TERMS, parse_query


@pytest.mark.parametrize(
    ("typed", "terms"),
    [
        ("Barrier Rep", ("barrier", "rep")),
        ('"retinol" AND niacinamide*', ("retinol", "niacinamide")),
        ("NEAR(retinol vitamin, 3)", ("retinol", "vitamin", "3")),
        ("'; DROP TABLE products; --", ("drop", "table", "products")),
        ("retinol:* & !acid | (zinc)", ("retinol", "acid", "zinc")),
        ("crème brûlée", ("crème", "brûlée")),
        ("日本語 😀", ("日本語",)),
        ("\uff33\uff30\uff26\uff15\uff10", ("spf50",)),  # full-width "SPF50" reads as plain
        ("how do I start a retinoid?", ("start", "retinoid")),
        ("snake_case", ("snake", "case")),
        ("retinol Retinol RETINOL", ("retinol",)),
    ],
)
def test_terms_are_plain_words(typed: str, terms: tuple[str, ...]) -> None:
    assert parse_query(typed).terms == terms


@pytest.mark.parametrize("typed", ["", "   ", '"', "*", "AND", "NEAR(", "?!", "😀🧴", "the and of"])
def test_nothing_to_search_for(typed: str) -> None:
    query = parse_query(typed)
    assert query.is_empty
    assert query.fts5() == ""
    assert query.tsquery() == ""


def test_engine_queries_quote_every_term_and_prefix_the_last() -> None:
    query = parse_query('barrier "rep')
    assert query.fts5() == '"barrier" AND "rep"*'
    assert query.fts5(match_any=True) == '"barrier" OR "rep"*'
    assert query.tsquery() == "'barrier' & 'rep':*"
    assert query.tsquery(match_any=True) == "'barrier' | 'rep':*"


def test_a_one_letter_last_term_is_not_a_prefix() -> None:
    assert parse_query("vitamin c").fts5() == '"vitamin" AND "c"'
    assert parse_query("vitamin c").tsquery() == "'vitamin' & 'c'"


def test_length_and_term_count_are_capped() -> None:
    long = parse_query("x" * 1000)
    assert len(long.text) == 200
    assert long.terms == ("x" * 40,)
    many = parse_query(" ".join(f"word{n}" for n in range(50)))
    assert len(many.terms) == MAX_TERMS


@pytest.mark.parametrize(
    ("typed", "question_like"),
    [
        ("How do I start retinol", True),
        ("what is azelaic acid", True),
        ("Can I use vitamin C with niacinamide", True),
        ("retinol for beginners?", True),
        ("best cream for dry skin", True),  # four words
        ("Barrier Repair Cream", False),
        ("Harbour Lab", False),
        ("niacinamide", False),
        ("isotretinoin", False),  # starts with "is" but is not the word "is"
        ("", False),
    ],
)
def test_question_like(typed: str, question_like: bool) -> None:
    assert parse_query(typed).question_like is question_like


def test_other_spellings_are_searched_too() -> None:
    query = parse_query("moisturiser cream")
    assert query.terms == ("moisturiser", "cream")
    assert query.fts5() == '("moisturiser" OR "moisturizer") AND "cream"*'
    assert query.tsquery() == "('moisturiser' | 'moisturizer') & 'cream':*"


def test_numbers_run_into_letters_are_also_searched_apart() -> None:
    query = parse_query("spf50")
    assert query.fts5() == '("spf50"* OR "spf 50"*)'
    assert query.tsquery() == "('spf50':* | 'spf' <-> '50':*)"
    assert parse_query("50ml tube").fts5() == '("50ml" OR "50 ml") AND "tube"*'


@pytest.mark.parametrize(
    ("typed", "terms"),
    [
        ("what helps with rosacea?", ("rosacea",)),
        ("What is the best moisturiser for my dry skin?", ("moisturiser", "dry", "skin")),
        ("can you recommend a good sunscreen", ("sunscreen",)),
        ("how do I use retinol?", ("retinol",)),
        ("what helps?", ("helps",)),  # nothing but question words: keep them
        ("Good Genes", ("good", "genes")),  # a name, not a question
    ],
)
def test_questions_are_searched_for_their_key_terms(typed: str, terms: tuple[str, ...]) -> None:
    assert parse_query(typed).terms == terms
