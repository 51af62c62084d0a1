"""Reads of orders for exports and staff."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.core.money import format_major
from shop.core.templating import isodate
from shop.editorial.models import Answer
from shop.extensions import db
from shop.links.models import OrderAttribution
from shop.orders.models import Order, OrderLine, OrderStatus

EXPORT_HEADER = (
    "order_number",
    "status",
    "email",
    "subtotal",
    "shipping",
    "total",
    "currency",
    "created_at",
    "paid_at",
    "lines",
    "answer",
)


@dataclass(frozen=True)
class CreditedAnswer:
    """An answer read before an order: its source ("source") or one that helped ("assist")."""

    role: str
    slug: str
    question: str


def credited_answers(order_id: int) -> list[CreditedAnswer]:
    """Return the answers an order is credited to: the source first, then the assists."""
    rows = db.session.execute(
        sa.select(OrderAttribution.role, Answer.slug, Answer.question)
        .join(Answer, Answer.id == OrderAttribution.answer_id)
        .where(OrderAttribution.order_id == order_id)
        .order_by(sa.case((OrderAttribution.role == "source", 0), else_=1), OrderAttribution.id)
    )
    return [CreditedAnswer(row.role, row.slug, row.question) for row in rows]


def export_rows(batch: int = 500) -> Iterator[list[str]]:
    """Yield the orders CSV, header first, oldest order first, in batches."""
    yield list(EXPORT_HEADER)
    credited = db.session.execute(
        sa.select(OrderAttribution.order_id, Answer.slug)
        .join(Answer, Answer.id == OrderAttribution.answer_id)
        .where(OrderAttribution.role == "source")
    )
    sources: dict[int, str] = {row.order_id: row.slug for row in credited}
    last_id = 0
    while True:
        orders = db.session.scalars(
            sa.select(Order)
            .where(Order.id > last_id)
            .order_by(Order.id)
            .limit(batch)
            .options(selectinload(Order.lines))
        ).all()
        if not orders:
            return
        for order in orders:
            yield [
                order.number or str(order.id),
                order.status.value,
                order.email or "",
                format_major(order.subtotal, order.currency),
                format_major(order.shipping, order.currency),
                format_major(order.total, order.currency),
                order.currency,
                isodate(order.created_at),
                isodate(order.paid_at),
                "; ".join(
                    f"{line.quantity} x {line.sku} ({line.product_name})" for line in order.lines
                ),
                sources.get(order.id, ""),  # the answer the sale is credited to
            ]
        last_id = orders[-1].id
        db.session.expunge_all()


def staff_order_page(
    status: OrderStatus | None, q: str, page: int, per_page: int
) -> tuple[Sequence[Any], int]:
    """One page of orders for staff, newest first, and how many match in all.

    `q` matches part of the order number or the email, case-insensitively; each row has
    id, number, created_at, email, status, total, currency and items (units ordered).
    """
    conditions: list[Any] = []
    if status is not None:
        conditions.append(Order.status == status)
    if q:
        needle = q.lower()
        conditions.append(
            sa.or_(
                sa.func.lower(Order.number).contains(needle, autoescape=True),
                sa.func.lower(Order.email).contains(needle, autoescape=True),
            )
        )
    total = int(
        db.session.scalar(sa.select(sa.func.count()).select_from(Order).where(*conditions)) or 0
    )
    items = (
        sa.select(sa.func.coalesce(sa.func.sum(OrderLine.quantity), 0))
        .where(OrderLine.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
        .label("items")
    )
    rows = db.session.execute(
        sa.select(
            Order.id,
            Order.number,
            Order.created_at,
            Order.email,
            Order.status,
            Order.total,
            Order.currency,
            items,
        )
        .where(*conditions)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return rows, total
