"""Inventory models: one stock record per variant, and the adjustments that changed it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.core.models import utcnow
from shop.extensions import Model

if TYPE_CHECKING:
    from shop.catalog.models import Variant


class StockRecord(Model):
    __tablename__ = "stock_records"
    __table_args__ = (
        sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        sa.CheckConstraint("allocated >= 0", name="allocated_not_negative"),
        sa.CheckConstraint("allocated <= on_hand", name="allocated_within_on_hand"),
    )

    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("variants.id", ondelete="CASCADE"), primary_key=True
    )
    on_hand: Mapped[int] = mapped_column(default=0)
    # Units held by open checkouts; they leave on_hand only when the payment completes.
    allocated: Mapped[int] = mapped_column(default=0)

    variant: Mapped[Variant] = relationship(back_populates="stock")

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


class StockAdjustment(Model):
    """One change to a variant's on-hand stock, with why it happened."""

    __tablename__ = "stock_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("variants.id", ondelete="CASCADE"), index=True
    )
    delta: Mapped[int]
    on_hand_after: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(40))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class StockFace(Model):
    """What public pages last showed of a product's stock: its words per size and in all.

    A sale or a hold changes a page only when these words change ("In stock" to "Only 5
    left", "Only 2 left" to "Only 1 left", to "Sold out"); the commit check in
    `shop/inventory/faces.py` compares them and moves the page cache's version on only then.
    """

    __tablename__ = "stock_faces"

    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    face: Mapped[str | None] = mapped_column(sa.Text)
