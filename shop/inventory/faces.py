"""When a stock change changes a public page: only when the words it shows change.

Public pages show stock as words: per size ("In stock", "Only 3 left", "Sold out", which
also decide whether a size can be chosen and the JSON-LD availability) and per product (the
same words for all its sizes together, on product cards). Most holds and sales change none
of them: 40 in stock becoming 39 reads "In stock" before and after. So a stock change does
not move the page cache's version by itself; the inventory services note the sizes they
changed (`note_stock_change`) and, before the unit of work commits, `stock_faces_changed`
compares each touched product's words now with the words its pages were last built from
(`StockFace`), stores the new ones, and moves the version on only when some differ.

Exact across processes and machines: the check runs in the committing transaction with the
products' face rows locked (taken all at once, in product-id order, at commit time, so two
commits cannot deadlock on them), and reads stock with that lock held. Two transactions
changing the same product's stock therefore decide one after the other, and the later sees
the earlier's committed stock: whatever the last commit leaves is what the stored words say,
and any difference from the words the cached pages were built from moved the version on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shop.catalog.models import Variant
from shop.core.models import conflict_insert
from shop.core.pagecache import pending
from shop.core.templating import availability
from shop.extensions import db
from shop.inventory.models import StockFace, StockRecord

NOTE = "stock"
CHUNK = 500


def note_stock_change(variant_ids: Iterable[int]) -> None:
    """Remember that these sizes' available stock changed in this unit of work."""
    pending(db.session()).setdefault(NOTE, set()).update(variant_ids)


def _faces(session: Session, product_ids: list[int]) -> dict[int, str]:
    """Build each product's stock words as its public pages show them now."""
    available = StockRecord.on_hand - StockRecord.allocated
    rows = session.execute(
        sa.select(Variant.product_id, Variant.id, available)
        .join(StockRecord, StockRecord.variant_id == Variant.id)
        .where(Variant.product_id.in_(product_ids))
        .order_by(Variant.product_id, Variant.id)
    )
    sizes: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for product_id, variant_id, units in rows:
        sizes[product_id].append((variant_id, int(units)))
    faces = {}
    for product_id in product_ids:
        found = sizes.get(product_id, [])
        total = sum(max(units, 0) for _, units in found)
        words = [f"{variant_id}:{availability(units)[0]}" for variant_id, units in found]
        faces[product_id] = "|".join([availability(total)[0], *words])
    return faces


def stock_faces_changed(session: Session) -> bool:
    """Store the stock words of every product touched in this unit of work; True if any
    changed (the page cache's commit check, run just before the commit)."""
    touched = sorted(pending(session).pop(NOTE, None) or ())
    product_ids: set[int] = set()
    for part in _chunks(touched):
        product_ids.update(
            session.scalars(sa.select(Variant.product_id).where(Variant.id.in_(part)))
        )
    # In product-id order, chunk after chunk: every commit locks faces in the same order.
    moved = [_store_faces(session, part) for part in _chunks(sorted(product_ids))]
    return any(moved)


def _chunks(ids: list[int]) -> list[list[int]]:
    # A bulk import touches thousands of sizes; SQLite takes at most 32,766 parameters.
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _store_faces(session: Session, product_ids: list[int]) -> bool:
    session.execute(
        conflict_insert(session.get_bind().dialect, StockFace)
        .values([{"product_id": pid, "face": None} for pid in product_ids])
        .on_conflict_do_nothing(index_elements=[StockFace.product_id])
    )
    rows = session.execute(
        sa.select(StockFace.product_id, StockFace.face)
        .where(StockFace.product_id.in_(product_ids))
        .order_by(StockFace.product_id)
        .with_for_update()
    )
    stored: dict[int, str | None] = {row[0]: row[1] for row in rows}
    now = _faces(session, product_ids)
    moved = [pid for pid in product_ids if stored.get(pid) != now[pid]]
    for product_id in moved:
        session.execute(
            sa.update(StockFace)
            .where(StockFace.product_id == product_id)
            .values(face=now[product_id])
            .execution_options(synchronize_session=False)
        )
    return bool(moved)
