"""Forgiving words: British and American spellings, run-together numbers, and typos.

All of it is plain Python over plain words, so SQLite and PostgreSQL get the same query
and the same correction:

- `spelling_variants("moisturiser")` gives `("moisturizer",)`, and back: both spellings
  are searched for (an OR), so the indexed copy stays as written and needs no reindex.
  A variant that is not a real word costs one index probe and finds nothing.
- `split_number("spf50")` gives `("spf", "50")`: searched as a phrase beside the word
  as typed, so "spf50" finds "SPF 50" and "SPF50" alike.
- `Vocabulary` holds the shop's own words (built by `shop.search.queries` from the
  index) and proposes the closest one for a word the shop does not know. Every word is
  indexed under itself and each way of taking one letter out (as SymSpell does, to one
  deletion only, so building stays cheap); a lookup probes that index with the typed
  word's own one-letter deletions and, for two edits, those of every word one edit away
  from it. Candidates are then checked by true edit distance, so a lookup costs some
  thousands of dict probes rather than a pass over every word.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

# (British ending, American ending). Longer endings first: the first that fits is used.
_ENDINGS = (
    ("isations", "izations"),
    ("isation", "ization"),
    ("isers", "izers"),
    ("ising", "izing"),
    ("iser", "izer"),
    ("ised", "ized"),
    ("ises", "izes"),
    ("ise", "ize"),
    ("ysing", "yzing"),
    ("ysed", "yzed"),
    ("yser", "yzer"),
    ("yse", "yze"),
    ("ourations", "orations"),
    ("ouration", "oration"),
    ("ourants", "orants"),
    ("ourant", "orant"),
    ("ourful", "orful"),
    ("ourless", "orless"),
    ("ourable", "orable"),
    ("ouring", "oring"),
    ("oured", "ored"),
    ("ourites", "orites"),
    ("ourite", "orite"),
    ("ours", "ors"),
    ("our", "or"),
    ("tres", "ters"),
    ("tred", "tered"),
    ("tre", "ter"),
    ("ogues", "ogs"),
    ("ogue", "og"),
    ("ences", "enses"),
    ("ence", "ense"),
)
# (British start, American start).
_STARTS = (("sulph", "sulf"), ("oestr", "estr"), ("oedem", "edem"), ("haem", "hem"))
_WORDS = (
    ("ageing", "aging"),
    ("grey", "gray"),
    ("greys", "grays"),
    ("mould", "mold"),
    ("mouldy", "moldy"),
    ("aluminium", "aluminum"),
    ("programme", "program"),
    ("anaemia", "anemia"),
    ("paediatric", "pediatric"),
    ("paediatrician", "pediatrician"),
    ("sceptical", "skeptical"),
    ("pyjamas", "pajamas"),
    ("tonne", "ton"),
)
_WHOLE = {**dict(_WORDS), **{us: uk for uk, us in _WORDS}}
# A word must keep this many letters before an ending for the ending to count.
_MIN_STEM = 3

_NUMBER_BOUNDARY = re.compile(r"\d+|[^\W\d_]+")

# Shortest word worth correcting, and the edits allowed by length (a short word has
# too many neighbours one edit away for a guess to be any good).
MIN_CORRECTABLE = 4
_SHORT_WORD = 5


def spelling_variants(word: str) -> tuple[str, ...]:
    """Return the other spellings of `word` (British for American and back), if any."""
    found: list[str] = []
    if word in _WHOLE:
        found.append(_WHOLE[word])
    for uk, us in _STARTS:
        for mine, theirs in ((uk, us), (us, uk)):
            if word.startswith(mine) and len(word) > len(mine) + 1:
                found.append(theirs + word[len(mine) :])
                break
    for mine, theirs in _endings():
        if word.endswith(mine) and len(word) - len(mine) >= _MIN_STEM:
            found.append(word[: -len(mine)] + theirs)
            break
    return tuple(dict.fromkeys(v for v in found if v != word))


def _endings() -> Iterator[tuple[str, str]]:
    # Both directions, longest ending first so "isers" wins over "iser" and "ers".
    pairs = [*_ENDINGS, *((us, uk) for uk, us in _ENDINGS)]
    yield from sorted(pairs, key=lambda pair: -len(pair[0]))


def split_number(word: str) -> tuple[str, ...]:
    """Split a word where letters meet digits ("spf50" to "spf", "50"); else return it whole."""
    parts = tuple(_NUMBER_BOUNDARY.findall(word))
    return parts if len(parts) > 1 else (word,)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count one), or `limit + 1` past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, other in enumerate(b, 1):
            cost = 0 if char == other else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                best = min(best, before[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def allowed_edits(word: str) -> int:
    """How many edits a correction of `word` may make: one for short words, else two."""
    return 1 if len(word) <= _SHORT_WORD else 2


def _deletions(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def _one_edit(word: str, alphabet: str) -> set[str]:
    """Every string one deletion, swap, replacement or insertion away from `word`."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in alphabet}
    found |= {a + c + b for a, b in splits for c in alphabet}
    return found


