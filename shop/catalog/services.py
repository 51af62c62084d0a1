"""Catalogue writes for the staff product editor: products, variants and images.

Every change to a product, its variants or its images goes through `_product_for_update`,
which refuses a stale `expected_version` and touches `updated_at`, so the product's
version counter (`Product.version`, a SQLAlchemy `version_id_col`) moves on every save.
A second editor working from an older page is therefore refused, either here or, when
both read the same version at the same moment, by the version check of the UPDATE at
flush (a `StaleDataError`, turned into the same `RecordChanged`). Services flush; the
caller commits once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from shop.catalog import images
from shop.catalog.models import (
    Brand,
    Category,
    Product,
    ProductImage,
    ProductStatus,
    SkinConcern,
    Variant,
)
from shop.core.errors import DomainError, NotFound
from shop.core.models import utcnow
from shop.core.slugs import SLUG_MAX, is_slug, slugify
from shop.core.storage import Storage
from shop.extensions import db
from shop.inventory.services import create_stock_record

RECORD_CHANGED = (
    "This product was changed by someone else after you opened it; nothing was saved. "
    "Here is the current version."
)
AUDIT_TEXT_MAX = 500
ALT_TEXT_MAX = 300


class RecordChanged(DomainError):
    """The product changed since the editor read it (optimistic locking)."""

    def __init__(self, message: str = RECORD_CHANGED) -> None:
        super().__init__(message)


class FieldError(DomainError):
    """A value was refused; `field` names the form field the message belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class ProductFields:
    """What the product form edits; `slug` may be blank (then made from the name)."""

    name: str
    slug: str
    brand_id: int
    category_id: int
    status: ProductStatus
    featured_rank: int | None = None
    skin_types: list[str] = field(default_factory=list)
    key_ingredients: list[str] = field(default_factory=list)
    concern_ids: list[int] = field(default_factory=list)
    description: str = ""
    how_to_use: str = ""
    seo_title: str | None = None
    seo_description: str | None = None


@dataclass
class VariantFields:
    """What the variant form edits; prices in minor units of the variant's currency."""

    sku: str
    size_label: str
    price: int
    compare_at_price: int | None
    position: int = 0


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise RecordChanged() from exc


def _product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound("There is no product with that number.")
    return product


def _product_for_update(product_id: int, expected_version: int) -> Product:
    """Load the product and refuse it if its version is not the one the editor saw."""
    product = _product(product_id)
    if product.version != expected_version:
        raise RecordChanged()
    return product


def _save(product: Product) -> None:
    """Mark the product changed (so its version moves, once) and flush.

    Callers read and check everything first and change rows only just before this, so no
    autoflush sends the product's UPDATE early (which would bump the version twice).
    """
    product.updated_at = utcnow()
    _flush()


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > AUDIT_TEXT_MAX:
        return value[:AUDIT_TEXT_MAX] + "…"
    return value


def product_snapshot(product: Product) -> dict[str, Any]:
    """The product's editable values as JSON-ready data, for audit entries."""
    return {
        "name": product.name,
        "slug": product.slug,
        "brand": product.brand.name if product.brand else None,
        "category": product.category.name if product.category else None,
        "status": product.status.value,
        "featured_rank": product.featured_rank,
        "skin_types": list(product.skin_types or []),
        "key_ingredients": list(product.key_ingredients or []),
        "concerns": [c.name for c in product.concerns],
        "description": _short(product.description),
        "how_to_use": _short(product.how_to_use),
        "seo_title": product.seo_title,
        "seo_description": product.seo_description,
    }


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _check_slug(slug: str, product_id: int | None) -> None:
    if not is_slug(slug):
        raise FieldError(
            "slug",
            f"Use lowercase letters, digits and single dashes, at most {SLUG_MAX} characters, "
            "e.g. barrier-cream-50-ml.",
        )
    other = db.session.scalar(sa.select(Product).where(Product.slug == slug))
    if other is not None and other.id != product_id:
        raise FieldError(
            "slug", f"The slug “{slug}” is already used by “{other.name}”; choose another."
        )


def _apply(product: Product, fields: ProductFields) -> None:
    name = fields.name.strip()
    if not name:
        raise FieldError("name", "Enter the product's name.")
    slug = fields.slug.strip() or slugify(name)
    if not slug:
        raise FieldError("slug", "The name gives no usable slug; enter one, e.g. barrier-cream.")
    _check_slug(slug, product.id)
    brand = db.session.get(Brand, fields.brand_id)
    if brand is None:
        raise FieldError("brand", "Choose a brand from the list.")
    category = db.session.get(Category, fields.category_id)
    if category is None:
        raise FieldError("category", "Choose a category from the list.")
    concerns: Sequence[SkinConcern] = []
    if fields.concern_ids:
        concerns = db.session.scalars(
            sa.select(SkinConcern).where(SkinConcern.id.in_(fields.concern_ids))
        ).all()
        if len(concerns) != len(set(fields.concern_ids)):
            raise FieldError("concerns", "Choose skin concerns from the list.")
    # Loading the old concerns must not flush the half-changed product (a second bump).
    with db.session.no_autoflush:
        product.name = name
        product.slug = slug
        product.brand = brand
        product.category = category
        product.status = fields.status
        product.featured_rank = fields.featured_rank
        product.skin_types = list(fields.skin_types)
        product.key_ingredients = list(fields.key_ingredients)
        product.concerns = list(concerns)
        product.description = fields.description
        product.how_to_use = fields.how_to_use
        product.seo_title = fields.seo_title or None
        product.seo_description = fields.seo_description or None


