"""Tie-in writes: links, per-answer counters, and crediting orders to answers.

Counting views must not slow the answer page: counts are gathered in the process and
written in one statement per answer and day, after the response has gone out, every
ANSWER_STATS_FLUSH_EVERY counts or ANSWER_STATS_FLUSH_SECONDS seconds. A crash loses
at most those few uncounted views; an order's credit is written with the order itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import cast

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shop.core.errors import DomainError
from shop.core.models import utcnow
from shop.editorial.models import Answer
from shop.extensions import db
from shop.links.models import AnswerDailyStats, AnswerProductLink, OrderAttribution

logger = logging.getLogger("shop.links")
COUNTERS = ("views", "product_clicks", "add_to_carts")
EXTENSION_KEY = "shop.answer_stats"


class LinkError(DomainError):
    """A link change was refused."""


class StatsBuffer:
    """Counts per (answer, day, counter), written to the database in batches."""

    def __init__(self, engine: sa.Engine, every: int, seconds: float) -> None:
        self._engine = engine
        self._every = every
        self._seconds = seconds
        self._counts: Counter[tuple[int, date, str]] = Counter()
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    def add(self, answer_id: int, counter: str, n: int = 1) -> bool:
        """Count; return whether a flush is due."""
        with self._lock:
            self._counts[(answer_id, utcnow().date(), counter)] += n
            pending = sum(self._counts.values())
            return pending >= self._every or time.monotonic() - self._last_flush >= self._seconds

    def flush(self) -> None:
        """Write what has been counted (one upsert per answer and day)."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            self._last_flush = time.monotonic()
        if not counts:
            return
        rows: dict[tuple[int, date], dict[str, int]] = {}
        for (answer_id, day, counter), n in counts.items():
            rows.setdefault((answer_id, day), dict.fromkeys(COUNTERS, 0))[counter] += n
        try:
            with self._engine.begin() as conn:
                insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
                table = cast(sa.Table, AnswerDailyStats.__table__)
                for (answer_id, day), values in sorted(rows.items()):
                    stmt = insert(table).values(answer_id=answer_id, day=day, **values)
                    conn.execute(
                        stmt.on_conflict_do_update(
                            index_elements=[table.c.answer_id, table.c.day],
                            set_={c: table.c[c] + stmt.excluded[c] for c in COUNTERS},
                        )
                    )
        except sa.exc.SQLAlchemyError:
            # Analytics must never break a page; these counts are lost, and said so.
            logger.warning("could not write %d answer counts", sum(counts.values()), exc_info=True)


def init_stats(app: Flask) -> None:
    """Give the app its counter buffer (flushed after responses, and at exit by workers)."""
    with app.app_context():
        engine = db.engine
    app.extensions[EXTENSION_KEY] = StatsBuffer(
        engine,
        every=int(app.config["ANSWER_STATS_FLUSH_EVERY"]),
        seconds=float(app.config["ANSWER_STATS_FLUSH_SECONDS"]),
    )


def stats_buffer() -> StatsBuffer:
    """The current app's counter buffer."""
    found: StatsBuffer = current_app.extensions[EXTENSION_KEY]
    return found


def count(answer_id: int, counter: str) -> bool:
    """Count one view, product click or add-to-cart; return whether a flush is due."""
    if counter not in COUNTERS:
        raise ValueError(counter)
    return stats_buffer().add(answer_id, counter)


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


def link_product(
    answer_id: int, product_id: int, note: str = "", caution: str = "", position: int | None = None
) -> AnswerProductLink:
    """Recommend a product in an answer (one link per pair; placed last unless told)."""
    exists = db.session.scalar(
        sa.select(AnswerProductLink).where(
            AnswerProductLink.answer_id == answer_id, AnswerProductLink.product_id == product_id
        )
    )
    if exists is not None:
        raise LinkError("This answer already recommends that product.")
    if position is None:
        position = 1 + (
            db.session.scalar(
                sa.select(sa.func.max(AnswerProductLink.position)).where(
                    AnswerProductLink.answer_id == answer_id
                )
            )
            or -1
        )
    link = AnswerProductLink(
        answer_id=answer_id,
        product_id=product_id,
        position=position,
        note=note.strip()[:600],
        caution=caution.strip()[:300],
    )
    db.session.add(link)
    db.session.flush()
    return link


def source_answer_slug(order_id: int) -> str | None:
    """The slug of the answer an order is credited to, if any."""
    return db.session.scalar(
        sa.select(Answer.slug)
        .join(OrderAttribution, OrderAttribution.answer_id == Answer.id)
        .where(OrderAttribution.order_id == order_id, OrderAttribution.role == "source")
    )
