"""Reads of the catalogue for the storefront."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import selectinload

from shop.catalog.models import (
    Brand,
    Category,
    Product,
    ProductStatus,
    SkinConcern,
    Variant,
    product_concerns,
)
from shop.core.pagination import Page
from shop.core.sitemap import SitemapEntry
from shop.extensions import db
from shop.inventory.models import StockRecord

SORTS = {
    "featured": "Featured",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "newest": "Newest",
    "name": "Name: A to Z",
}
DEFAULT_SORT = "featured"


@dataclass(frozen=True)
class CatalogFilters:
    """What a shopper asked the catalogue for; prices are minor units."""

    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    concerns: tuple[str, ...] = ()
    price_min: int | None = None
    price_max: int | None = None
    in_stock: bool = False
    sort: str = DEFAULT_SORT
    page: int = 1


@dataclass(frozen=True)
class ProductCard:
    """A product as a listing shows it, with its price range and what can be sold."""

    product: Product
    min_price: int
    max_price: int
    currency: str
    available: int
    variant_count: int
    compare_at_price: int | None = None

    @property
    def sold_out(self) -> bool:
        return self.available <= 0

    @classmethod
    def from_row(cls, row: Any) -> ProductCard:
        """Build a card from a row of (Product, *card_columns(summary), ...)."""
        return cls(
            product=row[0],
            min_price=row.min_price,
            max_price=row.max_price,
            currency=row.currency,
            available=int(row.available),
            variant_count=row.variant_count,
            compare_at_price=row.compare_at_price,
        )


def card_columns(summary: sa.Subquery) -> tuple[sa.ColumnElement[Any], ...]:
    """The `variant_summary()` columns a ProductCard is built from."""
    return (
        summary.c.min_price,
        summary.c.max_price,
        summary.c.currency,
        summary.c.available,
        summary.c.variant_count,
        summary.c.compare_at_price,
    )


@dataclass(frozen=True)
class Facets:
    categories: Sequence[Category] = field(default_factory=list)
    brands: Sequence[Brand] = field(default_factory=list)
    concerns: Sequence[SkinConcern] = field(default_factory=list)


def variant_summary(within: sa.Select[Any] | None = None) -> sa.Subquery:
    """Per product: cheapest and dearest price, units available, variant count (a subquery
    that listings and search join to build product cards).

    `within` (a SELECT of product ids) limits the aggregation to those products: a page of
    24 cards then sums 24 products' stock, not the whole catalogue's.
    """
    available = StockRecord.on_hand - StockRecord.allocated
    stmt = sa.select(
        Variant.product_id.label("product_id"),
        sa.func.min(Variant.price).label("min_price"),
        sa.func.max(Variant.price).label("max_price"),
        sa.func.min(Variant.currency).label("currency"),
        sa.func.max(Variant.compare_at_price).label("compare_at_price"),
        sa.func.coalesce(sa.func.sum(sa.case((available > 0, available), else_=0)), 0).label(
            "available"
        ),
        sa.func.count(Variant.id).label("variant_count"),
    ).outerjoin(StockRecord, StockRecord.variant_id == Variant.id)
    if within is not None:
        stmt = stmt.where(Variant.product_id.in_(within))
    return stmt.group_by(Variant.product_id).subquery("variant_summary")


def _in_stock() -> sa.ColumnElement[bool]:
    """Some size of the product has units that are not held by a checkout."""
    return sa.exists().where(
        Variant.product_id == Product.id,
        StockRecord.variant_id == Variant.id,
        StockRecord.on_hand - StockRecord.allocated > 0,
    )


def _price(func: Any) -> sa.ScalarSelect[Any]:
    """The product's cheapest (`sa.func.min`) or dearest (`sa.func.max`) size, per row."""
    return sa.select(func(Variant.price)).where(Variant.product_id == Product.id).scalar_subquery()


def _filtered(filters: CatalogFilters) -> sa.Select[int]:
    """The ids of active products matching the filters (no aggregation over the catalogue)."""
    # A product with no sizes cannot be shown as a card (nor bought), so it is not listed.
    stmt = sa.select(Product.id).where(
        Product.status == ProductStatus.ACTIVE,
        sa.exists().where(Variant.product_id == Product.id),
    )
    if filters.categories:
        stmt = stmt.where(
            Product.category_id.in_(
                sa.select(Category.id).where(Category.slug.in_(filters.categories))
            )
        )
    if filters.brands:
        stmt = stmt.where(
            Product.brand_id.in_(sa.select(Brand.id).where(Brand.slug.in_(filters.brands)))
        )
    if filters.concerns:
        stmt = stmt.where(
            Product.id.in_(
                sa.select(product_concerns.c.product_id)
                .join(SkinConcern, SkinConcern.id == product_concerns.c.concern_id)
                .where(SkinConcern.slug.in_(filters.concerns))
            )
        )
    if filters.price_min is not None or filters.price_max is not None:
        # A product matches when any of its sizes is in the range.
        in_range = sa.select(Variant.product_id)
        if filters.price_min is not None:
            in_range = in_range.where(Variant.price >= filters.price_min)
        if filters.price_max is not None:
            in_range = in_range.where(Variant.price <= filters.price_max)
        stmt = stmt.where(Product.id.in_(in_range))
    if filters.in_stock:
        stmt = stmt.where(_in_stock())
    return stmt


