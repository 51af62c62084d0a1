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

from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import NamedTuple, cast

import sqlalchemy as sa

from shop.catalog.models import Brand, Product, ProductStatus, SkinConcern, Variant
from shop.catalog.models import product_concerns as product_concerns_table
from shop.core.errors import NotFound
from shop.core.models import conflict_insert
from shop.editorial.models import Answer, answer_concerns
from shop.editorial.queries import is_public
from shop.extensions import db
from shop.links.mentions import (
    _KIND_ORDER,
    BREAK,
    MentionIndex,
    Term,
    answer_text,
    ingredient_names,
    mention_reason,
)
from shop.links.models import AnswerProductLink, DismissedSuggestion

CONCERN_WEIGHT = 0.9  # times the overlap of concerns (0..1): always below one mention


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
    # ON CONFLICT, not check-then-insert: two staff dismissing at once both succeed.
    db.session.execute(
        conflict_insert(db.session.get_bind().dialect, table)
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
