"""Finding mentions of products in an answer's text: tokens, terms and one index.

Every active product's name, brand, SKUs and key-ingredient names become terms keyed by
token sequence; an answer's text is scanned once, taking the longest phrase at each
position (Aho-Corasick's leftmost-longest rule), so "zinc oxide" is not also a mention of
"zinc". Link addresses do not count; sentence and list breaks end a phrase.
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["name", "sku", "brand", "ingredient"]

# A name or SKU mention weighs 10, a brand 2, an ingredient 1, plus 2/n for a brand or
# ingredient n <= BROAD_AT products share; so any mention outweighs a shared concern.
BROAD_AT = 64
# An ingredient carried by more than this share of the catalogue (and more than
# COMMON_MIN products) says nothing about which product is meant: glycerin, water.
COMMON_SHARE = 0.3
COMMON_MIN = 10

BREAK = "|"  # a sentence or block boundary: no phrase spans one
_TOKEN = re.compile(r"[.!?;:|]+(?=\s|$)|\n[ \t]*(?:\n|[-*+>#]|\d+[.)](?=\s))|[^\W_]+|[%&]")
# Where a link points is not part of what the answer says. Each pattern runs only when
# its telltale is in the text: over thousands of answers, regular expressions are the cost.
_LINK_TARGET = re.compile(r"\]\([^)]*\)")  # [text](url "title"), ![alt](src)
_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:.*$", re.MULTILINE)  # [ref]: url
_BARE_ADDRESS = re.compile(r"(?:https?://|www\.)\S+")  # also <https://...>
_ATTRIBUTE = re.compile(r"\b(?:href|src)\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+)")  # inline HTML
_PERCENT = re.compile(r"\d+(?:[.,]\d+)?\s*%")
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_CODE = re.compile(r"^(?=.*[A-Z])[A-Z0-9]{2,4}$")  # "NP" in "Ceramide NP"


class _Normalised(dict[str, str]):
    """Each word's normal form, worked out once per distinct word."""

    def __missing__(self, word: str) -> str:
        if word == "&":
            normal = "and"
        elif word[0] in ".!?;:|\n":
            normal = BREAK
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            normal = word[:-1]  # a plural is a mention too: "ceramides" names "Ceramide NP"
        else:
            normal = word
        self[word] = normal
        return normal


_NORMALISED = _Normalised()


def _without_addresses(text: str) -> str:
    if "](" in text:
        text = _LINK_TARGET.sub("]", text)
    if "]:" in text:
        text = _REFERENCE.sub(" ", text)
    if "://" in text or "www." in text:
        text = _BARE_ADDRESS.sub(" ", text)
    if "=" in text:
        text = _ATTRIBUTE.sub(" ", text)
    return text


def tokens(text: str) -> list[str]:
    """Split text into lower-case word tokens as mentions are matched (link addresses dropped).

    A sentence or block boundary becomes BREAK, "&" becomes "and", and a plural loses its s.
    """
    words = _TOKEN.findall(_without_addresses(text.casefold()))
    return list(map(_NORMALISED.__getitem__, words))


# Words that name nothing on their own: common English, and what every product is called.
_COMMON_WORDS = """
about after also and are before both but can could does each every from have into just like
more most much only other over same some such than that their them then there these they this
those through under very what when where which while will with would your
acid aqua balm body care clean cleanser cream daily extract face fragrance gel gentle lotion
mask night parfum serum skin spf toner water
"""
_STOPWORDS = frozenset(t for word in _COMMON_WORDS.split() for t in tokens(word))


def _meaningful(key: tuple[str, ...]) -> bool:
    """Tell whether a phrase is specific enough to count as a mention."""
    words = [t for t in key if t != BREAK]
    if len(words) == 1:
        word = words[0]
        return len(word) >= 4 and not word.isdigit() and word not in _STOPWORDS
    return any(len(t) >= 3 and t.isalpha() and t not in _STOPWORDS for t in words)


def ingredient_names(raw: str) -> list[str]:
    """Name a key ingredient as prose does: "Niacinamide 2%" -> ["niacinamide"].

    Parentheses and strengths go, lists keep their first item, and the family name stands
    alone too: "Ceramides NP, AP, EOP" -> ["ceramides NP", "ceramides"], "Green Tea Extract
    (EGCG)" -> ["green tea extract", "green tea"]. Acronyms keep their capitals.
    """
    words = _PERCENT.sub(" ", _PARENTHESES.sub(" ", raw)).split(",")[0].split()
    if not words:
        return []
    forms = [words]
    family = list(words)
    while len(family) > 1 and _CODE.match(family[-1]):
        family.pop()
    if family != words and len("".join(family)) >= 6:  # "Zinc PCA" is not just zinc
        forms.append(family)
    if len(words) > 1 and words[-1].casefold() == "extract":
        forms.append(words[:-1])
    return [" ".join(_lower_but_acronyms(w) for w in form) for form in forms]


