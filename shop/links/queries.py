"""Reads for the tie-ins: an answer's recommended products, and a product's answers.

Both are a fixed handful of queries however many links there are (eager loading in
batches), so a hot answer with fifty products costs no more round trips than with one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from shop.catalog.models import Product, ProductStatus, Variant, product_concerns
from shop.editorial.models import Answer, answer_concerns
from shop.editorial.queries import is_public
from shop.extensions import db
from shop.inventory.models import StockRecord
from shop.links.models import AnswerProductLink
from shop.search.models import SearchDocument
from shop.search.parser import parse_query
from shop.search.queries import _engine


@dataclass(frozen=True)
class LinkedProduct:
    """A recommended product as the answer page shows it."""

    link: AnswerProductLink
    product: Product
    default_variant: Variant | None  # the first size that can be bought now
    unavailable: str | None  # None, "archived" or "sold out"
    alternative: Product | None = None  # in stock, for the same concern, when unavailable


def _default_variant(product: Product) -> Variant | None:
    return next((v for v in product.variants if v.available > 0), None)


def _product_options() -> list[Any]:
    """Everything a product card needs (its sizes and pictures), loaded in batches."""
    return [selectinload(Product.variants), selectinload(Product.images)]


def _concerns_of(product_ids: Sequence[int]) -> dict[int, set[int]]:
    """The concern ids of each product, in one query (the cards do not show them)."""
    found: dict[int, set[int]] = {pid: set() for pid in product_ids}
    rows = db.session.execute(
        sa.select(product_concerns.c.product_id, product_concerns.c.concern_id).where(
            product_concerns.c.product_id.in_(product_ids)
        )
    )
    for product_id, concern_id in rows:
        found[product_id].add(concern_id)
    return found


def answer_products(answer_id: int) -> list[LinkedProduct]:
    """The products an answer recommends, in the doctor's order, with an alternative for each
    one that cannot be bought now."""
    links = db.session.scalars(
        sa.select(AnswerProductLink)
        .join(Product, Product.id == AnswerProductLink.product_id)
        .where(
            AnswerProductLink.answer_id == answer_id,
            Product.status.in_([ProductStatus.ACTIVE, ProductStatus.ARCHIVED]),
        )
        .order_by(AnswerProductLink.position, AnswerProductLink.id)
        .options(selectinload(AnswerProductLink.product).options(*_product_options()))
    ).all()
    shown: list[LinkedProduct] = []
    for link in links:
        product = link.product
        variant = _default_variant(product) if product.is_active else None
        reason = None if variant else ("archived" if not product.is_active else "sold out")
        shown.append(LinkedProduct(link, product, variant, reason))
    if any(item.unavailable for item in shown):
        shown = _with_alternatives(shown)
    return shown


def _with_alternatives(shown: list[LinkedProduct]) -> list[LinkedProduct]:
    """Offer, for each unavailable product, an in-stock product for one of its concerns.

    Two more queries, whatever the number of products: the candidates (with their sizes and
    pictures joined in) and the concerns of the candidates and the unavailable products."""
    linked_ids = [item.product.id for item in shown]
    unavailable_ids = [item.product.id for item in shown if item.unavailable]
    in_stock = (
        sa.select(Variant.product_id)
        .join(StockRecord, StockRecord.variant_id == Variant.id)
        .where(StockRecord.on_hand - StockRecord.allocated > 0)
    )
    their_concerns = sa.select(product_concerns.c.concern_id).where(
        product_concerns.c.product_id.in_(unavailable_ids)
    )
    candidates = (
        db.session.scalars(
            sa.select(Product)
            .where(
                Product.status == ProductStatus.ACTIVE,
                Product.id.not_in(linked_ids),
                Product.id.in_(in_stock),
                Product.id.in_(
                    sa.select(product_concerns.c.product_id).where(
                        product_concerns.c.concern_id.in_(their_concerns)
                    )
                ),
            )
            .order_by(Product.featured_rank.is_(None), Product.featured_rank, Product.name)
            .limit(24)
            .options(joinedload(Product.variants), joinedload(Product.images))
        )
        .unique()
        .all()
    )
    if not candidates:
        return shown
    concerns = _concerns_of([*unavailable_ids, *(p.id for p in candidates)])
    result = []
    for item in shown:
        if item.unavailable:
            wanted = concerns[item.product.id]
            alternative = next((p for p in candidates if wanted & concerns[p.id]), None)
            item = LinkedProduct(item.link, item.product, None, item.unavailable, alternative)
        result.append(item)
    return result


@dataclass(frozen=True)
class ProductAnswers:
    """What the doctor says about a product: answers that recommend it, then suggestions."""

    curated: Sequence[tuple[Answer, str]]  # (answer, the doctor's note on this product)
    suggested: Sequence[Answer]


def product_answers(
    product: Product, limit: int = 4, now: datetime | None = None
) -> ProductAnswers:
    """Public answers recommending `product` (newest first), topped up with suggestions that
    share its concerns, those naming it or its ingredients first. One query (plus two batched
    loads), however many answers link to it."""
    link = sa.orm.aliased(AnswerProductLink)
    concern_ids = [c.id for c in product.concerns] or [0]
    names = [product.name, *(i.split()[0] for i in product.key_ingredients if i.split())]
    text = sa.func.lower(Answer.question + " " + Answer.body)
    mentions = sa.or_(*(text.contains(name.lower()) for name in names if len(name) > 3))
    score = sa.func.count(answer_concerns.c.concern_id) + sa.case((mentions, 2), else_=0)
    # Start from the few answers linked to it or sharing a concern (both indexed), not from
    # every public answer.
    candidates = sa.union(
        sa.select(AnswerProductLink.answer_id.label("id")).where(
            AnswerProductLink.product_id == product.id
        ),
        sa.select(answer_concerns.c.answer_id).where(answer_concerns.c.concern_id.in_(concern_ids)),
    ).subquery()
    unlinked = link.id.is_(None)
    rank = sa.case((unlinked, score), else_=0)
    # Rank narrow rows (ids and sort keys), then load the few answers that made it.
    top = (
        sa.select(
            Answer.id.label("answer_id"),
            link.id.label("link_id"),
            link.note.label("note"),
            unlinked.label("unlinked"),
            rank.label("rank"),
            Answer.published_at.label("published_at"),
        )
        .join(candidates, candidates.c.id == Answer.id)
        .outerjoin(link, sa.and_(link.answer_id == Answer.id, link.product_id == product.id))
        .outerjoin(
            answer_concerns,
            sa.and_(
                answer_concerns.c.answer_id == Answer.id,
                answer_concerns.c.concern_id.in_(concern_ids),
            ),
        )
        .where(
            is_public(now), sa.or_(link.id.is_not(None), answer_concerns.c.concern_id.is_not(None))
        )
        .group_by(Answer.id, link.note, link.id)
        .order_by(unlinked, rank.desc(), Answer.published_at.desc(), Answer.id.desc())
        .limit(limit)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Answer, top.c.note, top.c.link_id)
        .join(top, top.c.answer_id == Answer.id)
        .order_by(top.c.unlinked, top.c.rank.desc(), top.c.published_at.desc(), Answer.id.desc())
        .options(selectinload(Answer.concerns), selectinload(Answer.topics))
    ).all()
    curated = [(answer, note or "") for answer, note, link_id in rows if link_id is not None]
    suggested = [answer for answer, _, link_id in rows if link_id is None]
    return ProductAnswers(curated, suggested)


def routine_skus(answer_id: int) -> list[str]:
    """The default size of every linked product that can be bought now, in the doctor's order."""
    return [
        item.default_variant.sku
        for item in answer_products(answer_id)
        if item.default_variant is not None
    ]


