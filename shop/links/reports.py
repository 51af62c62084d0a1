"""Per-answer figures for staff: readers, clicks, add-to-carts, orders and revenue."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import cast

import sqlalchemy as sa

from shop.core.money import format_major
from shop.editorial.models import Answer
from shop.extensions import db
from shop.links.models import AnswerDailyStats, OrderAttribution
from shop.orders.models import Order
from shop.orders.statuses import PAID_STATUSES
from shop.promotions.models import Promotion

REPORT_HEADER = (
    "answer_slug",
    "question",
    "views",
    "product_clicks",
    "add_to_carts",
    "orders",
    "assisted_orders",
    "revenue",
    "code_revenue",
    "currency",
)


@dataclass(frozen=True)
class AnswerFigures:
    answer_id: int
    slug: str
    question: str
    views: int
    product_clicks: int
    add_to_carts: int
    orders: int  # paid orders this answer was the source of
    assisted_orders: int  # paid orders it was read before, not last
    revenue: int  # minor units kept from its source orders, net of tax (see `net_revenue`)
    code_revenue: int  # the same, from paid orders that used this answer's reader codes


def net_revenue() -> sa.ColumnElement[int]:
    """What the shop kept of an order, net of tax: paid (the discount already off) minus
    refunds, less the tax in what was kept (a refund gives back its share of the tax)."""
    paid = sa.func.coalesce(Order.amount_paid, Order.total)
    kept = paid - Order.refunded_amount
    return sa.case((paid > 0, kept - (Order.tax * kept) // paid), else_=0)


def answer_figures(since: date | None = None) -> list[AnswerFigures]:
    """Every answer with any activity since `since` (all time when None), best revenue first.

    Three queries, whatever the number of answers.
    """
    stats = sa.select(
        AnswerDailyStats.answer_id,
        sa.func.sum(AnswerDailyStats.views),
        sa.func.sum(AnswerDailyStats.product_clicks),
        sa.func.sum(AnswerDailyStats.add_to_carts),
    ).group_by(AnswerDailyStats.answer_id)
    kept = net_revenue()
    paid = Order.status.in_(PAID_STATUSES)
    start = datetime.combine(since, time(), tzinfo=UTC) if since is not None else None
    in_period = Order.paid_at >= start if start is not None else sa.true()
    credited = (
        sa.select(
            OrderAttribution.answer_id.label("answer_id"),
            OrderAttribution.role.label("role"),
            sa.func.count(Order.id),
            sa.func.coalesce(sa.func.sum(kept), 0),
        )
        .join(Order, Order.id == OrderAttribution.order_id)
        .where(paid, in_period)
        .group_by(OrderAttribution.answer_id, OrderAttribution.role)
    )
    # A reader code's sales, whatever the visit read, as the role "code" (one query).
    by_code = (
        sa.select(
            Promotion.answer_id.label("answer_id"),
            sa.literal_column("'code'", sa.String).label("role"),
            sa.func.count(Order.id),
            sa.func.coalesce(sa.func.sum(kept), 0),
        )
        .join(Order, Order.promotion_id == Promotion.id)
        .where(Promotion.answer_id.is_not(None), paid, in_period)
        .group_by(Promotion.answer_id)
    )
    if since is not None:
        stats = stats.where(AnswerDailyStats.day >= since)
    counters = {row[0]: row[1:] for row in db.session.execute(stats)}
    money: dict[int, dict[str, tuple[int, int]]] = {}
    # union_all's typing loses the column types; these are (answer id, role, orders, kept).
    sales = cast(
        "list[tuple[int, str, int, int]]",
        db.session.execute(sa.union_all(credited, by_code)).all(),
    )
    for answer_id, role, n, revenue in sales:
        money.setdefault(answer_id, {})[role] = (int(n), int(revenue))
    ids = set(counters) | set(money)
    if not ids:
        return []
    answers = db.session.execute(
        sa.select(Answer.id, Answer.slug, Answer.question).where(Answer.id.in_(ids))
    ).all()
    rows = []
    for answer_id, slug, question in answers:
        views, clicks, adds = counters.get(answer_id, (0, 0, 0))
        source = money.get(answer_id, {}).get("source", (0, 0))
        assist = money.get(answer_id, {}).get("assist", (0, 0))
        code = money.get(answer_id, {}).get("code", (0, 0))
        rows.append(
            AnswerFigures(
                answer_id, slug, question, int(views or 0), int(clicks or 0), int(adds or 0),
                source[0], assist[0], source[1], code[1],
            )
        )  # fmt: skip
    return sorted(rows, key=lambda r: (-r.revenue, -r.orders, -r.views, r.slug))


def report_rows(currency: str, since: date | None = None) -> Iterator[list[str]]:
    """The answers report as CSV rows, header first."""
    yield list(REPORT_HEADER)
    for r in answer_figures(since):
        yield [
            r.slug, r.question, str(r.views), str(r.product_clicks), str(r.add_to_carts),
            str(r.orders), str(r.assisted_orders), format_major(r.revenue, currency),
            format_major(r.code_revenue, currency), currency,
        ]  # fmt: skip
