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
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shop.catalog.models import Product, ProductStatus
from shop.core.errors import DomainError, NotFound
from shop.core.models import utcnow
from shop.editorial.models import Answer
from shop.extensions import db
from shop.links import suggestions
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
        # coalesce, not `or`: a last position of 0 is taken, so the next one is 1.
        last = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.max(AnswerProductLink.position), -1)).where(
                AnswerProductLink.answer_id == answer_id
            )
        )
        position = 1 + int(last if last is not None else -1)
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


# The links editor: staff add, edit, reorder and remove an answer's products.
#
# Every change to one answer's links first locks the answer's row (SELECT ... FOR UPDATE
# on PostgreSQL; SQLite writes one at a time anyway), so two editors reordering the same
# answer take turns, and positions are renumbered 1..n in the doctor's order on every
# change, whatever gaps or ties older rows (the demo's 0-based ones) had.

NOTE_MAX: int = AnswerProductLink.note.type.length
CAUTION_MAX: int = AnswerProductLink.caution.type.length
DIRECTIONS = ("up", "down")


@dataclass(frozen=True)
class LinkChange:
    """What one change did to one link, as the audit log records it (None: no link)."""

    link_id: int
    answer_id: int
    product_id: int
    product_name: str
    answer_question: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    swapped_with: str | None = None  # the product a move exchanged places with

    @property
    def changed(self) -> bool:
        """True when the link is not as it was."""
        return self.before != self.after


def link_state(link: AnswerProductLink) -> dict[str, Any]:
    """A link's editable state, for audit entries."""
    return {
        "answer_id": link.answer_id,
        "product_id": link.product_id,
        "position": link.position,
        "note": link.note,
        "caution": link.caution,
    }


def _lock_answer(answer_id: int) -> str:
    """Lock an answer's row for a change to its links; return its question."""
    question = db.session.scalar(
        sa.select(Answer.question).where(Answer.id == answer_id).with_for_update()
    )
    if question is None:
        raise NotFound("There is no such answer.")
    return question


def _links_in_order(answer_id: int) -> list[AnswerProductLink]:
    return list(
        db.session.scalars(
            sa.select(AnswerProductLink)
            .where(AnswerProductLink.answer_id == answer_id)
            .order_by(AnswerProductLink.position, AnswerProductLink.id)
            .execution_options(populate_existing=True)
        )
    )


def _renumber(links: Sequence[AnswerProductLink]) -> None:
    for position, link in enumerate(links, start=1):
        if link.position != position:
            link.position = position


def _locked_link(link_id: int) -> tuple[AnswerProductLink, list[AnswerProductLink], str]:
    """The link, all its answer's links in order (renumbered) and the answer's question."""
    answer_id = db.session.scalar(
        sa.select(AnswerProductLink.answer_id).where(AnswerProductLink.id == link_id)
    )
    if answer_id is None:
        raise NotFound("That link no longer exists; it may have just been removed.")
    question = _lock_answer(answer_id)
    links = _links_in_order(answer_id)
    link = next((item for item in links if item.id == link_id), None)
    if link is None:  # removed while we waited for the lock
        raise NotFound("That link no longer exists; it may have just been removed.")
    _renumber(links)
    return link, links, question


def _check_text(note: str, caution: str) -> tuple[str, str]:
    note, caution = note.strip(), caution.strip()
    if len(note) > NOTE_MAX:
        raise LinkError(f"Keep the doctor's note to {NOTE_MAX} characters or fewer.")
    if len(caution) > CAUTION_MAX:
        raise LinkError(f"Keep the caution to {CAUTION_MAX} characters or fewer.")
    return note, caution


def _product_name(product_id: int) -> str:
    name = db.session.scalar(sa.select(Product.name).where(Product.id == product_id))
    return name or f"product #{product_id}"


def add_link(answer_id: int, product_id: int, note: str = "", caution: str = "") -> LinkChange:
    """Recommend a product in an answer, after its other products.

    Refused for a product the answer already recommends and for an archived product.
    """
    note, caution = _check_text(note, caution)
    question = _lock_answer(answer_id)
    product = db.session.execute(
        sa.select(Product.name, Product.status).where(Product.id == product_id)
    ).first()
    if product is None:
        raise NotFound("There is no such product.")
    name, status = product
    if status == ProductStatus.ARCHIVED:
        raise LinkError(f"{name} is archived: it is no longer sold, so it cannot be recommended.")
    links = _links_in_order(answer_id)
    if any(link.product_id == product_id for link in links):
        raise LinkError(f"This answer already recommends {name}.")
    _renumber(links)
    link = link_product(answer_id, product_id, note, caution, position=len(links) + 1)
    return LinkChange(link.id, answer_id, product_id, name, question, None, link_state(link))


def update_link(link_id: int, note: str, caution: str) -> LinkChange:
    """Change the doctor's note and caution beside one recommended product."""
    note, caution = _check_text(note, caution)
    link, _, question = _locked_link(link_id)
    before = link_state(link)
    link.note, link.caution = note, caution
    db.session.flush()
    name = _product_name(link.product_id)
    return LinkChange(
        link.id, link.answer_id, link.product_id, name, question, before, link_state(link)
    )


def move_link(link_id: int, direction: str) -> LinkChange:
    """Move a recommended product one place up or down (at either end: no change)."""
    if direction not in DIRECTIONS:
        raise LinkError("A product can only be moved up or down.")
    link, links, question = _locked_link(link_id)
    before = link_state(link)
    index = links.index(link)
    target = index - 1 if direction == "up" else index + 1
    swapped = None
    if 0 <= target < len(links):
        other = links[target]
        link.position, other.position = other.position, link.position
        swapped = _product_name(other.product_id)
    db.session.flush()
    name = _product_name(link.product_id)
    return LinkChange(
        link.id,
        link.answer_id,
        link.product_id,
        name,
        question,
        before,
        link_state(link),
        swapped,
    )


def unlink(link_id: int) -> LinkChange:
    """Stop recommending a product in an answer; the products after it move up."""
    link, links, question = _locked_link(link_id)
    before = link_state(link)
    name = _product_name(link.product_id)
    db.session.delete(link)
    db.session.flush()
    _renumber([item for item in links if item is not link])
    db.session.flush()
    return LinkChange(
        link_id, before["answer_id"], before["product_id"], name, question, before, None
    )


def accept_suggestion(answer_id: int, product_id: int, note: str = "") -> LinkChange:
    """Link a suggested product to the answer, after its other products."""
    return add_link(answer_id, product_id, note)


def dismiss_suggestion(answer_id: int, product_id: int) -> str:
    """Turn a suggested product down for this answer for good; return the product's name."""
    linked = db.session.scalar(
        sa.select(AnswerProductLink.id).where(
            AnswerProductLink.answer_id == answer_id, AnswerProductLink.product_id == product_id
        )
    )
    if linked is not None:
        raise LinkError("This answer recommends that product: remove the link instead.")
    suggestions.dismiss_suggestion(answer_id, product_id)
    return _product_name(product_id)
