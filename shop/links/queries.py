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
from sqlalchemy.orm import selectinload

from shop.catalog.models import Product, ProductStatus, Variant, product_concerns
from shop.editorial.models import Answer, answer_concerns
from shop.editorial.queries import is_public
from shop.extensions import db
from shop.inventory.models import StockRecord
from shop.links.models import AnswerProductLink


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
    """Everything a product card needs, loaded in batches."""
    return [
        selectinload(Product.variants),
        selectinload(Product.images),
        selectinload(Product.concerns),
    ]


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
        .options(
            selectinload(AnswerProductLink.product).options(*_product_options()),
        )
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
    """Offer, for each unavailable product, an in-stock product for one of its concerns."""
    linked_ids = [item.product.id for item in shown]
    concern_ids = {c.id for item in shown if item.unavailable for c in item.product.concerns}
    if not concern_ids:
        return shown
    in_stock = (
        sa.select(Variant.product_id)
        .join(StockRecord, StockRecord.variant_id == Variant.id)
        .where(StockRecord.on_hand - StockRecord.allocated > 0)
    )
    candidates = db.session.scalars(
        sa.select(Product)
        .where(
            Product.status == ProductStatus.ACTIVE,
            Product.id.not_in(linked_ids),
            Product.id.in_(in_stock),
            Product.id.in_(
                sa.select(product_concerns.c.product_id).where(
                    product_concerns.c.concern_id.in_(concern_ids)
                )
            ),
        )
        .order_by(Product.featured_rank.is_(None), Product.featured_rank, Product.name)
        .limit(24)
        .options(*_product_options())
    ).all()
    result = []
    for item in shown:
        if item.unavailable:
            wanted = {c.id for c in item.product.concerns}
            alternative = next((p for p in candidates if wanted & {c.id for c in p.concerns}), None)
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
    rows = db.session.execute(
        sa.select(Answer, link.note, link.id)
        .outerjoin(link, sa.and_(link.answer_id == Answer.id, link.product_id == product.id))
        .outerjoin(
            answer_concerns,
            sa.and_(
                answer_concerns.c.answer_id == Answer.id,
                answer_concerns.c.concern_id.in_(concern_ids),
            ),
        )
        .where(
            is_public(now),
            sa.or_(link.id.is_not(None), answer_concerns.c.concern_id.is_not(None)),
        )
        .group_by(Answer.id, link.note, link.id)
        .order_by(
            link.id.is_(None),
            sa.case((link.id.is_(None), score), else_=0).desc(),
            Answer.published_at.desc(),
            Answer.id.desc(),
        )
        .limit(limit)
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
