"""Reads for the promotions screens and the CLI: each promotion with what it brought."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa

from shop.core.models import utcnow
from shop.editorial.models import Answer
from shop.editorial.queries import is_public
from shop.extensions import db
from shop.orders.models import Order
from shop.orders.statuses import PAID_STATUSES
from shop.promotions.models import Promotion
from shop.promotions.rules import redemptions_used


class PromotionStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"
    EXPIRED = "expired"
    USED_UP = "used up"


@dataclass(frozen=True)
class PromotionRow:
    """One promotion as the list shows it."""

    promotion: Promotion
    answer_slug: str | None
    answer_question: str | None
    status: PromotionStatus
    redemptions: int  # paid orders that used it
    revenue: int  # those orders' payments net of refunds, tax excluded (minor units)


def status_of(promotion: Promotion, held: int, now: datetime | None = None) -> PromotionStatus:
    """Whether a promotion can still be used; `held` counts orders holding a redemption."""
    if promotion.ended:
        return PromotionStatus.ENDED
    expires = promotion.expires_at
    if expires is not None:
        expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
        if expires <= (now or utcnow()):
            return PromotionStatus.EXPIRED
    if promotion.max_redemptions is not None and held >= promotion.max_redemptions:
        return PromotionStatus.USED_UP
    return PromotionStatus.ACTIVE


def _paid_totals() -> sa.Subquery:
    """Per promotion: how many paid orders used it and what they brought."""
    paid = sa.func.coalesce(Order.amount_paid, Order.total)
    net = paid - Order.refunded_amount - Order.tax
    return (
        sa.select(
            Order.promotion_id.label("promotion_id"),
            sa.func.count(Order.id).label("redemptions"),
            sa.func.coalesce(
                sa.func.sum(sa.case((net > 0, net), else_=0)),
                0,
            ).label("revenue"),
        )
        .where(Order.promotion_id.is_not(None), Order.status.in_(PAID_STATUSES))
        .group_by(Order.promotion_id)
        .subquery()
    )


def promotion_rows(now: datetime | None = None) -> list[PromotionRow]:
    """Every promotion, newest first, with its status, redemptions and revenue."""
    totals = _paid_totals()
    stmt = (
        sa.select(Promotion, Answer.slug, Answer.question, totals.c.redemptions, totals.c.revenue)
        .outerjoin(Answer, Answer.id == Promotion.answer_id)
        .outerjoin(totals, totals.c.promotion_id == Promotion.id)
        .order_by(Promotion.created_at.desc(), Promotion.id.desc())
    )
    rows = []
    for promotion, slug, question, redemptions, revenue in db.session.execute(stmt).all():
        held = redemptions_used(promotion.id) if promotion.max_redemptions is not None else 0
        rows.append(
            PromotionRow(
                promotion=promotion,
                answer_slug=slug,
                answer_question=question,
                status=status_of(promotion, held, now),
                redemptions=int(redemptions or 0),
                revenue=int(revenue or 0),
            )
        )
    return rows


def answer_choices() -> Sequence[tuple[str, str]]:
    """Published answers as (slug, question), newest first, for a reader code's answer."""
    stmt = (
        sa.select(Answer.slug, Answer.question)
        .where(is_public())
        .order_by(Answer.published_at.desc(), Answer.id.desc())
    )
    return [(slug, question) for slug, question in db.session.execute(stmt).all()]
