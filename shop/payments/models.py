"""Every Stripe event the shop has handled, by id, so a redelivery is a no-op."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.core.models import utcnow
from shop.extensions import Model


class StripeEvent(Model):
    __tablename__ = "stripe_events"

    # Stripe's event id (evt_...). Written in the same transaction as the event's effects:
    # if handling fails, both roll back and Stripe's retry handles it afresh.
    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    object_id: Mapped[str | None] = mapped_column(sa.String(255), default=None, index=True)
    created: Mapped[int | None] = mapped_column(sa.BigInteger, default=None)
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    outcome: Mapped[str] = mapped_column(sa.String(300), default="")


class Installation(Model):
    """This installation of the shop: one row, made by its migration (or on first use).

    Its random `idempotency_prefix` starts every idempotency key sent to Stripe, so two
    databases sharing one Stripe account (staging and production, a restored copy, a fresh
    install) never send the same key for their own "order 1" and get each other's answers.
    """

    __tablename__ = "installation"
    __table_args__ = (sa.CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    idempotency_prefix: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
