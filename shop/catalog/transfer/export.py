"""Export the catalogue as CSV, one row per variant."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from shop.catalog.models import Brand, Category, Product, Variant
from shop.catalog.transfer.common import EXPORT_HEADER
from shop.core.money import format_major
from shop.extensions import db
from shop.inventory.models import StockRecord


def export_rows() -> Iterator[list[str]]:
    """Yield one CSV row per variant (header first), ordered by product slug, position, id."""
    # Byte order on both databases: a locale collation would put "ab" before "a-c".
    binary = "C" if db.session.get_bind().dialect.name == "postgresql" else "BINARY"
    stmt = (
        sa.select(
            Variant.sku,
            Product.slug,
            Product.name,
            Brand.name,
            Category.name,
            Variant.size_label,
            Variant.price,
            Variant.currency,
            StockRecord.on_hand,
            Product.status,
            StockRecord.allocated,
            Product.tax_code,
        )
        .select_from(Variant)
        .join(Product, Variant.product_id == Product.id)
        .join(Brand, Product.brand_id == Brand.id)
        .join(Category, Product.category_id == Category.id)
        .outerjoin(StockRecord, StockRecord.variant_id == Variant.id)
        .order_by(Product.slug.collate(binary), Variant.position, Variant.id)
    )
    yield list(EXPORT_HEADER)
    for row in db.session.execute(stmt):
        (
            sku, slug, name, brand, category, label, price, currency, on_hand, status, allocated,
            tax_code,
        ) = row  # fmt: skip
        yield [
            sku,
            slug,
            name,
            brand,
            category,
            label,
            format_major(price, currency),
            currency,
            str(on_hand or 0),
            status.value,
            str(allocated or 0),
            tax_code or "",  # blank: the shop default
        ]
