"""Turn what a visitor typed into a query each engine can run safely.

User text never reaches MATCH or to_tsquery as written: it is cut to words of unicode
letters and digits, so quotes, brackets, `*`, `-`, `^`, `:` and the like are gone; bare
operator words (AND, OR, NOT, NEAR) and English stop words are dropped; and each
remaining term is quoted for the engine. Dropping the stop words here, with the list
PostgreSQL's 'english' configuration uses, makes SQLite's FTS5 (which keeps every word)
require the same words PostgreSQL does, so "how do I start retinol" looks for "start"
and "retinol" on both.

A question is read for its key terms: the words that only make it a question ("what
helps with", "best", "recommend") are dropped too, and its terms are searched for as
any-of, best matches first, so asking never finds less than naming the thing.

Each term is searched for as typed and in its other spellings (`shop.search.spelling`):
"moisturiser" also looks for "moisturizer", and "spf50" also for the phrase "spf 50".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from shop.search.spelling import spelling_variants, split_number

MAX_QUERY_CHARS = 200
MAX_TERMS = 10
MAX_TERM_CHARS = 40
# Only a last term this long is searched as a prefix: FTS5's prefix index starts at two.
MIN_PREFIX_CHARS = 2

_WORD = re.compile(r"[^\W_]+")
OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
QUESTION_WORDS = frozenset(
    {"how", "what", "why", "can", "should", "does", "is", "do", "which", "when"}
)
QUESTION_MIN_WORDS = 4
# PostgreSQL's english.stop (snowball), so both engines ignore the same words.
_ENGLISH_STOP = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will
    just don should now
"""
STOP_WORDS = frozenset(_ENGLISH_STOP.split())
# Words that make a search a question without saying what it is about. Dropped from
# question-like searches only (a product may be called "Good Genes"), and only while a
# word is left.
_QUESTION_FILLER = """
    help helps helping helpful best good better great recommend recommended recommendation
    recommendations suggest suggestion suggestions advice tips tip anything something
    really please need needs want wants get getting use using used work works working way
    ways thing things would could might must also much many ok okay actually right
    everyday
"""
QUESTION_FILLER = frozenset(_QUESTION_FILLER.split())


@dataclass(frozen=True)
class SearchQuery:
    """A visitor's search: the text as shown back to them and the terms searched for."""

    text: str
    terms: tuple[str, ...]
    question_like: bool

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to search for (blank, punctuation, only stop words)."""
        return not self.terms

    def alternatives(self, term: str) -> tuple[tuple[str, ...], ...]:
        """The ways `term` is searched for: as typed, its other spellings, split at numbers."""
        found: list[tuple[str, ...]] = [(term,)]
        found += [(v,) for v in spelling_variants(term) if v not in STOP_WORDS]
        parts = split_number(term)
        if len(parts) > 1 and not any(p in STOP_WORDS for p in parts):
            found.append(parts)
        return tuple(found)

    def fts5(self, match_any: bool = False) -> str:
        """The query for SQLite's `MATCH`: quoted terms, the last one as a prefix."""
        groups = []
        for index, term in enumerate(self.terms):
            last = index == len(self.terms) - 1
            phrases = []
            for words in self.alternatives(term):
                phrase = '"' + " ".join(words).replace('"', '""') + '"'
                if last and len(words[-1]) >= MIN_PREFIX_CHARS:
                    phrase += "*"
                phrases.append(phrase)
            groups.append(phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")")
        return (" OR " if match_any else " AND ").join(groups)

    def tsquery(self, match_any: bool = False) -> str:
        """The query for PostgreSQL's `to_tsquery`: quoted lexemes, the last one as a prefix."""
        groups = []
        for index, term in enumerate(self.terms):
            last = index == len(self.terms) - 1
            phrases = []
            for words in self.alternatives(term):
                quoted = ["'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in words]
                if last and len(words[-1]) >= MIN_PREFIX_CHARS:
                    quoted[-1] += ":*"
                phrases.append(" <-> ".join(quoted))
            groups.append(phrases[0] if len(phrases) == 1 else "(" + " | ".join(phrases) + ")")
        return (" | " if match_any else " & ").join(groups)


def parse_query(raw: str | None) -> SearchQuery:
    """Read a visitor's search box: words to look for, and whether it reads as a question."""
    # Cut before normalising too, so a huge query costs no more than a long one.
    text = unicodedata.normalize("NFKC", (raw or "")[: MAX_QUERY_CHARS * 2])
    text = text[:MAX_QUERY_CHARS].strip()
    words = _WORD.findall(text)
    question_like = bool(words) and (
        words[0].lower() in QUESTION_WORDS or text.endswith("?") or len(words) >= QUESTION_MIN_WORDS
    )
    terms: list[str] = []
    for word in words:
        if word in OPERATORS:
            continue
        term = word.lower()[:MAX_TERM_CHARS]
        if term in STOP_WORDS or term in terms:
            continue
        terms.append(term)
    if question_like:
        terms = [term for term in terms if term not in QUESTION_FILLER] or terms
    return SearchQuery(text=text, terms=tuple(terms[:MAX_TERMS]), question_like=question_like)
