"""Catalogue writes for the staff product editor: products, variants and images.

The edit page saves a product with all its variants and images in one `update_product`
call, which goes through `_product_for_update`: it refuses a stale `expected_version` and
touches `updated_at`, so the product's version counter (`Product.version`, a SQLAlchemy
`version_id_col`) moves once on every save. Each variant has its own counter too
(`Variant.version`), which the page sends back: a variant changed elsewhere (the
catalogue import changes variants without touching their product) refuses the whole
save. A second editor working from an older page is therefore refused, either here or,
when both read the same versions at the same moment, by the version check of the UPDATE
at flush (a `StaleDataError`, turned into the same `RecordChanged`). Services flush; the
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
from shop.catalog.tax_codes import TAX_CODE_EXAMPLE, is_tax_code
from shop.core.errors import FieldError, NotFound, RecordChanged
from shop.core.models import utcnow
from shop.core.slugs import SLUG_MAX, is_slug, slugify
from shop.core.storage import Storage
from shop.extensions import db
from shop.inventory.services import create_stock_record

AUDIT_TEXT_MAX = 500
ALT_TEXT_MAX = 300


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
    tax_code: str | None = None  # None: the shop default (SHOP_DEFAULT_TAX_CODE)


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
        raise RecordChanged("product") from exc


def _product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound("There is no product with that number.")
    return product


def _product_for_update(product_id: int, expected_version: int) -> Product:
    """Load the product and refuse it if its version is not the one the editor saw."""
    product = _product(product_id)
    if product.version != expected_version:
        raise RecordChanged("product")
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
        "tax_code": product.tax_code,
    }


@dataclass(frozen=True)
class VariantEdit:
    """One size as the product page sends it: which, at what version, with what values."""

    variant_id: int
    expected_version: int
    fields: VariantFields


@dataclass(frozen=True)
class ImageEdit:
    """One image as the product page sends it: its alt text, or that it is to be removed."""

    image_id: int
    alt_text: str
    remove: bool = False


@dataclass(frozen=True)
class NewImage:
    """An uploaded image's bytes (read, not yet checked), its alt text and where to store it."""

    data: bytes
    alt_text: str
    media: Storage | Path


@dataclass(frozen=True)
class PageEdit:
    """What the product page sends besides the product's own fields.

    `variants` must name every size the product has (each at the version the page showed):
    a size missing or unknown means the page is out of date, and the save is refused.
    """

    variants: Sequence[VariantEdit] = ()
    new_variant: VariantFields | None = None
    currency: str = "USD"
    images: Sequence[ImageEdit] = ()
    upload: NewImage | None = None


@dataclass
class Saved:
    """A saved product, with what the save added and removed (for audit entries and files)."""

    product: Product
    new_variant: Variant | None = None
    new_image: ProductImage | None = None
    removed_images: list[ProductImage] = field(default_factory=list)


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
    tax_code = (fields.tax_code or "").strip() or None
    if tax_code is not None and not is_tax_code(tax_code):
        raise FieldError(
            "tax_code",
            f"Enter a Stripe product tax code: txcd_ and 8 digits, e.g. {TAX_CODE_EXAMPLE}; "
            "or leave it empty for the shop default.",
        )
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
        product.tax_code = tax_code


def create_product(fields: ProductFields) -> Product:
    """Create a product (without variants or images yet)."""
    product = Product()
    _apply(product, fields)
    db.session.add(product)
    _flush()
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


def _check_alt(alt_text: str) -> str:
    alt = alt_text.strip()
    if not alt:
        raise FieldError("alt_text", "Describe the image for people who cannot see it.")
    if len(alt) > ALT_TEXT_MAX:
        raise FieldError("alt_text", f"Keep the alt text to {ALT_TEXT_MAX} characters or fewer.")
    return alt


