"""A promotion: one customer-facing code, its rules, and the Stripe objects behind it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.core.models import TimestampMixin
from shop.extensions import Model

CODE_MAX = 40


class Promotion(TimestampMixin, Model):
    """A code such as `WELCOME10`: a percentage or a fixed amount off the goods.

    The shop keeps the rules (so it can say in the cart why a code does not apply, and
    check what Stripe charged); Stripe keeps a coupon and a promotion code made from them,
    so the same code also works when typed on Stripe's payment page.
    """

    __tablename__ = "promotions"
    __table_args__ = (
        sa.CheckConstraint(
            "(percent_off IS NULL) <> (amount_off IS NULL)", name="one_kind_of_discount"
        ),
        sa.CheckConstraint(
            "percent_off IS NULL OR (percent_off >= 1 AND percent_off <= 100)",
            name="percent_off_in_range",
        ),
        sa.CheckConstraint("amount_off IS NULL OR amount_off > 0", name="amount_off_positive"),
        sa.CheckConstraint(
            "min_subtotal IS NULL OR min_subtotal >= 0", name="min_subtotal_not_negative"
        ),
        sa.CheckConstraint(
            "max_redemptions IS NULL OR max_redemptions >= 1", name="max_redemptions_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # As customers type it, kept upper case (codes are matched without regard to case).
    code: Mapped[str] = mapped_column(sa.String(CODE_MAX), unique=True)
    percent_off: Mapped[int | None] = mapped_column(default=None)
    amount_off: Mapped[int | None] = mapped_column(default=None)  # minor units of `currency`
    currency: Mapped[str] = mapped_column(sa.String(3))
    min_subtotal: Mapped[int | None] = mapped_column(default=None)
    max_redemptions: Mapped[int | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=None)
    once_per_customer: Mapped[bool] = mapped_column(default=False)
    # A reader code: offered on this answer's page, and its sales credited to the answer.
    answer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("answers.id", ondelete="SET NULL"), default=None, index=True
    )
    # Stripe's coupon and promotion code; None until they are made at Stripe (a demo's code
    # before `promotions sync`, or a sandbox that restarted empty).
    stripe_coupon_id: Mapped[str | None] = mapped_column(sa.String(255), default=None)
    stripe_promotion_code_id: Mapped[str | None] = mapped_column(
        sa.String(255), unique=True, default=None
    )
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=None)

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    def __repr__(self) -> str:
        return f"<Promotion {self.code}>"
