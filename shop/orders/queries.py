"""Reads of orders for exports and staff."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.core.money import format_major
from shop.core.templating import isodate
from shop.extensions import db
from shop.orders.models import Order, OrderLine, OrderStatus
from shop.orders.signals import source_answers

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
    # Added with promotions and sales tax; at the end, so a reader of the old columns by
    # position still finds them. Money as the money columns above; the code empty when none.
    "discount",
    "tax",
    "promotion_code",
)


# The staff list's sort keys and the column each sorts by.
STAFF_SORTS: dict[str, Any] = {
    "date": Order.created_at,
    "number": Order.number,
    "customer": Order.shipping_name,
    "status": Order.status,
    "total": Order.total,
}


def _staff_conditions(statuses: frozenset[OrderStatus] | None, q: str) -> list[Any]:
    """`statuses` (None: any) and `q` in the order number, email or customer name."""
    conditions: list[Any] = []
    if statuses is not None:
        conditions.append(Order.status.in_(sorted(statuses)))
    if q:
        needle = q.lower()
        conditions.append(
            sa.or_(
                sa.func.lower(Order.number).contains(needle, autoescape=True),
                sa.func.lower(Order.email).contains(needle, autoescape=True),
                sa.func.lower(Order.shipping_name).contains(needle, autoescape=True),
            )
        )
    return conditions


def export_rows(
    batch: int = 500, statuses: frozenset[OrderStatus] | None = None, q: str = ""
) -> Iterator[list[str]]:
    """Yield the orders CSV, header first, oldest order first, in batches.

    `statuses` and `q` narrow it as they narrow the staff list (default: every order).
    """
    yield list(EXPORT_HEADER)
    conditions = _staff_conditions(statuses, q)
    last_id = 0
    while True:
        orders = db.session.scalars(
            sa.select(Order)
            .where(Order.id > last_id, *conditions)
            .order_by(Order.id)
            .limit(batch)
            .options(selectinload(Order.lines))
        ).all()
        if not orders:
            return
        sources = source_answers([order.id for order in orders])
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
                format_major(order.discount, order.currency),
                format_major(order.tax, order.currency),
                order.promotion_code or "",
            ]
        last_id = orders[-1].id
        db.session.expunge_all()


def staff_order_count(statuses: frozenset[OrderStatus] | None, q: str) -> int:
    """How many orders of `statuses` (None: any) match `q`."""
    conditions = _staff_conditions(statuses, q)
    return int(
        db.session.scalar(sa.select(sa.func.count()).select_from(Order).where(*conditions)) or 0
    )


def staff_order_page(
    statuses: frozenset[OrderStatus] | None,
    q: str,
    page: int,
    per_page: int,
    sort: str = "date",
    descending: bool = True,
) -> tuple[Sequence[Any], int]:
    """One page of orders for staff and how many match in all (default: newest first).

    `q` matches part of the order number, the email or the customer's name,
    case-insensitively; `sort` is a key of `STAFF_SORTS`. Each row has id, number,
    created_at, email, customer, status, total, currency and items (units ordered).
    """
    conditions = _staff_conditions(statuses, q)
    total = staff_order_count(statuses, q)
    items = (
        sa.select(sa.func.coalesce(sa.func.sum(OrderLine.quantity), 0))
        .where(OrderLine.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
        .label("items")
    )
    column = STAFF_SORTS[sort]
    key = column.desc() if descending else column.asc()
    tie = Order.id.desc() if descending else Order.id.asc()
    rows = db.session.execute(
        sa.select(
            Order.id,
            Order.number,
            Order.created_at,
            Order.email,
            Order.shipping_name.label("customer"),
            Order.status,
            Order.total,
            Order.currency,
            items,
        )
        .where(*conditions)
        .order_by(key.nulls_last(), tie)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return rows, total
