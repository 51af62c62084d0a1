"""British and American spellings, run-together numbers and typos, in plain Python."""

from __future__ import annotations

import pytest

from shop.search.spelling import Vocabulary, edit_distance, spelling_variants, split_number


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("moisturiser", "moisturizer"),
        ("moisturisers", "moisturizers"),
        ("moisturising", "moisturizing"),
        ("colour", "color"),
        ("discolouration", "discoloration"),
        ("ageing", "aging"),
        ("centre", "center"),
        ("analyse", "analyze"),
        ("sulphate", "sulfate"),
        ("hydrolysed", "hydrolyzed"),
        ("pigmentisation", "pigmentization"),
    ],
)
def test_british_and_american_spellings_find_each_other(british: str, american: str) -> None:
    assert american in spelling_variants(british)
    assert british in spelling_variants(american)


@pytest.mark.parametrize("word", ["retinol", "niacinamide", "spf", "acne", "zinc"])
def test_words_spelt_alike_everywhere_have_no_variants(word: str) -> None:
    assert spelling_variants(word) == ()


@pytest.mark.parametrize(
    ("typed", "parts"),
    [
        ("spf50", ("spf", "50")),
        ("50ml", ("50", "ml")),
        ("b5", ("b", "5")),
        ("retinol", ("retinol",)),
    ],
)
def test_numbers_are_split_from_letters(typed: str, parts: tuple[str, ...]) -> None:
    assert split_number(typed) == parts


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("retinl", "retinol", 1),
        ("niacinimide", "niacinamide", 1),
        ("acen", "acne", 1),  # two letters swapped count once
        ("rosacia", "rosacea", 1),
        ("hyalurnic", "hyaluronic", 1),
        ("nicainimide", "niacinamide", 2),
        ("retinol", "retinol", 0),
        ("zinc", "retinol", 3),  # past the limit of 2
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 2) == min(distance, 3)


_SHOP_TEXT = """
    retinol retinol retinal niacinamide niacinamide rosacea ceramides serum serum
    moisturizer sunscreen hyaluronic squalane acne
"""
SHOP_WORDS = _SHOP_TEXT.split()


@pytest.mark.parametrize(
    ("typed", "nearest"),
    [
        ("retinl", "retinol"),
        ("niacinimide", "niacinamide"),
        ("nicainimide", "niacinamide"),  # two edits in a long word
        ("rosacia", "rosacea"),
        ("sunscren", "sunscreen"),
        ("acen", "acne"),
        ("squalan", "squalane"),
    ],
)
def test_a_typo_gets_the_nearest_shop_word(typed: str, nearest: str) -> None:
    assert Vocabulary.from_words(SHOP_WORDS).closest(typed) == nearest


def test_a_tie_goes_to_the_commoner_word() -> None:
    # "retinxl" is one edit from both; the shop says "retinol" twice, "retinal" once.
    assert Vocabulary.from_words(SHOP_WORDS).closest("retinxl") == "retinol"


@pytest.mark.parametrize("typed", ["xqzzv", "banana", "ret", "zzzzzzzzzz", "12345", ""])
def test_nothing_near_gets_no_proposal(typed: str) -> None:
    assert Vocabulary.from_words(SHOP_WORDS).closest(typed) is None


@pytest.mark.parametrize(
    ("typed", "prefix"),
    [
        ("retinol", False),
        ("serums", False),  # an inflection of a shop word
        ("moisturiser", False),  # the other spelling of a shop word
        ("spf50", False),
        ("niacin", True),  # the start of a shop word, as the last word typed
    ],
)
def test_words_the_shop_knows_are_not_corrected(typed: str, prefix: bool) -> None:
    vocabulary = Vocabulary.from_words([*SHOP_WORDS, "spf"])
    assert vocabulary.knows(typed, prefix=prefix)


def test_a_proposal_is_always_a_shop_word() -> None:
    vocabulary = Vocabulary.from_words(SHOP_WORDS)
    for typed in ("retinl", "retinoll", "niacinamid", "ceramids", "hyaluronc", "rosacae", "acme"):
        proposal = vocabulary.closest(typed)
        assert proposal is None or proposal in SHOP_WORDS, (typed, proposal)