# The links editor's reads: every link whatever the product's or answer's status, and the
# pickers. A picker is a fixed handful of bounded queries (LIMIT 20) on indexed columns
# (the unique SKU and slug indexes) and the search index, so it costs the same at 50
# products as at 10,000.

PICK_LIMIT = 20
PICK_QUERY_MAX = 100
# Above every character a SKU or slug may hold: `col >= p AND col < p || TOP` is a prefix
# range the column's B-tree index answers.
_TOP = "\U0010ffff"
SKUS_PER_PRODUCT = 5


@dataclass(frozen=True)
class EditorLink:
    """A product an answer recommends, as the links editor shows it."""

    link: AnswerProductLink
    product: Product
    available: int  # units of all sizes that can be sold now
    warning: str | None  # None, "archived", "sold out" or "draft"


@dataclass(frozen=True)
class EditorAnswerLink:
    """An answer recommending a product, as the links editor shows it."""

    link: AnswerProductLink
    answer: Answer
    public: bool
    place: int  # 1 for the answer's first product, in the doctor's order


@dataclass(frozen=True)
class ProductPick:
    """A product the picker found, and whether the answer already recommends it."""

    product: Product
    linked: bool

    @property
    def linkable(self) -> bool:
        """True when linking it would be accepted (not linked yet, not archived)."""
        return not self.linked and self.product.status != ProductStatus.ARCHIVED


@dataclass(frozen=True)
class AnswerPick:
    """An answer the picker found, and whether it already recommends the product."""

    answer: Answer
    public: bool
    linked: bool


def _warning(product: Product, available: int) -> str | None:
    if product.status == ProductStatus.ARCHIVED:
        return "archived"
    if product.status == ProductStatus.DRAFT:
        return "draft"
    return None if available > 0 else "sold out"


def answer_links_for_editor(answer_id: int) -> list[EditorLink]:
    """Every product an answer links to, in the doctor's order, with live availability."""
    links = db.session.scalars(
        sa.select(AnswerProductLink)
        .where(AnswerProductLink.answer_id == answer_id)
        .order_by(AnswerProductLink.position, AnswerProductLink.id)
        .options(selectinload(AnswerProductLink.product).selectinload(Product.variants))
    ).all()
    shown = []
    for link in links:
        available = sum(max(v.available, 0) for v in link.product.variants)
        shown.append(EditorLink(link, link.product, available, _warning(link.product, available)))
    return shown


