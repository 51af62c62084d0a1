"""Catalogue write services: products, variants, images, and optimistic locking."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from PIL import Image
from sqlalchemy import Table

from shop.catalog import services
from shop.catalog.images import ImageNotSaved
from shop.catalog.models import Product, ProductImage, ProductStatus, Variant
from shop.catalog.services import FieldError, ProductFields, RecordChanged, VariantFields
from shop.core.errors import DomainError
from shop.inventory.models import StockRecord
from tests.factories import make_brand, make_category, make_concern, make_product

_PRODUCTS: Table = Product.__table__  # type: ignore[assignment]


def _fields(**overrides: object) -> ProductFields:
    values: dict[str, object] = {
        "name": "Crème Riche 50 ml",
        "slug": "",
        "brand_id": make_brand().id,
        "category_id": make_category().id,
        "status": ProductStatus.DRAFT,
    }
    values.update(overrides)
    return ProductFields(**values)  # type: ignore[arg-type]


def _png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (900, 600), (10, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_create_makes_the_slug_from_the_name(db: SQLAlchemy) -> None:
    concern = make_concern("Dryness")
    product = services.create_product(
        _fields(concern_ids=[concern.id], key_ingredients=["Ceramides"], seo_title="")
    )
    db.session.commit()
    assert product.slug == "creme-riche-50-ml"
    assert [c.name for c in product.concerns] == ["Dryness"]
    assert product.seo_title is None
    assert product.version == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"slug": "taken"}, "slug", "already used by “Taken One”"),
        ({"name": "Taken", "slug": ""}, "slug", "already used"),
        ({"slug": "Not A Slug"}, "slug", "lowercase letters"),
        ({"name": "!!!"}, "slug", "no usable slug"),
        ({"brand_id": 999_999}, "brand", "Choose a brand"),
        ({"concern_ids": [999_999]}, "concerns", "Choose skin concerns"),
    ],
)
def test_create_refusals_name_their_field(
    db: SQLAlchemy, overrides: dict[str, object], field: str, message: str
) -> None:
    make_product("Taken One", slug="taken")
    with pytest.raises(FieldError, match=message) as refused:
        services.create_product(_fields(**overrides))
    assert refused.value.field == field


def test_update_refuses_a_stale_version_and_bumps_it_when_saved(db: SQLAlchemy) -> None:
    product = make_product("Barrier Cream")
    db.session.commit()
    assert product.version == 1
    fields = _fields(name="Barrier Cream Rich", slug=product.slug)

    services.update_product(product.id, 1, fields)
    db.session.commit()
    assert product.version == 2

    with pytest.raises(RecordChanged, match="changed by someone else"):
        services.update_product(product.id, 1, _fields(name="Overwritten", slug=product.slug))
    db.session.rollback()
    assert db.session.get(Product, product.id).name == "Barrier Cream Rich"  # type: ignore[union-attr]


def test_a_change_between_read_and_flush_is_refused_too(db: SQLAlchemy) -> None:
    product = make_product("Barrier Cream")
    db.session.commit()
    assert product.version == 1
    # Another editor's save lands after this session read version 1 (a table-level UPDATE
    # leaves the loaded object as it was, as in a second process).
    db.session.execute(
        sa.update(_PRODUCTS).where(_PRODUCTS.c.id == product.id).values(version=2, name="Theirs")
    )
    with pytest.raises(RecordChanged):
        services.update_product(product.id, 1, _fields(name="Mine", slug=product.slug))
    db.session.rollback()


def test_variant_and_image_changes_bump_the_version(db: SQLAlchemy, tmp_path: Path) -> None:
    product = make_product("Barrier Cream", image=False)
    db.session.commit()

    variant = services.add_variant(
        product.id, 1, VariantFields("BC-100", "100 ml", 4200, 5000, 1), "USD"
    )
    db.session.commit()
    assert product.version == 2
    stock = db.session.get(StockRecord, variant.id)
    assert stock is not None
    assert stock.on_hand == 0

    services.update_variant(product.id, variant.id, 2, VariantFields("BC-100", "100ml", 3900, None))
    db.session.commit()
    assert product.version == 3

    image = services.add_image(product.id, 3, _png(), " A jar ", tmp_path)
    db.session.commit()
    assert (product.version, image.alt_text, image.width) == (4, "A jar", 900)

    services.update_image_alt(product.id, image.id, 4, "A white jar")
    db.session.commit()
    services.delete_image(product.id, image.id, 5)
    db.session.commit()
    assert product.version == 6
    assert db.session.scalars(sa.select(ProductImage)).all() == []

    with pytest.raises(RecordChanged):
        services.add_variant(product.id, 5, VariantFields("BC-200", "", 100, None), "USD")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (VariantFields("sku-0-0", "", 100, None), "sku", "already used"),
        (VariantFields("NEW-1", "", 2000, 2000), "compare_at_price", "higher than the price"),
    ],
)
def test_variant_refusals(db: SQLAlchemy, fields: VariantFields, field: str, message: str) -> None:
    other = make_product("Other")
    other.variants[0].sku = "SKU-0-0"
    product = make_product("Mine")
    db.session.commit()
    with pytest.raises(FieldError, match=message) as refused:
        services.add_variant(product.id, product.version, fields, "USD")
    assert refused.value.field == field


def test_archive_and_restore(db: SQLAlchemy) -> None:
    product = make_product("Barrier Cream")
    db.session.commit()
    services.archive_product(product.id, 1)
    db.session.commit()
    assert product.status is ProductStatus.ARCHIVED
    with pytest.raises(DomainError, match="already archived"):
        services.archive_product(product.id, 2)
    db.session.rollback()
    services.restore_product(product.id, 2, ProductStatus.DRAFT)
    db.session.commit()
    assert (product.status, product.version) == (ProductStatus.DRAFT, 3)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Variant)) == 1


def test_an_image_that_cannot_be_written_leaves_no_row(db: SQLAlchemy, tmp_path: Path) -> None:
    product = make_product("Barrier Cream", image=False)
    db.session.commit()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ImageNotSaved):
        services.add_image(product.id, 1, _png(), "A jar", blocker / "media")
    db.session.rollback()
    assert db.session.scalars(sa.select(ProductImage)).all() == []


def test_a_refused_row_removes_the_written_files(db: SQLAlchemy, tmp_path: Path) -> None:
    product = make_product("Barrier Cream", image=False)
    db.session.commit()
    db.session.execute(sa.update(_PRODUCTS).where(_PRODUCTS.c.id == product.id).values(version=9))
    with pytest.raises(RecordChanged):
        services.add_image(product.id, 1, _png(), "A jar", tmp_path)
    db.session.rollback()
    assert list((tmp_path / "products" / str(product.id)).iterdir()) == []
