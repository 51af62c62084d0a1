"""The headline "Answer this" proposes: the reader's question, trimmed to a short question."""

from __future__ import annotations

import pytest

from shop.editorial.headlines import HEADLINE_MAX, propose_headline


@pytest.mark.parametrize(
    ("asked", "headline"),
    [
        (
            "Why does my skin flake in winter? I moisturise twice a day.\nIt still stings.",
            "Why does my skin flake in winter?",
        ),
        # The sentence that asks, not the one that sets the scene; the greeting dropped.
        (
            "Dear Dr. Hale, my skin flakes in winter. What should I do about it?",
            "What should I do about it?",
        ),
        ("Hi doctor! Is SPF 30 enough for the beach?", "Is SPF 30 enough for the beach?"),
        # "Dr." and "e.g." do not end a sentence.
        (
            "I saw Dr. Smith. Can I use vitamin C, e.g. a serum, with retinol?",
            "Can I use vitamin C, e.g. a serum, with retinol?",
        ),
        # A statement becomes a question; a lowercase start is capitalised.
        ("my skin is oily by noon.", "My skin is oily by noon?"),
        ("hello, is niacinamide safe in pregnancy", "Is niacinamide safe in pregnancy?"),
        ("Is this normal?!", "Is this normal?"),
    ],
)
def test_the_proposed_headline_is_the_readers_question(asked: str, headline: str) -> None:
    assert propose_headline(asked, 7) == headline


def test_a_long_question_is_cut_at_a_clause_and_still_asks() -> None:
    asked = (
        "Why does my skin flake in winter even though I moisturise twice a day with a thick "
        "cream, drink lots of water and run a humidifier at night in the bedroom?"
    )
    headline = propose_headline(asked, 7)
    assert headline == (
        "Why does my skin flake in winter even though I moisturise twice a day with a thick cream?"
    )


def test_a_long_question_without_breaks_is_cut_at_a_word_not_on_a_small_one() -> None:
    headline = propose_headline("word and " * 40, 7)
    assert len(headline) <= HEADLINE_MAX
    assert headline.startswith("Word and word")
    assert headline.endswith(" word?")


@pytest.mark.parametrize("asked", ["???", "", "  \n  "])
def test_a_question_without_words_gets_a_stand_in_question(asked: str) -> None:
    assert propose_headline(asked, 12) == "What is reader #12 asking?"