def _lower_but_acronyms(word: str) -> str:
    """ "L-Ascorbic" -> "L-ascorbic", "PCA" -> "PCA", "Acid" -> "acid"."""
    return "-".join(part if part.isupper() else part.lower() for part in word.split("-"))


Term = tuple[tuple[str, ...], Kind]  # a phrase's tokens, and what it names


_BASE_WEIGHT: dict[Kind, float] = {"name": 10.0, "sku": 10.0, "brand": 2.0, "ingredient": 1.0}
_KIND_ORDER: dict[Kind, int] = {"name": 0, "sku": 1, "brand": 2, "ingredient": 3}


def mention_reason(kind: Kind, label: str) -> str:
    """Say in plain English what the text mentions."""
    if kind == "name":
        return f'mentions the product name "{label}"'
    if kind == "brand":
        return f'mentions the brand "{label}"'
    if kind == "sku":
        return f"mentions SKU {label}"
    return f'mentions "{label}", a key ingredient'


class MentionIndex:
    """Phrases naming products, matched against text token by token.

    Products are numbered 0..n-1 by the caller (in the order suggestions break ties), and
    each term (phrase and kind) lists the products it names.
    """

    def __init__(self) -> None:
        self._carriers: dict[Term, list[int]] = {}
        self._labels: dict[Term, str] = {}
        self._kinds: dict[tuple[str, ...], list[Kind]] = {}
        self._lengths: dict[str, list[int]] = {}  # first token -> lengths, longest first
        self._keys: dict[str, tuple[str, ...] | None] = {}
        self._weights: dict[Term, float] = {}
        self._sets: dict[Term, frozenset[int]] = {}

    def add(self, product: int, kind: Kind, text: str) -> None:
        """Let `text` name the product (a no-op for phrases too short or common to count)."""
        if text not in self._keys:  # brands and ingredients repeat across thousands
            words = tuple(tokens(text))
            while words and words[0] == BREAK:
                words = words[1:]
            while words and words[-1] == BREAK:
                words = words[:-1]
            self._keys[text] = words if words and _meaningful(words) else None
        key = self._keys[text]
        if key is None:
            return
        term = (key, kind)
        carriers = self._carriers.get(term)
        if carriers is None:
            self._carriers[term] = [product]
            self._labels[term] = text
            self._kinds.setdefault(key, []).append(kind)
            lengths = self._lengths.setdefault(key[0], [])
            if len(key) not in lengths:
                lengths.append(len(key))
                lengths.sort(reverse=True)
        elif carriers[-1] != product:  # products are added one at a time
            carriers.append(product)

    def finish(self, catalogue_size: int) -> None:
        """Drop ingredients most products carry, and weigh the rest."""
        ceiling = max(COMMON_MIN, catalogue_size * COMMON_SHARE)
        for term, carriers in list(self._carriers.items()):
            key, kind = term
            if kind == "ingredient" and len(carriers) > ceiling:
                del self._carriers[term]
                self._kinds[key].remove(kind)
                continue
            weight = _BASE_WEIGHT[kind]
            if kind in ("brand", "ingredient") and len(carriers) <= BROAD_AT:
                weight += 2.0 / len(carriers)  # the fewer products share it, the more it says
            self._weights[term] = weight

    def scan(self, text: str) -> list[Term]:
        """Return the terms `text` mentions, once each, taking the longest phrase at each word."""
        words = tokens(text)
        found: dict[Term, None] = {}
        i, end = 0, len(words)
        while i < end:
            step = 1
            for length in self._lengths.get(words[i], ()):
                kinds = self._kinds.get(tuple(words[i : i + length])) if i + length <= end else None
                if kinds:
                    for kind in kinds:
                        found[(tuple(words[i : i + length]), kind)] = None
                    step = length
                    break
            i += step
        return list(found)

    def weight(self, term: Term) -> float:
        return self._weights[term]

    def label(self, term: Term) -> str:
        return self._labels[term]

    def carriers(self, term: Term) -> list[int]:
        return self._carriers[term]

    def is_broad(self, term: Term) -> bool:
        """Tell whether so many products carry the term that sets rank them, not a loop."""
        return len(self._carriers[term]) > BROAD_AT

    def carrier_set(self, term: Term) -> frozenset[int]:
        if term not in self._sets:
            self._sets[term] = frozenset(self._carriers[term])
        return self._sets[term]

    def carries(self, term: Term, product: int) -> bool:
        return product in self.carrier_set(term)

    def terms_for(self, product: int) -> list[Term]:
        """Return the terms that name one product."""
        return [term for term, carriers in self._carriers.items() if product in carriers]


def answer_text(question: str, letter: str, body: str) -> str:
    """The text of an answer in which mentions count."""
    return "\n\n".join((question, letter, body))
