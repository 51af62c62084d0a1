"""Per-answer counters: views, product clicks and add-to-carts.

Counting views must not slow the answer page: counts are gathered in the process and
written in one statement per answer and day, after the response has gone out, every
ANSWER_STATS_FLUSH_EVERY counts or ANSWER_STATS_FLUSH_SECONDS seconds. A crash loses
at most those few uncounted views.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from datetime import date
from typing import cast

import sqlalchemy as sa
from flask import Flask, current_app

from shop.core.models import conflict_insert, utcnow
from shop.extensions import db
from shop.links.attribution import listen_to_orders
from shop.links.models import AnswerDailyStats

logger = logging.getLogger("shop.links")
COUNTERS = ("views", "product_clicks", "add_to_carts")
EXTENSION_KEY = "shop.answer_stats"


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
                table = cast(sa.Table, AnswerDailyStats.__table__)
                for (answer_id, day), values in sorted(rows.items()):
                    stmt = conflict_insert(conn.dialect, table).values(
                        answer_id=answer_id, day=day, **values
                    )
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
    """Give the app its counter buffer (flushed after responses, and at exit by workers).

    Also the links' setup: attribution answers the orders export's question.
    """
    with app.app_context():
        engine = db.engine
    app.extensions[EXTENSION_KEY] = StatsBuffer(
        engine,
        every=int(app.config["ANSWER_STATS_FLUSH_EVERY"]),
        seconds=float(app.config["ANSWER_STATS_FLUSH_SECONDS"]),
    )
    listen_to_orders()


def stats_buffer() -> StatsBuffer:
    """The current app's counter buffer."""
    found: StatsBuffer = current_app.extensions[EXTENSION_KEY]
    return found


def count(answer_id: int, counter: str) -> bool:
    """Count one view, product click or add-to-cart; return whether a flush is due."""
    if counter not in COUNTERS:
        raise ValueError(counter)
    return stats_buffer().add(answer_id, counter)
