"""Order models: orders, their line snapshots and their timeline."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from babel import Locale
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.core.models import TimestampMixin, str_enum, utcnow
from shop.extensions import Model
from shop.orders.tracking import tracking_link


class OrderStatus(enum.StrEnum):
    PENDING = "pending"  # checkout started; stock held; not paid
    PROCESSING = "processing"  # the customer paid with a delayed method; waiting for it
    PAID = "paid"
    REVIEW = "review"  # Stripe's figures disagree with ours: staff must look
    FULFILLED = "fulfilled"  # shipped
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"  # payment failed or the checkout was abandoned
    EXPIRED = "expired"  # the Checkout Session expired unpaid


class Order(TimestampMixin, Model):
    __tablename__ = "orders"
    __table_args__ = (
        sa.Index("ix_orders_status_created_at", "status", "created_at"),
        sa.CheckConstraint("subtotal >= 0", name="subtotal_not_negative"),
        sa.CheckConstraint("refunded_amount >= 0", name="refunded_not_negative"),
        sa.CheckConstraint("discount >= 0", name="discount_not_negative"),
        sa.CheckConstraint("tax >= 0", name="tax_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What customers and staff call the order ("DH-100042"); set once the id is known.
    number: Mapped[str | None] = mapped_column(sa.String(20), unique=True, default=None)
    # Random public id; the status page link is this, signed.
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    status: Mapped[OrderStatus] = mapped_column(
        str_enum(OrderStatus, "order_status"), default=OrderStatus.PENDING
    )
    email: Mapped[str | None] = mapped_column(sa.String(254), default=None)
    cart_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("carts.id", ondelete="SET NULL"), default=None, index=True
    )
    # The cart's contents when checkout started, so a double click reuses this order.
    cart_fingerprint: Mapped[str] = mapped_column(sa.String(64), default="")
    currency: Mapped[str] = mapped_column(sa.String(3))
    subtotal: Mapped[int]
    shipping: Mapped[int] = mapped_column(default=0)
    # Taken off the goods by a promotion code (the shop's rules; Stripe's figure once paid).
    discount: Mapped[int] = mapped_column(default=0, server_default="0")
    # Sales tax Stripe computed (0 unless automatic tax is on); known once paid.
    tax: Mapped[int] = mapped_column(default=0, server_default="0")
    # What the customer pays: subtotal - discount + shipping (+ tax once Stripe has said).
    total: Mapped[int]
    # The code used, as typed (in the cart or on Stripe's page), and its promotion.
    promotion_code: Mapped[str | None] = mapped_column(sa.String(40), default=None)
    promotion_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("promotions.id", ondelete="SET NULL"), default=None, index=True
    )
    amount_paid: Mapped[int | None] = mapped_column(default=None)
    refunded_amount: Mapped[int] = mapped_column(default=0)
    stripe_session_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True, default=None)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(
        sa.String(255), default=None, index=True
    )
    checkout_url: Mapped[str | None] = mapped_column(sa.Text, default=None)
    checkout_expires_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), default=None
    )
    shipping_name: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, default=None)
    review_reason: Mapped[str | None] = mapped_column(sa.String(300), default=None)
    # How the parcel went: the carrier's name ("UPS", or one staff typed), its number, and
    # a link staff gave for a carrier the shop does not know (https only; see tracking.py).
    carrier: Mapped[str | None] = mapped_column(sa.String(40), default=None)
    tracking_number: Mapped[str | None] = mapped_column(sa.String(100), default=None)
    tracking_url: Mapped[str | None] = mapped_column(sa.String(500), default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=None)
    paid_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=None)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

    def quantities(self) -> dict[int, int]:
        """Units per variant, for stock holds and releases."""
        held: dict[int, int] = {}
        for line in self.lines:
            if line.variant_id is not None:
                held[line.variant_id] = held.get(line.variant_id, 0) + line.quantity
        return held

    @property
    def paid_amount(self) -> int:
        """What the customer paid (the order total until Stripe has said)."""
        return self.amount_paid if self.amount_paid is not None else self.total

    @property
    def remaining_amount(self) -> int:
        """What stays paid after refunds, in minor units."""
        return max(0, self.paid_amount - self.refunded_amount)

    @property
    def tracking_link(self) -> str | None:
        """Where the customer can follow the parcel, or None to show the number alone."""
        return tracking_link(self.carrier, self.tracking_number, self.tracking_url)

    def address_lines(self) -> list[str]:
        """The shipping address as a label reads, one line each (name first, country last).

        City, state or province and postal code share a line ("Springfield, IL 62704").
        """
        address = self.shipping_address or {}

        def part(key: str) -> str:
            value = address.get(key)
            return " ".join(str(value).split()) if value else ""

        locality = " ".join(p for p in (part("state"), part("postal_code")) if p)
        country = part("country")
        lines = [
            " ".join((self.shipping_name or "").split()),
            part("line1"),
            part("line2"),
            ", ".join(p for p in (part("city"), locality) if p),
            Locale("en").territories.get(country.upper(), country) if country else "",
        ]
        return [line for line in lines if line]

    def __repr__(self) -> str:
        return f"<Order {self.number or self.id} {self.status}>"


class OrderLine(Model):
    """What was bought, copied from the catalogue at checkout: later edits never rewrite it."""

    __tablename__ = "order_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    variant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("variants.id", ondelete="SET NULL"), default=None, index=True
    )
    product_name: Mapped[str] = mapped_column(sa.String(200))
    size_label: Mapped[str] = mapped_column(sa.String(60), default="")
    sku: Mapped[str] = mapped_column(sa.String(64))
    unit_price: Mapped[int]
    quantity: Mapped[int]
    line_total: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderEvent(Model):
    """One entry in an order's timeline ("Checkout started", "Paid $56.00", ...)."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40))
    message: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
