"""Suggestions for staff: products an answer mentions or shares concerns with, and back.

Mentions are found by tokens, not substrings. Every active product's name, brand, SKUs
and key-ingredient names become terms in one dict keyed by token sequence, with the
lengths to try for each first token; an answer's text is scanned once, taking the
longest phrase at each position (Aho-Corasick's leftmost-longest rule), so "zinc oxide"
is not also a mention of "zinc". The catalogue is read in four queries whatever its
size, and the bulk scan builds the index once for every answer.

Scores: any mention is worth at least 1 and a shared-concern match at most 0.9, so
products the text names always rank above products that only share a concern. A term
hundreds of products share (a popular ingredient, a big brand) is not scored product by
product: those products are ranked with set operations (see `_rank_products`), which
keeps 5,000 answers against 10,000 products to a few seconds.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Literal, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shop.catalog.models import Brand, Product, ProductStatus, SkinConcern, Variant
from shop.catalog.models import product_concerns as product_concerns_table
from shop.core.errors import NotFound
from shop.editorial.models import Answer, answer_concerns
from shop.editorial.queries import is_public
from shop.extensions import db
from shop.links.models import AnswerProductLink, DismissedSuggestion

Kind = Literal["name", "sku", "brand", "ingredient"]

# A name or SKU mention weighs 10, a brand 2, an ingredient 1, plus 2/n for a brand or
# ingredient n <= BROAD_AT products share; so any mention outweighs a shared concern.
BROAD_AT = 64
CONCERN_WEIGHT = 0.9  # times the overlap of concerns (0..1): always below one mention
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


@dataclass(frozen=True)
class ProductSuggestion:
    """A product staff might link to an answer, and why."""

    answer_id: int
    product_id: int
    product_slug: str
    product_name: str
    brand: str
    score: float
    reasons: list[str]


@dataclass(frozen=True)
class AnswerSuggestion:
    """An answer staff might link a product to, and why; drafts say so in `public`."""

    product_id: int
    answer_id: int
    answer_slug: str
    question: str
    public: bool
    score: float
    reasons: list[str]


@dataclass(frozen=True)
class AnswerWithSuggestions:
    """One answer and the products suggested for it."""

    answer_id: int
    slug: str
    question: str
    suggestions: list[ProductSuggestion]


class _CatalogProduct(NamedTuple):
    id: int
    slug: str
    name: str
    brand: str
    concern_ids: frozenset[int]


def concern_score(shared: int, answer_concerns: int, product_concerns: int) -> float:
    """Score an overlap of concerns: shared over all of both (Jaccard), scaled below a mention."""
    union = answer_concerns + product_concerns - shared
    return CONCERN_WEIGHT * shared / union if union else 0.0


@dataclass(frozen=True)
class _ConcernMatch:
    """Products sharing concerns with one set of concerns, grouped by score, best first."""

    groups: list[tuple[float, frozenset[int]]]
    score: dict[int, float]
    sharing: frozenset[int]


@dataclass
class _Catalogue:
    products: list[_CatalogProduct]  # by rank: name, then id
    rank: dict[int, int]  # product id -> rank
    mentions: MentionIndex
    by_concern: dict[int, list[int]]  # concern id -> ranks
    concern_names: dict[int, str]
    _matches: dict[frozenset[int], _ConcernMatch] = field(default_factory=dict)

    def concern_match(self, concern_ids: frozenset[int]) -> _ConcernMatch:
        """Products sharing any of these concerns, by overlap (cached per set of concerns)."""
        if concern_ids not in self._matches:
            shared: Counter[int] = Counter()
            for concern_id in concern_ids:
                shared.update(self.by_concern.get(concern_id, ()))
            score = {
                r: concern_score(n, len(concern_ids), len(self.products[r].concern_ids))
                for r, n in shared.items()
            }
            groups: dict[float, set[int]] = {}
            for r, s in score.items():
                groups.setdefault(s, set()).add(r)
            self._matches[concern_ids] = _ConcernMatch(
                sorted(((s, frozenset(g)) for s, g in groups.items()), reverse=True),
                score,
                frozenset(score),
            )
        return self._matches[concern_ids]

    def concern_reason(self, shared: Iterable[int]) -> str | None:
        names = sorted(self.concern_names[c] for c in shared)
        if not names:
            return None
        if len(names) == 1:
            return f'shares the concern "{names[0]}"'
        quoted = [f'"{n}"' for n in names]
        return f"shares the concerns {', '.join(quoted[:-1])} and {quoted[-1]}"

    def reasons(self, terms: Iterable[Term], shared_concerns: Iterable[int]) -> list[str]:
        index = self.mentions
        ordered = sorted(terms, key=lambda t: (_KIND_ORDER[t[1]], -index.weight(t), index.label(t)))
        reasons = [mention_reason(kind, index.label((key, kind))) for key, kind in ordered]
        concern_reason = self.concern_reason(shared_concerns)
        return [*reasons, concern_reason] if concern_reason else reasons


def _load_catalogue(extra_product_id: int | None = None) -> _Catalogue:
    """Read every active product's names, SKUs, ingredients and concerns (four queries)."""
    wanted: sa.ColumnElement[bool] = Product.status == ProductStatus.ACTIVE
    if extra_product_id is not None:
        wanted = sa.or_(wanted, Product.id == extra_product_id)
    rows = db.session.execute(
        sa.select(Product.id, Product.slug, Product.name, Product.key_ingredients, Brand.name)
        .join(Brand, Brand.id == Product.brand_id)
        .where(wanted)
        .order_by(Product.name, Product.id)
    ).all()
    skus = db.session.execute(
        sa.select(Variant.product_id, Variant.sku)
        .join(Product, Product.id == Variant.product_id)
        .where(wanted)
        .order_by(Variant.product_id, Variant.position, Variant.id)
    ).all()
    concern_rows = db.session.execute(
        sa.select(product_concerns_table.c.product_id, product_concerns_table.c.concern_id)
        .join(Product, Product.id == product_concerns_table.c.product_id)
        .where(wanted)
    ).all()
    concern_names = dict(db.session.execute(sa.select(SkinConcern.id, SkinConcern.name)).all())

    rank = {row[0]: r for r, row in enumerate(rows)}
    concerns_of: dict[int, set[int]] = {}
    by_concern: dict[int, list[int]] = {}
    for product_id, concern_id in concern_rows:
        concerns_of.setdefault(product_id, set()).add(concern_id)
        by_concern.setdefault(concern_id, []).append(rank[product_id])
    index = MentionIndex()
    products: list[_CatalogProduct] = []
    aliases: dict[str, list[str]] = {}
    for r, (product_id, slug, name, ingredients, brand) in enumerate(rows):
        products.append(
            _CatalogProduct(
                product_id, slug, name, brand, frozenset(concerns_of.get(product_id, ()))
            )
        )
        index.add(r, "name", name)
        index.add(r, "brand", brand)
        for raw in cast(list[str], ingredients or []):
            if raw not in aliases:
                aliases[raw] = ingredient_names(raw)
            for alias in aliases[raw]:
                index.add(r, "ingredient", alias)
    for product_id, sku in skus:
        index.add(rank[product_id], "sku", sku)
    index.finish(len(products))
    return _Catalogue(products, rank, index, by_concern, concern_names)


