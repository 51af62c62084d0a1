"""Export the catalogue as CSV and import it back, all or nothing.

The import validates every row (and checks it against the catalogue) before it
writes anything, so a file with one bad row changes nothing. Rows are matched by
SKU; re-importing an unedited export changes nothing at all, not even
`updated_at`. The service only flushes: the caller commits, or rolls back on error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import sqlalchemy as sa

from shop.catalog.models import Brand, Category, Product, Variant
from shop.catalog.transfer.common import (
    IMPORT_REASON,
    MAX_IMPORT_ROWS,
    CatalogImportError,
    ImportResult,
    Problem,
)
from shop.catalog.transfer.parsing import ImportRow, parse
from shop.core.money import format_major
from shop.core.slugs import slugify
from shop.extensions import db
from shop.inventory.exceptions import StockError
from shop.inventory.services import create_stock_record, create_stock_records, set_on_hand

_IN_CHUNK = 500  # keeps IN (...) lists well under SQLite's bound-parameter limit


@dataclass(slots=True)
class _Catalogue:
    """The rows an import touches, loaded once."""

    products: dict[str, Product]
    variants: dict[str, tuple[Variant, str]]  # sku -> (variant, its product's slug)


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _load(rows: Sequence[ImportRow]) -> _Catalogue:
    slugs = sorted({row.product_slug for row in rows})
    skus = sorted({row.sku for row in rows})
    products: dict[str, Product] = {}
    for chunk in _chunks(slugs):
        for product in db.session.scalars(sa.select(Product).where(Product.slug.in_(chunk))):
            products[product.slug] = product
    variants: dict[str, tuple[Variant, str]] = {}
    for chunk in _chunks(skus):
        stmt = sa.select(Variant, Product.slug).join(Product).where(Variant.sku.in_(chunk))
        for variant, slug in db.session.execute(stmt):
            variants[variant.sku] = (variant, slug)
    return _Catalogue(products=products, variants=variants)


def _check_against(
    rows: Iterable[ImportRow], catalogue: _Catalogue, currency: str
) -> list[Problem]:
    """Refuse rows that the catalogue's own rules would refuse."""
    problems: list[Problem] = []
    for row in rows:
        found = catalogue.variants.get(row.sku)
        if found is None:
            continue
        variant, slug = found
        if slug != row.product_slug:
            problems.append(
                (
                    row.line,
                    f"SKU {row.sku!r} belongs to product {slug!r}, not {row.product_slug!r}; "
                    "moving a variant to another product is not allowed",
                )
            )
        if variant.currency != currency:
            problems.append(
                (
                    row.line,
                    f"SKU {row.sku!r} is priced in {variant.currency}; "
                    f"the import only handles {currency}",
                )
            )
            continue
        allocated = variant.stock.allocated if variant.stock is not None else 0
        if row.on_hand < allocated:
            problems.append(
                (
                    row.line,
                    f"stock_on_hand {row.on_hand} is below the {allocated} units of SKU "
                    f"{row.sku!r} held by open checkouts",
                )
            )
        if variant.compare_at_price is not None and row.price >= variant.compare_at_price:
            problems.append(
                (
                    row.line,
                    f"price {format_major(row.price, currency)} of SKU {row.sku!r} must be below "
                    f"its compare-at price {format_major(variant.compare_at_price, currency)}; "
                    "lower the price or remove the compare-at price first",
                )
            )
    return problems


_Named = TypeVar("_Named", Brand, Category)


class _NameIndex(Generic[_Named]):
    """Brands or categories by case-insensitive name, creating the missing ones."""

    def __init__(self, model: type[_Named], fallback_slug: str, created: list[str]) -> None:
        self.model: type[_Named] = model
        self.fallback_slug = fallback_slug
        self.created = created
        self.by_name: dict[str, _Named] = {}
        self.slugs: set[str] = set()
        for item in db.session.scalars(sa.select(model).order_by(model.id)):
            self.by_name.setdefault(item.name.casefold(), item)
            self.slugs.add(item.slug)

    def get(self, name: str) -> _Named:
        """Return the brand or category of this name, creating it if there is none."""
        found = self.by_name.get(name.casefold())
        if found is not None:
            return found
        base = slugify(name) or self.fallback_slug
        slug, n = base, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base[: 120 - len(str(n)) - 1].rstrip('-')}-{n}"
        item: _Named = self.model(name=name, slug=slug)
        db.session.add(item)
        db.session.flush()
        self.by_name[name.casefold()] = item
        self.slugs.add(slug)
        self.created.append(name)
        return item


