"""Attribution: which answers an order is credited to, written with the order and read
for the staff's order page, the orders export and the reports.

The answers read in a visit are credited when checkout creates the order (the last as
its source, the rest as assists); a reader code's answer becomes the source once the
order is paid. Orders know nothing of answers: the export asks through `order_sources`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from shop.editorial.models import Answer
from shop.extensions import db
from shop.links.models import AnswerProductLink, OrderAttribution
from shop.orders.signals import order_sources


def answer_linking(answer_ids: Sequence[int], product_id: int) -> int | None:
    """Of the answers read in this visit, the latest that recommends this product."""
    if not answer_ids:
        return None
    linking = set(
        db.session.scalars(
            sa.select(AnswerProductLink.answer_id).where(
                AnswerProductLink.product_id == product_id,
                AnswerProductLink.answer_id.in_(list(answer_ids)),
            )
        )
    )
    return next((a for a in reversed(answer_ids) if a in linking), None)


def credit_order(order_id: int, answer_ids: Sequence[int]) -> int | None:
    """Record the answers read before an order: the last as its source, the rest as assists.

    Only ids of answers that exist are kept; returns the source answer id (or None).
    """
    existing = set(
        db.session.scalars(sa.select(Answer.id).where(Answer.id.in_(list(answer_ids) or [0])))
    )
    kept = [a for a in dict.fromkeys(answer_ids) if a in existing]
    if not kept:
        return None
    for answer_id in kept:
        role = "source" if answer_id == kept[-1] else "assist"
        db.session.add(OrderAttribution(order_id=order_id, answer_id=answer_id, role=role))
    db.session.flush()
    return kept[-1]


def credit_code_answer(order_id: int, answer_id: int) -> None:
    """Make a reader code's answer the source of an order that used the code.

    The code proves the reader came from that answer, whatever this visit read: the answer
    credited as source until now (if another) becomes an assist. For a code typed on
    Stripe's page, which the shop learns of only when the order is paid.
    """
    if db.session.get(Answer, answer_id) is None:
        return
    rows = {
        row.answer_id: row
        for row in db.session.scalars(
            sa.select(OrderAttribution).where(OrderAttribution.order_id == order_id)
        )
    }
    for other in rows.values():
        if other.answer_id != answer_id and other.role == "source":
            other.role = "assist"
    if answer_id in rows:
        rows[answer_id].role = "source"
    else:
        db.session.add(OrderAttribution(order_id=order_id, answer_id=answer_id, role="source"))
    db.session.flush()


def source_answer_slug(order_id: int) -> str | None:
    """The slug of the answer an order is credited to, if any."""
    return db.session.scalar(
        sa.select(Answer.slug)
        .join(OrderAttribution, OrderAttribution.answer_id == Answer.id)
        .where(OrderAttribution.order_id == order_id, OrderAttribution.role == "source")
    )


def source_answer_slugs(_sender: object, *, order_ids: Sequence[int]) -> dict[int, str]:
    """Map each of these orders credited to an answer to that answer's slug (the source)."""
    rows = db.session.execute(
        sa.select(OrderAttribution.order_id, Answer.slug)
        .join(Answer, Answer.id == OrderAttribution.answer_id)
        .where(
            OrderAttribution.role == "source",
            OrderAttribution.order_id.in_(list(order_ids)),
        )
    )
    return {row.order_id: row.slug for row in rows}


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


def listen_to_orders() -> None:
    """Connect attribution's receivers to the orders' signals (again: no-op)."""
    order_sources.connect(source_answer_slugs)