@dataclass(frozen=True)
class _AnswerRow:
    id: int
    slug: str
    question: str
    text: str
    concern_ids: frozenset[int]


def _best(
    members: AbstractSet[int], concerns: _ConcernMatch, skip: AbstractSet[int], need: int
) -> list[int]:
    """Pick the `need` members sharing the most concerns, ties by rank (all set operations)."""
    picked: list[int] = []
    rest = members - skip
    for _, group in concerns.groups:
        if len(picked) >= need:
            return picked
        picked += sorted(rest & group)[: need - len(picked)]
    if len(picked) < need:
        picked += sorted(rest - concerns.sharing)[: need - len(picked)]
    return picked


def _tiers(index: MentionIndex, broad: list[Term]) -> Iterator[tuple[int, AbstractSet[int]]]:
    """Yield the products broad terms name, by the weight they carry, heaviest first.

    Broad terms weigh whole numbers, so a Counter adds them up in C and one sort ranks them.
    """
    if len(broad) == 1:
        yield round(index.weight(broad[0])), index.carrier_set(broad[0])
        return
    carried: Counter[int] = Counter()
    for term in broad:
        for _ in range(round(index.weight(term))):
            carried.update(index.carriers(term))
    ranked = carried.most_common()
    start = 0
    while start < len(ranked):
        weight = ranked[start][1]
        end = bisect_right(ranked, -weight, lo=start, key=lambda item: -item[1])
        yield weight, set(map(itemgetter(0), ranked[start:end]))
        start = end


