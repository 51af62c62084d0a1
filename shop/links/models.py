"""Links between answers and products, dismissed suggestions, and per-answer counters."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.core.models import utcnow
from shop.extensions import Model

if TYPE_CHECKING:
    from shop.catalog.models import Product
    from shop.editorial.models import Answer


class AnswerProductLink(Model):
    """A product the doctor recommends in an answer, in order, with why (and any caution)."""

    __tablename__ = "answer_product_links"
    __table_args__ = (
        sa.UniqueConstraint("answer_id", "product_id", name="uq_answer_product_links_pair"),
        sa.Index("ix_answer_product_links_product", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("answers.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    # The doctor's "why this product here", shown beside it on the answer page.
    note: Mapped[str] = mapped_column(sa.String(600), default="")
    caution: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    answer: Mapped[Answer] = relationship()
    product: Mapped[Product] = relationship()


class DismissedSuggestion(Model):
    """A suggested answer-product pair that staff turned down; it is not suggested again."""

    __tablename__ = "dismissed_suggestions"
    __table_args__ = (
        sa.UniqueConstraint("answer_id", "product_id", name="uq_dismissed_suggestions_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answers.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    dismissed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class AnswerDailyStats(Model):
    """How readers used an answer on one day: views, clicks to products, add-to-carts."""

    __tablename__ = "answer_daily_stats"

    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    views: Mapped[int] = mapped_column(default=0)
    product_clicks: Mapped[int] = mapped_column(default=0)
    add_to_carts: Mapped[int] = mapped_column(default=0)


class OrderAttribution(Model):
    """An answer read in the visit that ended in an order: the last one is the source."""

    __tablename__ = "order_attributions"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "answer_id", name="uq_order_attributions_pair"),
        sa.Index("ix_order_attributions_answer_role", "answer_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answers.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(10))  # "source" or "assist"