def _light_stem(word: str) -> str:
    # Enough to see "serums", "hydrating" and "cleansed" as words the shop knows when it
    # has "serum", "hydrate" and "cleanse": never used to propose a word, only to spare one.
    for ending in ("ings", "ing", "ers", "ies", "es", "ed", "er", "ly", "s", "e"):
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


@dataclass
class Vocabulary:
    """The shop's words with how often each appears, and a way to find the nearest."""

    counts: Counter[str]
    _stems: set[str] = field(init=False, repr=False)
    _sorted: list[str] = field(init=False, repr=False)
    _by_deletion: dict[str, list[str]] = field(init=False, repr=False)
    _alphabet: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._stems = {_light_stem(word) for word in self.counts}
        self._sorted = sorted(self.counts)
        self._alphabet = "".join(sorted({char for word in self._sorted for char in word}))
        by_deletion: dict[str, list[str]] = defaultdict(list)
        for word in self._sorted:
            if len(word) >= MIN_CORRECTABLE - 1:
                for key in _deletions(word):
                    by_deletion[key].append(word)
        self._by_deletion = dict(by_deletion)

    @classmethod
    def from_words(cls, words: Iterable[str]) -> Vocabulary:
        """Build a vocabulary from words as they appear (already lower-cased)."""
        return cls(Counter(words))

    def knows(self, word: str, prefix: bool = False) -> bool:
        """Tell whether the shop uses this word, another spelling of it, or (`prefix`) its start."""
        if word in self.counts or any(v in self.counts for v in spelling_variants(word)):
            return True
        parts = split_number(word)
        if len(parts) > 1 and all(p.isdigit() or p in self.counts for p in parts):
            return True
        if word.isdigit() or _light_stem(word) in self._stems:
            return True
        if prefix:
            at = bisect_left(self._sorted, word)
            return at < len(self._sorted) and self._sorted[at].startswith(word)
        return False

    def closest(self, word: str) -> str | None:
        """Return the shop's word nearest to `word` within the allowed edits, or None.

        Fewest edits win, then the more common word, then the alphabetically first, so
        the same word always gets the same answer.
        """
        if len(word) < MIN_CORRECTABLE or word.isdigit():
            return None
        limit = allowed_edits(word)
        # Two strings one edit apart share a one-letter deletion (or one is the other's).
        near = {word} if limit == 1 else {word, *_one_edit(word, self._alphabet)}
        keys = set().union(*(_deletions(one) for one in near))
        candidates: set[str] = set()
        for key in keys:
            candidates.update(self._by_deletion.get(key, ()))
        best: tuple[int, int, str] | None = None
        for candidate in candidates:
            if candidate == word:
                continue
            distance = edit_distance(word, candidate, min(limit, allowed_edits(candidate)))
            if distance > min(limit, allowed_edits(candidate)):
                continue
            rank = (distance, -self.counts[candidate], candidate)
            if best is None or rank < best:
                best = rank
        return best[2] if best else None
