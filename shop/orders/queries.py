"""Reads of orders for exports and staff."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.core.money import format_major
from shop.core.templating import isodate
from shop.editorial.models import Answer
from shop.extensions import db
from shop.links.models import OrderAttribution
from shop.orders.models import Order

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