def product_links_for_editor(
    product_id: int, now: datetime | None = None
) -> list[EditorAnswerLink]:
    """Every answer linking to a product (drafts too), newest first, with its place there."""
    other = sa.orm.aliased(AnswerProductLink)
    place = (
        sa.select(sa.func.count(other.id))
        .where(
            other.answer_id == AnswerProductLink.answer_id,
            sa.or_(
                other.position < AnswerProductLink.position,
                sa.and_(
                    other.position == AnswerProductLink.position,
                    other.id <= AnswerProductLink.id,
                ),
            ),
        )
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(AnswerProductLink, Answer, is_public(now).label("public"), place)
        .join(Answer, Answer.id == AnswerProductLink.answer_id)
        .where(AnswerProductLink.product_id == product_id)
        .order_by(Answer.published_at.desc().nulls_first(), Answer.id.desc())
    ).all()
    return [
        EditorAnswerLink(link, answer, bool(public), int(n)) for link, answer, public, n in rows
    ]


def _prefix(column: sa.orm.InstrumentedAttribute[str], texts: set[str]) -> sa.ColumnElement[bool]:
    """Values starting with any of `texts`, as index range scans (LIKE guards odd collations)."""
    return sa.or_(
        *(
            sa.and_(column >= text, column < text + _TOP, column.startswith(text, autoescape=True))
            for text in sorted(texts)
        )
    )


def _document_ids(
    text: str, key: sa.orm.InstrumentedAttribute[int | None], limit: int
) -> list[int]:
    """Products' or answers' ids whose search document has every word, best first."""
    query = parse_query(text)
    if query.is_empty:
        return []
    # The search's own engine pieces: FTS5 on SQLite, the GIN-indexed tsvector on PostgreSQL.
    fts = _engine(query, match_any=False)
    return list(
        db.session.scalars(
            sa.select(key)
            .select_from(fts.source)
            .where(fts.matches, key.is_not(None))
            .order_by(fts.order, key)
            .limit(limit)
        )
    )


def _merged(first: Sequence[int], then: Sequence[int], limit: int) -> list[int]:
    return list(dict.fromkeys([*first, *then]))[:limit]


def pick_products(
    text: str, answer_id: int | None = None, limit: int = PICK_LIMIT
) -> list[ProductPick]:
    """Products of any status whose SKU starts with `text` (those first) or whose name,
    brand or ingredients hold its words; at most `limit`, five queries whatever the size."""
    text = text.strip()[:PICK_QUERY_MAX]
    if not text:
        return []
    # A product has a few sizes, each a SKU: read enough of them to fill the page.
    by_sku = db.session.scalars(
        sa.select(Variant.product_id)
        .where(_prefix(Variant.sku, {text, text.upper()}))
        .order_by(Variant.sku)
        .limit(limit * SKUS_PER_PRODUCT)
    ).all()
    ids = _merged(by_sku, _document_ids(text, SearchDocument.product_id, limit), limit)
    if not ids:
        return []
    products = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Product).where(Product.id.in_(ids)).options(selectinload(Product.variants))
        )
    }
    linked: set[int] = set()
    if answer_id is not None:
        linked = set(
            db.session.scalars(
                sa.select(AnswerProductLink.product_id).where(
                    AnswerProductLink.answer_id == answer_id,
                    AnswerProductLink.product_id.in_(ids),
                )
            )
        )
    return [ProductPick(products[i], i in linked) for i in ids if i in products]


def pick_answers(
    text: str, product_id: int | None = None, limit: int = PICK_LIMIT, now: datetime | None = None
) -> list[AnswerPick]:
    """Answers of any status whose slug starts with `text` (those first) or whose text holds
    its words; at most `limit`, four queries whatever the size."""
    text = text.strip()[:PICK_QUERY_MAX]
    if not text:
        return []
    by_slug = db.session.scalars(
        sa.select(Answer.id)
        .where(_prefix(Answer.slug, {text, text.lower()}))
        .order_by(Answer.slug)
        .limit(limit)
    ).all()
    ids = _merged(by_slug, _document_ids(text, SearchDocument.answer_id, limit), limit)
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(Answer, is_public(now).label("public")).where(Answer.id.in_(ids))
    ).all()
    answers = {answer.id: (answer, bool(public)) for answer, public in rows}
    linked: set[int] = set()
    if product_id is not None:
        linked = set(
            db.session.scalars(
                sa.select(AnswerProductLink.answer_id).where(
                    AnswerProductLink.product_id == product_id,
                    AnswerProductLink.answer_id.in_(ids),
                )
            )
        )
    return [AnswerPick(*answers[i], i in linked) for i in ids if i in answers]