def _ordering(sort: str, min_price: Any, max_price: Any) -> tuple[sa.ColumnElement[Any] | Any, ...]:
    match sort:
        case "price_asc":
            return (min_price.asc(), Product.name, Product.id)
        case "price_desc":
            return (max_price.desc(), Product.name, Product.id)
        case "newest":
            return (Product.created_at.desc(), Product.id.desc())
        case "name":
            return (Product.name, Product.id)
        case _:
            return (
                Product.featured_rank.is_(None),
                Product.featured_rank,
                Product.name,
                Product.id,
            )


def _cards(
    filters: CatalogFilters, limit: int, offset: int, featured_only: bool = False
) -> list[ProductCard]:
    """One page of cards: the page's ids first, then the stock and prices of just those."""
    page_ids = (
        _filtered(filters)
        .order_by(*_ordering(filters.sort, _price(sa.func.min), _price(sa.func.max)))
        .limit(limit)
        .offset(offset)
    )
    if featured_only:
        page_ids = page_ids.where(Product.featured_rank.is_not(None))
    summary = variant_summary(within=page_ids)
    rows = db.session.execute(
        sa.select(Product, *card_columns(summary))
        .join(summary, summary.c.product_id == Product.id)
        .order_by(*_ordering(filters.sort, summary.c.min_price, summary.c.max_price))
        .options(selectinload(Product.images))
    ).all()
    return [ProductCard.from_row(row) for row in rows]


def list_products(filters: CatalogFilters, per_page: int) -> Page[ProductCard]:
    """Return one page of active products matching the filters, in the asked order."""
    stmt = _filtered(filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    cards = _cards(filters, per_page, (filters.page - 1) * per_page)
    return Page(items=cards, number=filters.page, per_page=per_page, total=total)


def featured_products(limit: int = 8) -> Sequence[ProductCard]:
    """Return the products staff chose for the home page, best first."""
    # Staff's picks first, through the (status, featured_rank) index; the whole catalogue is
    # sorted only when there are too few picks to fill the row.
    picks = _cards(CatalogFilters(sort="featured"), limit, 0, featured_only=True)
    return picks if len(picks) >= limit else _cards(CatalogFilters(sort="featured"), limit, 0)


def facets() -> Facets:
    """Return everything a shopper can filter by."""
    return Facets(
        categories=categories(),
        brands=db.session.scalars(sa.select(Brand).order_by(Brand.name)).all(),
        concerns=db.session.scalars(sa.select(SkinConcern).order_by(SkinConcern.name)).all(),
    )


def categories() -> Sequence[Category]:
    """Return the categories in display order (read once per request: the header shows them)."""
    if has_request_context() and "catalog_categories" in g:
        return g.catalog_categories  # type: ignore[no-any-return]
    found = db.session.scalars(sa.select(Category).order_by(Category.position, Category.name)).all()
    if has_request_context():
        g.catalog_categories = found
    return found


def category_by_slug(slug: str) -> Category | None:
    """Return the category with this slug, or None."""
    return next((c for c in categories() if c.slug == slug), None)


def brand_by_slug(slug: str) -> Brand | None:
    """Return the brand with this slug, or None."""
    return db.session.scalar(sa.select(Brand).where(Brand.slug == slug))


def storefront_product(slug: str) -> Product | None:
    """Return an active or archived product with its sizes, stock, images and concerns."""
    return db.session.scalar(
        sa.select(Product)
        .where(
            Product.slug == slug,
            Product.status.in_([ProductStatus.ACTIVE, ProductStatus.ARCHIVED]),
        )
        .options(
            selectinload(Product.variants),
            selectinload(Product.images),
            selectinload(Product.concerns),
        )
    )


def sitemap_entries() -> list[SitemapEntry]:
    """Return the catalogue's public pages: active products, and categories and brands with any."""
    last_change = sa.func.max(Product.updated_at)
    active = Product.status == ProductStatus.ACTIVE
    products = db.session.execute(
        sa.select(Product.slug, Product.updated_at).where(active).order_by(Product.slug)
    ).all()
    cats = db.session.execute(
        sa.select(Category.slug, last_change)
        .join(Product, Product.category_id == Category.id)
        .where(active)
        .group_by(Category.slug)
        .order_by(Category.slug)
    ).all()
    brands = db.session.execute(
        sa.select(Brand.slug, last_change)
        .join(Product, Product.brand_id == Brand.id)
        .where(active)
        .group_by(Brand.slug)
        .order_by(Brand.slug)
    ).all()
    return (
        [SitemapEntry("catalog.category", slug, when) for slug, when in cats]
        + [SitemapEntry("catalog.brand", slug, when) for slug, when in brands]
        + [SitemapEntry("catalog.product", slug, when) for slug, when in products]
    )
