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
