"""Catalogue write services: products, variants, images, and optimistic locking."""

from __future__ import annotations

from dataclasses import replace
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
from shop.catalog.services import (
    ImageEdit,
    NewImage,
    PageEdit,
    ProductFields,
    VariantEdit,
    VariantFields,
)
from shop.core.errors import FieldError, RecordChanged
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


def _same(product: Product) -> ProductFields:
    """The product's own fields as stored, for saves that change only its other parts."""
    return _fields(
        name=product.name,
        slug=product.slug,
        brand_id=product.brand_id,
        category_id=product.category_id,
        status=product.status,
    )


def _sizes(product: Product, **changes: VariantFields) -> list[VariantEdit]:
    """Every size of the product at its stored version, with the given SKUs' values changed."""
    return [
        VariantEdit(
            v.id,
            v.version,
            changes.get(v.sku)
            or VariantFields(v.sku, v.size_label, v.price, v.compare_at_price, v.position),
        )
        for v in product.variants
    ]


def test_sizes_and_images_saved_with_the_product_bump_its_version_once(
    db: SQLAlchemy, tmp_path: Path
) -> None:
    product = make_product("Barrier Cream", image=False)
    db.session.commit()

    saved = services.update_product(
        product.id,
        1,
        _same(product),
        PageEdit(
            variants=_sizes(product),
            new_variant=VariantFields("BC-100", "100 ml", 4200, 5000, 1),
            upload=NewImage(_png(), " A jar ", tmp_path),
        ),
    )
    db.session.commit()
    assert product.version == 2
    assert saved.new_variant is not None
    assert saved.new_image is not None
    assert (saved.new_image.alt_text, saved.new_image.width) == ("A jar", 900)
    stock = db.session.get(StockRecord, saved.new_variant.id)
    assert stock is not None
    assert stock.on_hand == 0

    image_id = saved.new_image.id
    services.update_product(
        product.id,
        2,
        _same(product),
        PageEdit(
            variants=_sizes(product, **{"BC-100": VariantFields("BC-100", "100ml", 3900, None, 1)}),
            images=[ImageEdit(image_id, "A white jar")],
        ),
    )
    db.session.commit()
    assert product.version == 3
    assert [(v.sku, v.price, v.version) for v in product.variants][-1] == ("BC-100", 3900, 2)
    saved = services.update_product(
        product.id,
        3,
        _same(product),
        PageEdit(variants=_sizes(product), images=[ImageEdit(image_id, "", remove=True)]),
    )
    db.session.commit()
    assert product.version == 4
    assert [i.path for i in saved.removed_images] != []
    assert db.session.scalars(sa.select(ProductImage)).all() == []

    with pytest.raises(RecordChanged):
        services.update_product(
            product.id,
            3,
            _same(product),
            PageEdit(new_variant=VariantFields("BC-200", "", 100, None), variants=_sizes(product)),
        )


def test_a_size_changed_elsewhere_refuses_the_whole_save(db: SQLAlchemy) -> None:
    product = make_product("Barrier Cream", image=False)
    db.session.commit()
    page = _sizes(product)
    product.variants[0].price = 1234  # the catalogue import, say: the product is untouched
    db.session.commit()
    assert (product.version, product.variants[0].version) == (1, 2)
    with pytest.raises(RecordChanged):
        services.update_product(
            product.id, 1, replace(_same(product), name="Renamed"), PageEdit(variants=page)
        )
    db.session.rollback()
    assert (product.name, product.variants[0].price) == ("Barrier Cream", 1234)


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
        services.update_product(
            product.id,
            product.version,
            _same(product),
            PageEdit(variants=_sizes(product), new_variant=fields),
        )
    assert (refused.value.field, refused.value.part) == (field, "new_variant")


def test_archive_and_restore(db: SQLAlchemy) -> None:
    product = make_product("Barrier Cream")
    db.session.commit()
    services.update_product(product.id, 1, replace(_same(product), status=ProductStatus.ARCHIVED))
    db.session.commit()
    assert product.status is ProductStatus.ARCHIVED
    services.update_product(product.id, 2, replace(_same(product), status=ProductStatus.DRAFT))
    db.session.commit()
    assert (product.status, product.version) == (ProductStatus.DRAFT, 3)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Variant)) == 1


def test_an_image_that_cannot_be_written_leaves_no_row(db: SQLAlchemy, tmp_path: Path) -> None:
    product = make_product("Barrier Cream", image=False)
    db.session.commit()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ImageNotSaved):
        services.update_product(
            product.id,
            1,
            _same(product),
            PageEdit(variants=_sizes(product), upload=NewImage(_png(), "A jar", blocker / "media")),
        )
    db.session.rollback()
    assert db.session.scalars(sa.select(ProductImage)).all() == []


def test_a_refused_row_removes_the_written_files(db: SQLAlchemy, tmp_path: Path) -> None:
    product = make_product("Barrier Cream", image=False)
    db.session.commit()
    page = PageEdit(variants=_sizes(product), upload=NewImage(_png(), "A jar", tmp_path))
    db.session.execute(sa.update(_PRODUCTS).where(_PRODUCTS.c.id == product.id).values(version=9))
    with pytest.raises(RecordChanged):
        services.update_product(product.id, 1, _same(product), page)
    db.session.rollback()
    assert list((tmp_path / "products" / str(product.id)).iterdir()) == []
