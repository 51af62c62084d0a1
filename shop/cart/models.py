"""Cart models: a cart, known by a random token kept in the shopper's session, and its lines."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.core.models import TimestampMixin, utcnow
from shop.extensions import Model

if TYPE_CHECKING:
    from shop.catalog.models import Variant

# Most units of one size a cart may hold; the database enforces it too.
MAX_QUANTITY = 10
# secrets.token_urlsafe(32) is 43 characters long.
TOKEN_LENGTH = 43


class Cart(TimestampMixin, Model):
    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(TOKEN_LENGTH), unique=True)
    # Bumped by every change, so checkout can claim one exact state of the cart with a
    # conditional UPDATE (a double click then starts one checkout, not two).
    version: Mapped[int] = mapped_column(default=0)
    # A promotion code the customer applied in the cart (checked again at checkout).
    promotion_code: Mapped[str | None] = mapped_column(sa.String(40), default=None)

    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart",
        order_by="CartLine.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Cart {self.id}>"


class CartLine(Model):
    """Some units of one variant; the price is read from the catalogue, not from here."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        sa.UniqueConstraint("cart_id", "variant_id"),
        sa.CheckConstraint(
            f"quantity >= 1 AND quantity <= {MAX_QUANTITY}", name="quantity_in_range"
        ),
        sa.CheckConstraint("price_seen >= 0", name="price_seen_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint's index starts with cart_id, so it needs no index of its own.
    cart_id: Mapped[int] = mapped_column(sa.ForeignKey("carts.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("variants.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]
    # The unit price (minor units) the shopper last saw: when adding, or when the cart page
    # last told them of a change. Never charged: checkout reads the current price.
    price_seen: Mapped[int]
    added_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="lines")
    variant: Mapped[Variant] = relationship()

    def __repr__(self) -> str:
        return f"<CartLine {self.id} variant={self.variant_id} x{self.quantity}>"