def _rank_products(
    catalogue: _Catalogue, answer: _AnswerRow, excluded: AbstractSet[int], limit: int
) -> list[ProductSuggestion]:
    """Rank products for one answer: exactly, without scoring every product a term names.

    Products a specific term names are scored one by one. Products only broad terms name
    are ranked by set operations: by how much of the broad terms they carry, then by
    concern; so are products that only share concerns, which come last.
    """
    index = catalogue.mentions
    concerns = catalogue.concern_match(answer.concern_ids)
    terms = index.scan(answer.text)
    broad = [t for t in terms if index.is_broad(t)]
    named: dict[int, list[Term]] = {}
    for term in terms:
        if not index.is_broad(term):
            for r in index.carriers(term):
                if r not in excluded:
                    named.setdefault(r, []).append(term)
    for r, found in named.items():
        found.extend(t for t in broad if index.carries(t, r))
    score = {
        r: sum(index.weight(t) for t in found) + concerns.score.get(r, 0.0)
        for r, found in named.items()
    }

    skip = excluded | named.keys()
    if broad:
        picked = 0
        for weight, members in _tiers(index, broad):
            if picked >= limit:
                break
            for r in _best(members, concerns, skip, limit - picked):
                score[r] = weight + concerns.score.get(r, 0.0)
                named[r] = [t for t in broad if index.carries(t, r)]
                picked += 1
        skip = skip | frozenset().union(*(index.carrier_set(t) for t in broad))
    for r in _best(concerns.sharing, concerns, skip, limit):
        score[r] = concerns.score[r]

    ranked = sorted(score, key=lambda r: (-score[r], r))[:limit]
    return [
        ProductSuggestion(
            answer_id=answer.id,
            product_id=catalogue.products[r].id,
            product_slug=catalogue.products[r].slug,
            product_name=catalogue.products[r].name,
            brand=catalogue.products[r].brand,
            score=round(score[r], 3),
            reasons=catalogue.reasons(
                named.get(r, ()), answer.concern_ids & catalogue.products[r].concern_ids
            ),
        )
        for r in ranked
    ]


def _taken_pairs(answer_ids: sa.Select[int]) -> set[tuple[int, int]]:
    """Pairs already linked or turned down, for these answers (one query)."""
    linked = sa.select(AnswerProductLink.answer_id, AnswerProductLink.product_id).where(
        AnswerProductLink.answer_id.in_(answer_ids)
    )
    dismissed = sa.select(DismissedSuggestion.answer_id, DismissedSuggestion.product_id).where(
        DismissedSuggestion.answer_id.in_(answer_ids)
    )
    rows = db.session.execute(sa.union(linked, dismissed)).all()
    return {(answer_id, product_id) for answer_id, product_id in rows}


def suggest_products_for_answers(
    answer_ids: Collection[int] | None = None, limit: int = 10, now: datetime | None = None
) -> list[AnswerWithSuggestions]:
    """Suggest products for these answers (every public answer if None), newest first.

    Seven queries however many answers and products there are; each answer's text is
    scanned once.
    """
    where = is_public(now) if answer_ids is None else Answer.id.in_(list(answer_ids))
    ids = sa.select(Answer.id).where(where)
    answers = db.session.execute(
        sa.select(Answer.id, Answer.slug, Answer.question, Answer.letter, Answer.body)
        .where(where)
        .order_by(Answer.published_at.desc().nulls_first(), Answer.id.desc())
    ).all()
    concerns_of: dict[int, set[int]] = {}
    for answer_id, concern_id in db.session.execute(
        sa.select(answer_concerns.c.answer_id, answer_concerns.c.concern_id).where(
            answer_concerns.c.answer_id.in_(ids)
        )
    ):
        concerns_of.setdefault(answer_id, set()).add(concern_id)
    catalogue = _load_catalogue()
    taken: dict[int, set[int]] = {}
    for answer_id, product_id in _taken_pairs(ids):
        if product_id in catalogue.rank:
            taken.setdefault(answer_id, set()).add(catalogue.rank[product_id])
    result = []
    for answer_id, slug, question, letter, body in answers:
        row = _AnswerRow(
            answer_id,
            slug,
            question,
            answer_text(question, letter, body),
            frozenset(concerns_of.get(answer_id, ())),
        )
        suggestions = _rank_products(catalogue, row, taken.get(answer_id, set()), limit)
        result.append(AnswerWithSuggestions(answer_id, slug, question, suggestions))
    return result


def suggest_products_for_answer(answer_id: int, limit: int = 10) -> list[ProductSuggestion]:
    """Suggest active products for one answer (any status): the ones it mentions first."""
    found = suggest_products_for_answers([answer_id], limit)
    if not found:
        raise NotFound("There is no such answer.")
    return found[0].suggestions


def answer_id_for_slug(slug: str) -> int | None:
    """Return the id of the answer with this slug, whatever its status."""
    return db.session.scalar(sa.select(Answer.id).where(Answer.slug == slug))


