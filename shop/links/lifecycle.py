"""Links that need staff: recommended products that can no longer be bought, answers that
recommend nothing, and active products no answer recommends. One query each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from shop.catalog.models import Product, ProductStatus, Variant
from shop.editorial.models import Answer
from shop.editorial.queries import is_public
from shop.extensions import db
from shop.inventory.models import StockRecord
from shop.links.models import AnswerProductLink

Unavailability = Literal["archived", "sold out"]


@dataclass(frozen=True)
class UnavailableLink:
    """An answer recommending a product that is archived or has nothing left to sell."""

    answer_id: int
    answer_slug: str
    question: str
    public: bool
    product_id: int
    product_slug: str
    product_name: str
    why: Unavailability


@dataclass(frozen=True)
class AnswerRef:
    """An answer as a staff list shows it."""

    id: int
    slug: str
    question: str
    public: bool


@dataclass(frozen=True)
class ProductRef:
    """A product as a staff list shows it."""

    id: int
    slug: str
    name: str


def _sellable() -> sa.Exists:
    """Some size of the (outer) product has stock not held by open checkouts."""
    return (
        sa.select(Variant.id)
        .join(StockRecord, StockRecord.variant_id == Variant.id)
        .where(
            Variant.product_id == Product.id,
            StockRecord.on_hand - StockRecord.allocated > 0,
        )
        .exists()
    )


def answers_recommending_unavailable(now: datetime | None = None) -> list[UnavailableLink]:
    """List answers linking to an archived or sold-out product, by product then answer."""
    archived = Product.status == ProductStatus.ARCHIVED
    rows = db.session.execute(
        sa.select(
            Answer.id,
            Answer.slug,
            Answer.question,
            is_public(now).label("public"),
            Product.id,
            Product.slug,
            Product.name,
            archived.label("archived"),
        )
        .select_from(AnswerProductLink)
        .join(Answer, Answer.id == AnswerProductLink.answer_id)
        .join(Product, Product.id == AnswerProductLink.product_id)
        # Drafts are not on sale yet, so "sold out" means an active product with no stock.
        .where(sa.or_(archived, sa.and_(Product.status == ProductStatus.ACTIVE, ~_sellable())))
        .order_by(Product.name, Product.id, Answer.slug)
    ).all()
    return [
        UnavailableLink(
            answer_id=answer_id,
            answer_slug=answer_slug,
            question=question,
            public=bool(public),
            product_id=product_id,
            product_slug=product_slug,
            product_name=product_name,
            why="archived" if is_archived else "sold out",
        )
        for (
            answer_id,
            answer_slug,
            question,
            public,
            product_id,
            product_slug,
            product_name,
            is_archived,
        ) in rows
    ]


def answers_without_products(
    public_only: bool = True, now: datetime | None = None
) -> list[AnswerRef]:
    """List answers that link to no product (only public ones unless told otherwise)."""
    linked = sa.select(AnswerProductLink.id).where(AnswerProductLink.answer_id == Answer.id)
    stmt = (
        sa.select(Answer.id, Answer.slug, Answer.question, is_public(now).label("public"))
        .where(~linked.exists())
        .order_by(Answer.slug)
    )
    if public_only:
        stmt = stmt.where(is_public(now))
    return [
        AnswerRef(answer_id, slug, question, bool(public))
        for answer_id, slug, question, public in db.session.execute(stmt)
    ]


def products_without_answers() -> list[ProductRef]:
    """List active products that no answer (public or draft) links to, by name."""
    linked = sa.select(AnswerProductLink.id).where(AnswerProductLink.product_id == Product.id)
    rows = db.session.execute(
        sa.select(Product.id, Product.slug, Product.name)
        .where(Product.status == ProductStatus.ACTIVE, ~linked.exists())
        .order_by(Product.name, Product.id)
    )
    return [ProductRef(product_id, slug, name) for product_id, slug, name in rows]
