"""Catalogue models."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.core.models import TimestampMixin, str_enum
from shop.extensions import Model, db

if TYPE_CHECKING:
    from shop.inventory.models import StockRecord

SKIN_TYPES = ("normal", "dry", "oily", "combination", "sensitive")


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


product_concerns = sa.Table(
    "product_concerns",
    db.metadata,
    sa.Column("product_id", sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "concern_id", sa.ForeignKey("skin_concerns.id", ondelete="CASCADE"), primary_key=True
    ),
    # The primary key leads with the product; this one finds a concern's products.
    sa.Index("ix_product_concerns_concern", "concern_id", "product_id"),
)


class Brand(Model):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")

    def __repr__(self) -> str:
        return f"<Brand {self.slug}>"


class Category(Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class SkinConcern(Model):
    """One entry of the skin-concern taxonomy shared by products and answers."""

    __tablename__ = "skin_concerns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")

    def __repr__(self) -> str:
        return f"<SkinConcern {self.slug}>"


class Product(TimestampMixin, Model):
    __tablename__ = "products"
    __table_args__ = (sa.Index("ix_products_status_featured", "status", "featured_rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    brand_id: Mapped[int] = mapped_column(sa.ForeignKey("brands.id"), index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    status: Mapped[ProductStatus] = mapped_column(
        str_enum(ProductStatus, "product_status"), default=ProductStatus.DRAFT
    )
    # Lower ranks come first on the home page and in the "featured" sort; NULL is not featured.
    featured_rank: Mapped[int | None] = mapped_column(default=None)
    skin_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    key_ingredients: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    how_to_use: Mapped[str] = mapped_column(sa.Text, default="")
    # Stripe's product tax code ("txcd_..."); None = the shop's SHOP_DEFAULT_TAX_CODE.
    tax_code: Mapped[str | None] = mapped_column(sa.String(40), default=None)
    seo_title: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    seo_description: Mapped[str | None] = mapped_column(sa.String(320), default=None)
    # Optimistic locking: an admin form carries the version it was read at, and SQLAlchemy's
    # version counter refuses to flush over a row that someone else changed since.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it once)

    brand: Mapped[Brand] = relationship(lazy="joined", innerjoin=True)
    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)
    concerns: Mapped[list[SkinConcern]] = relationship(
        secondary=product_concerns, order_by=SkinConcern.name
    )
    variants: Mapped[list[Variant]] = relationship(
        back_populates="product",
        order_by="Variant.position, Variant.id",
        cascade="all, delete-orphan",
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product",
        order_by="ProductImage.position, ProductImage.id",
        cascade="all, delete-orphan",
    )

    @property
    def is_active(self) -> bool:
        return self.status is ProductStatus.ACTIVE

    def __repr__(self) -> str:
        return f"<Product {self.slug}>"


class Variant(Model):
    """A purchasable size of a product, with its own SKU, price and stock."""

    __tablename__ = "variants"
    __table_args__ = (
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
        sa.CheckConstraint(
            "compare_at_price IS NULL OR compare_at_price > price", name="compare_at_above_price"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size_label: Mapped[str] = mapped_column(sa.String(60), default="")
    # Minor units (cents) of `currency`.
    price: Mapped[int] = mapped_column(sa.Integer)
    compare_at_price: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    currency: Mapped[str] = mapped_column(sa.String(3))
    position: Mapped[int] = mapped_column(default=0)
    # Optimistic locking, as on products: the product page sends each size's version, and an
    # UPDATE over a size someone changed since (e.g. the catalogue import) is refused.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it once)

    product: Mapped[Product] = relationship(back_populates="variants")
    stock: Mapped[StockRecord] = relationship(
        back_populates="variant", uselist=False, cascade="all, delete-orphan", lazy="joined"
    )

    @property
    def available(self) -> int:
        """Units that can still be sold: on hand minus those reserved by open checkouts."""
        return self.stock.available if self.stock is not None else 0

    def __repr__(self) -> str:
        return f"<Variant {self.sku}>"


class ProductImage(Model):
    __tablename__ = "product_images"
    __table_args__ = (sa.CheckConstraint("length(alt_text) > 0", name="alt_text_required"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    # Path relative to MEDIA_ROOT, served under /media/.
    path: Mapped[str] = mapped_column(sa.String(255))
    alt_text: Mapped[str] = mapped_column(sa.String(300))
    width: Mapped[int] = mapped_column(default=600)
    height: Mapped[int] = mapped_column(default=600)
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="images")