def _checked_variants(
    product: Product, edits: Sequence[VariantEdit], new: VariantFields | None
) -> list[tuple[Variant, VariantFields]]:
    """Match each edit to the product's size at the version the page showed, then check it."""
    current = {v.id: v for v in product.variants}
    if sorted(e.variant_id for e in edits) != sorted(current):
        raise RecordChanged("product")
    if any(current[e.variant_id].version != e.expected_version for e in edits):
        raise RecordChanged("product")
    checked: list[tuple[Variant, VariantFields]] = []
    seen: set[str] = set()
    rows: list[tuple[str, int | None, VariantFields]] = [
        (f"variant:{e.variant_id}", e.variant_id, e.fields) for e in edits
    ]
    if new is not None:
        rows.append(("new_variant", None, new))
    for part, variant_id, fields in rows:
        try:
            _check_variant(fields, variant_id)
        except FieldError as exc:
            raise FieldError(exc.field, exc.message, part) from exc
        if fields.sku.lower() in seen:
            raise FieldError(
                "sku", f"SKU {fields.sku} is typed for two sizes; SKUs are unique.", part
            )
        seen.add(fields.sku.lower())
        if variant_id is not None:
            checked.append((current[variant_id], fields))
    return checked


def _checked_images(
    product: Product, edits: Sequence[ImageEdit]
) -> list[tuple[ProductImage, ImageEdit]]:
    """Match each edit to one of the product's images and check its alt text."""
    current = {i.id: i for i in product.images}
    checked: list[tuple[ProductImage, ImageEdit]] = []
    for edit in edits:
        image = current.get(edit.image_id)
        if image is None:
            raise RecordChanged("product")
        if not edit.remove:
            try:
                _check_alt(edit.alt_text)
            except FieldError as exc:
                raise FieldError(exc.field, exc.message, f"image:{edit.image_id}") from exc
        checked.append((image, edit))
    return checked


def update_product(
    product_id: int, expected_version: int, fields: ProductFields, page: PageEdit | None = None
) -> Saved:
    """Save the product and, from its edit page, its sizes and images, as one change.

    Refused whole (`RecordChanged`) if the product or any of its sizes changed since the
    versions the page showed, or with the first refused value (`FieldError`, naming its
    part of the page). Everything is checked before anything is changed, so the product's
    version moves once. Without `page` only the product's own fields are saved.
    """
    product = _product_for_update(product_id, expected_version)
    if page is None:
        _apply(product, fields)
        _save(product)
        return Saved(product)
    variants = _checked_variants(product, page.variants, page.new_variant)
    images_ = _checked_images(product, page.images)
    alt = ""
    if page.upload is not None:
        try:
            alt = _check_alt(page.upload.alt_text)
        except FieldError as exc:
            raise FieldError(exc.field, exc.message, "upload") from exc
    _apply(product, fields)
    saved = Saved(product)
    with db.session.no_autoflush:
        for variant, values in variants:
            variant.sku = values.sku
            variant.size_label = values.size_label
            variant.price = values.price
            variant.compare_at_price = values.compare_at_price
            variant.position = values.position
        for image, edit in images_:
            if edit.remove:
                product.images.remove(image)
                saved.removed_images.append(image)
            else:
                image.alt_text = _check_alt(edit.alt_text)
        if page.new_variant is not None:
            new = page.new_variant
            saved.new_variant = Variant(
                product=product,
                sku=new.sku,
                size_label=new.size_label,
                price=new.price,
                compare_at_price=new.compare_at_price,
                currency=page.currency,
                position=new.position,
            )
            db.session.add(saved.new_variant)
    if page.upload is None:
        _save(product)
    else:
        # Files first, the row after: whatever fails from here removes the files again.
        stored = images.store_product_image(page.upload.data, page.upload.media, product_id)
        try:
            position = max((i.position for i in product.images), default=-1) + 1
            saved.new_image = ProductImage(
                product=product,
                path=stored.path,
                alt_text=alt,
                width=stored.width,
                height=stored.height,
                position=position,
            )
            db.session.add(saved.new_image)
            _save(product)
        except BaseException:
            images.remove_files(stored.files)
            raise
    if saved.new_variant is not None:
        create_stock_record(saved.new_variant.id, 0)
    return saved