def create_product(fields: ProductFields) -> Product:
    """Create a product (without variants or images yet)."""
    product = Product()
    _apply(product, fields)
    db.session.add(product)
    _flush()
    return product


def update_product(product_id: int, expected_version: int, fields: ProductFields) -> Product:
    """Save the product form, refusing it if the product changed since `expected_version`."""
    product = _product_for_update(product_id, expected_version)
    _apply(product, fields)
    _save(product)
    return product


def archive_product(product_id: int, expected_version: int) -> Product:
    """Take a product off sale for good; it is kept, because orders refer to it."""
    product = _product_for_update(product_id, expected_version)
    if product.status is ProductStatus.ARCHIVED:
        raise DomainError(f"“{product.name}” is already archived.")
    product.status = ProductStatus.ARCHIVED
    _save(product)
    return product


def restore_product(product_id: int, expected_version: int, status: ProductStatus) -> Product:
    """Bring an archived product back as a draft or on sale."""
    if status is ProductStatus.ARCHIVED:
        raise DomainError("Restore a product as a draft or as active.")
    product = _product_for_update(product_id, expected_version)
    if product.status is not ProductStatus.ARCHIVED:
        raise DomainError(f"“{product.name}” is not archived.")
    product.status = status
    _save(product)
    return product


def _check_variant(fields: VariantFields, variant_id: int | None) -> None:
    other = db.session.scalar(
        sa.select(Variant).where(sa.func.lower(Variant.sku) == fields.sku.lower())
    )
    if other is not None and other.id != variant_id:
        raise FieldError(
            "sku", f"SKU {other.sku} is already used by “{other.product.name}”; SKUs are unique."
        )
    if fields.price < 0:
        raise FieldError("price", "The price cannot be negative.")
    if fields.compare_at_price is not None and fields.compare_at_price <= fields.price:
        raise FieldError("compare_at_price", "The compare-at price must be higher than the price.")


def variant_snapshot(variant: Variant) -> dict[str, Any]:
    """A variant's editable values as JSON-ready data, for audit entries."""
    return {
        "sku": variant.sku,
        "size_label": variant.size_label,
        "price": variant.price,
        "compare_at_price": variant.compare_at_price,
        "currency": variant.currency,
        "position": variant.position,
    }


def add_variant(
    product_id: int, expected_version: int, fields: VariantFields, currency: str
) -> Variant:
    """Add a size to a product, with an empty stock record (stock is set on the stock screen)."""
    product = _product_for_update(product_id, expected_version)
    _check_variant(fields, None)
    variant = Variant(
        product_id=product.id,
        sku=fields.sku,
        size_label=fields.size_label,
        price=fields.price,
        compare_at_price=fields.compare_at_price,
        currency=currency,
        position=fields.position,
    )
    db.session.add(variant)
    _save(product)
    create_stock_record(variant.id, 0)
    return variant


def update_variant(
    product_id: int, variant_id: int, expected_version: int, fields: VariantFields
) -> Variant:
    """Change a variant's SKU, size, prices or position (never its stock)."""
    variant = db.session.get(Variant, variant_id)
    if variant is None or variant.product_id != product_id:
        raise NotFound("This product has no variant with that number.")
    product = _product_for_update(product_id, expected_version)
    _check_variant(fields, variant_id)
    variant.sku = fields.sku
    variant.size_label = fields.size_label
    variant.price = fields.price
    variant.compare_at_price = fields.compare_at_price
    variant.position = fields.position
    _save(product)
    return variant


def _check_alt(alt_text: str) -> str:
    alt = alt_text.strip()
    if not alt:
        raise FieldError("alt_text", "Describe the image for people who cannot see it.")
    if len(alt) > ALT_TEXT_MAX:
        raise FieldError("alt_text", f"Keep the alt text to {ALT_TEXT_MAX} characters or fewer.")
    return alt


def add_image(
    product_id: int, expected_version: int, data: bytes, alt_text: str, media: Storage | Path
) -> ProductImage:
    """Check and store an uploaded image (files first), then add its row after the others.

    If anything after the files are written fails, they are removed again, so a refused or
    failed upload leaves neither files nor a row behind.
    """
    product = _product_for_update(product_id, expected_version)
    alt = _check_alt(alt_text)
    stored = images.store_product_image(data, media, product_id)
    try:
        position = max((i.position for i in product.images), default=-1) + 1
        image = ProductImage(
            product_id=product_id,
            path=stored.path,
            alt_text=alt,
            width=stored.width,
            height=stored.height,
            position=position,
        )
        db.session.add(image)
        _save(product)
    except BaseException:
        images.remove_files(stored.files)
        raise
    return image


def _image(product_id: int, image_id: int) -> ProductImage:
    image = db.session.get(ProductImage, image_id)
    if image is None or image.product_id != product_id:
        raise NotFound("This product has no image with that number.")
    return image


def update_image_alt(
    product_id: int, image_id: int, expected_version: int, alt_text: str
) -> ProductImage:
    """Change an image's alt text."""
    image = _image(product_id, image_id)
    product = _product_for_update(product_id, expected_version)
    image.alt_text = _check_alt(alt_text)
    _save(product)
    return image


def delete_image(product_id: int, image_id: int, expected_version: int) -> ProductImage:
    """Remove an image's row; the caller removes its files once the deletion is committed."""
    image = _image(product_id, image_id)
    product = _product_for_update(product_id, expected_version)
    product.images.remove(image)
    _save(product)
    return image