def suggest_answers_for_product(
    product_id: int, limit: int = 10, now: datetime | None = None
) -> list[AnswerSuggestion]:
    """Suggest answers (drafts too, marked) for a product: the ones that mention it first.

    The database narrows the answers to those containing a word of each of the product's
    phrases or sharing a concern; the same scan as for answers then decides. Six queries.
    """
    catalogue = _load_catalogue(extra_product_id=product_id)
    if product_id not in catalogue.rank:
        raise NotFound("There is no such product.")
    r = catalogue.rank[product_id]
    product = catalogue.products[r]
    index = catalogue.mentions
    taken = sa.union(
        sa.select(AnswerProductLink.answer_id).where(AnswerProductLink.product_id == product_id),
        sa.select(DismissedSuggestion.answer_id).where(
            DismissedSuggestion.product_id == product_id
        ),
    )
    public = is_public(now).label("public")
    details: dict[int, tuple[str, str, bool]] = {}  # slug, question, public

    # Answers whose text may mention the product: each phrase's longest word is in it.
    probes = {
        max((t for t in key if t not in (BREAK, "and")), key=len, default="")
        for key, _ in index.terms_for(r)
    } - {""}
    mentioned: dict[int, list[Term]] = {}
    if probes:
        text = sa.func.lower(Answer.question + " " + Answer.letter + " " + Answer.body)
        for answer_id, slug, question, letter, body, shown in db.session.execute(
            sa.select(
                Answer.id, Answer.slug, Answer.question, Answer.letter, Answer.body, public
            ).where(
                sa.or_(*(text.contains(p, autoescape=True) for p in sorted(probes))),
                Answer.id.not_in(taken),
            )
        ):
            terms = index.scan(answer_text(question, letter, body))
            found = [t for t in terms if index.carries(t, r)]
            if found:
                mentioned[answer_id] = found
                details[answer_id] = (slug, question, bool(shown))

    # Answers sharing a concern: which ones they share, and how many they have in all.
    shared: dict[int, set[int]] = {}
    totals: dict[int, int] = {}
    if product.concern_ids:
        counts = (
            sa.select(answer_concerns.c.answer_id, sa.func.count().label("total"))
            .group_by(answer_concerns.c.answer_id)
            .subquery()
        )
        for answer_id, concern_id, total, slug, question, shown in db.session.execute(
            sa.select(
                answer_concerns.c.answer_id,
                answer_concerns.c.concern_id,
                counts.c.total,
                Answer.slug,
                Answer.question,
                public,
            )
            .join(Answer, Answer.id == answer_concerns.c.answer_id)
            .join(counts, counts.c.answer_id == answer_concerns.c.answer_id)
            .where(
                answer_concerns.c.concern_id.in_(product.concern_ids),
                answer_concerns.c.answer_id.not_in(taken),
            )
        ):
            shared.setdefault(answer_id, set()).add(concern_id)
            totals[answer_id] = total
            details[answer_id] = (slug, question, bool(shown))

    suggestions = []
    for answer_id in mentioned.keys() | shared.keys():
        terms = mentioned.get(answer_id, [])
        overlap = shared.get(answer_id, set())
        score = sum(index.weight(t) for t in terms) + concern_score(
            len(overlap), totals.get(answer_id, 0), len(product.concern_ids)
        )
        slug, question, shown = details[answer_id]
        suggestions.append(
            AnswerSuggestion(
                product_id=product_id,
                answer_id=answer_id,
                answer_slug=slug,
                question=question,
                public=shown,
                score=round(score, 3),
                reasons=catalogue.reasons(terms, overlap),
            )
        )
    suggestions.sort(key=lambda s: (-s.score, not s.public, s.answer_slug))
    return suggestions[:limit]


def dismiss_suggestion(answer_id: int, product_id: int) -> None:
    """Turn a suggested pair down so it is not suggested again (twice is the same as once)."""
    _require_pair(answer_id, product_id)
    table = cast(sa.Table, DismissedSuggestion.__table__)
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # ON CONFLICT, not check-then-insert: two staff dismissing at once both succeed.
    db.session.execute(
        insert(table)
        .values(answer_id=answer_id, product_id=product_id)
        .on_conflict_do_nothing(index_elements=[table.c.answer_id, table.c.product_id])
    )
    db.session.flush()


def restore_suggestion(answer_id: int, product_id: int) -> None:
    """Let a dismissed pair be suggested again (a no-op if it was not dismissed)."""
    db.session.execute(
        sa.delete(DismissedSuggestion).where(
            DismissedSuggestion.answer_id == answer_id,
            DismissedSuggestion.product_id == product_id,
        )
    )
    db.session.flush()


def _require_pair(answer_id: int, product_id: int) -> None:
    found = db.session.execute(
        sa.select(
            sa.select(Answer.id).where(Answer.id == answer_id).exists(),
            sa.select(Product.id).where(Product.id == product_id).exists(),
        )
    ).one()
    if not found[0]:
        raise NotFound("There is no such answer.")
    if not found[1]:
        raise NotFound("There is no such product.")