def _next_positions(product_ids: Sequence[int]) -> dict[int, int]:
    positions: dict[int, int] = {}
    for start in range(0, len(product_ids), _IN_CHUNK):
        stmt = (
            sa.select(Variant.product_id, sa.func.max(Variant.position))
            .where(Variant.product_id.in_(product_ids[start : start + _IN_CHUNK]))
            .group_by(Variant.product_id)
        )
        for product_id, highest in db.session.execute(stmt):
            positions[product_id] = (highest if highest is not None else -1) + 1
    return positions


def _update_product(product: Product, row: ImportRow, brand: Brand, category: Category) -> bool:
    """Bring the product in line with its row; assign only what differs, keeping updated_at."""
    changed = False
    if product.name != row.product_name:
        product.name = row.product_name
        changed = True
    if product.brand_id != brand.id:
        product.brand = brand
        changed = True
    if product.category_id != category.id:
        product.category = category
        changed = True
    if product.status != row.status:
        product.status = row.status
        changed = True
    if row.tax_code_given and product.tax_code != row.tax_code:
        product.tax_code = row.tax_code
        changed = True
    return changed


def _apply(rows: Sequence[ImportRow], catalogue: _Catalogue, currency: str) -> ImportResult:
    result = ImportResult(rows=len(rows))
    brands = _NameIndex(Brand, "brand", result.new_brands)
    categories = _NameIndex(Category, "category", result.new_categories)
    groups: dict[str, list[ImportRow]] = {}
    for row in rows:
        groups.setdefault(row.product_slug, []).append(row)
    positions = _next_positions([p.id for p in catalogue.products.values()])
    new_variants: list[tuple[Variant, ImportRow]] = []
    stock_changes: list[tuple[int, int, ImportRow]] = []

    for slug, group in groups.items():
        first = group[0]
        brand = brands.get(first.brand)
        category = categories.get(first.category)
        product = catalogue.products.get(slug)
        is_new = product is None
        if product is None:
            # Not flushed one by one: its variants join it through the relationship and the
            # flush after the loop inserts every new product and variant in batches.
            product = Product(
                name=first.product_name,
                slug=slug,
                brand=brand,
                category=category,
                status=first.status,
                tax_code=first.tax_code,
                variants=[],
            )
            db.session.add(product)
            result.products_created += 1
            product_changed = True
        else:
            product_changed = _update_product(product, first, brand, category)
            if product_changed:
                result.products_updated += 1

        position = 0 if is_new else positions.get(product.id, 0)
        for row in group:
            found = catalogue.variants.get(row.sku)
            if found is None:
                variant = Variant(
                    sku=row.sku,
                    size_label=row.variant,
                    price=row.price,
                    currency=currency,
                    position=position,
                )
                if is_new:
                    variant.product = product
                else:
                    variant.product_id = product.id
                position += 1
                db.session.add(variant)
                new_variants.append((variant, row))
                result.variants_created += 1
                continue
            variant = found[0]
            variant_changed = False
            if variant.size_label != row.variant:
                variant.size_label = row.variant
                variant_changed = True
            if variant.price != row.price:
                variant.price = row.price
                variant_changed = True
            if variant_changed:
                result.variants_updated += 1
            stock = variant.stock
            stock_changed = stock is None or stock.on_hand != row.on_hand
            if stock_changed:
                stock_changes.append((product.id, variant.id, row))
            if not (product_changed or variant_changed or stock_changed):
                result.unchanged += 1
    db.session.flush()  # one batch of INSERTs gives every new variant its id

    create_stock_records(
        [(variant.id, row.on_hand) for variant, row in new_variants], reason=IMPORT_REASON
    )

    # Stock last, in product-id order like every other stock change, so two writers never
    # wait on each other's rows in opposite orders.
    for _, variant_id, row in sorted(stock_changes, key=lambda c: (c[0], c[1])):
        try:
            if catalogue.variants[row.sku][0].stock is None:
                create_stock_record(variant_id, row.on_hand, reason=IMPORT_REASON)
            else:
                set_on_hand(variant_id, row.on_hand, reason=IMPORT_REASON)
        except StockError as exc:
            # Checkouts changed the figures after the check; the caller rolls everything back.
            raise CatalogImportError([(row.line, f"SKU {row.sku!r}: {exc.message}")]) from exc
        result.stock_changes += 1
    return result


def import_catalog(data: bytes, currency: str, *, max_rows: int = MAX_IMPORT_ROWS) -> ImportResult:
    """Upsert the catalogue from CSV bytes by SKU, or raise `CatalogImportError` changing nothing.

    `currency` is the shop's currency: every row must be priced in it. Only flushes.
    """
    currency = currency.upper()
    rows, problems = parse(data, currency, max_rows)
    catalogue = _load(rows) if rows else _Catalogue(products={}, variants={})
    problems.extend(_check_against(rows, catalogue, currency))
    if problems:
        raise CatalogImportError(problems)
    return _apply(rows, catalogue, currency)
