"""Stock changes. Nothing else writes `stock_records`.

Every change is a conditional UPDATE that the database checks atomically, so two
requests can never take the stock below zero or below what open checkouts hold;
each change to on-hand stock is recorded as a `StockAdjustment` with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from shop.extensions import db
from shop.inventory.exceptions import OutOfStock, StockError
from shop.inventory.faces import note_stock_change
from shop.inventory.models import StockAdjustment, StockRecord

# Why on-hand stock changed; the admin and CLI offer these words.
ADJUSTMENT_REASONS = ("initial", "import", "restock", "correction", "damaged", "returned", "sold")


def create_stock_record(variant_id: int, on_hand: int = 0, reason: str = "initial") -> StockRecord:
    """Give a new variant its stock record, recording the opening stock."""
    if on_hand < 0:
        raise StockError("Stock on hand cannot be negative.")
    record = StockRecord(variant_id=variant_id, on_hand=on_hand, allocated=0)
    db.session.add(record)
    if on_hand:
        db.session.add(
            StockAdjustment(
                variant_id=variant_id, delta=on_hand, on_hand_after=on_hand, reason=reason
            )
        )
    note_stock_change([variant_id])  # its product's stock words are known from the start
    db.session.flush()
    return record


def adjust_on_hand(variant_id: int, delta: int, reason: str, note: str = "") -> int:
    """Add `delta` (may be negative) to on-hand stock and return the new figure."""
    if reason not in ADJUSTMENT_REASONS:
        raise StockError(f"Unknown stock adjustment reason {reason!r}.")
    if delta == 0:
        raise StockError("A stock adjustment must change the stock.")
    # One conditional UPDATE: the WHERE clause keeps on_hand >= allocated even when
    # another request changes the same row at the same moment.
    new_on_hand = db.session.execute(
        sa.update(StockRecord)
        .where(
            StockRecord.variant_id == variant_id,
            StockRecord.on_hand + delta >= StockRecord.allocated,
        )
        .values(on_hand=StockRecord.on_hand + delta)
        .returning(StockRecord.on_hand)
    ).scalar_one_or_none()
    if new_on_hand is None:
        record = db.session.get(StockRecord, variant_id)
        if record is None:
            raise StockError("This variant has no stock record.")
        raise StockError(
            f"Cannot take {-delta} off: {record.on_hand} on hand, "
            f"{record.allocated} held by checkouts."
        )
    db.session.add(
        StockAdjustment(
            variant_id=variant_id, delta=delta, on_hand_after=new_on_hand, reason=reason, note=note
        )
    )
    note_stock_change([variant_id])
    db.session.flush()
    return int(new_on_hand)


def set_on_hand(variant_id: int, target: int, reason: str, note: str = "") -> int:
    """Bring on-hand stock to `target` by recording the difference; no-op when equal."""
    if target < 0:
        raise StockError("Stock on hand cannot be negative.")
    record = db.session.get(StockRecord, variant_id, with_for_update=True)
    if record is None:
        raise StockError("This variant has no stock record.")
    if record.on_hand == target:
        return target
    return adjust_on_hand(variant_id, target - record.on_hand, reason, note)


def create_stock_records(opening: list[tuple[int, int]], reason: str = "initial") -> None:
    """Give many new variants their stock records at once: (variant id, on hand) pairs."""
    if any(on_hand < 0 for _, on_hand in opening):
        raise StockError("Stock on hand cannot be negative.")
    if not opening:
        return
    db.session.execute(
        sa.insert(StockRecord),
        [{"variant_id": vid, "on_hand": on_hand, "allocated": 0} for vid, on_hand in opening],
    )
    adjustments = [
        {
            "variant_id": vid,
            "delta": on_hand,
            "on_hand_after": on_hand,
            "reason": reason,
            "note": "",
        }
        for vid, on_hand in opening
        if on_hand
    ]
    if adjustments:
        db.session.execute(sa.insert(StockAdjustment), adjustments)
    note_stock_change(vid for vid, _ in opening)


# --- Reservations for checkouts ---------------------------------------------------------
#
# A checkout holds units by raising `allocated`; payment turns the hold into a sale (both
# on_hand and allocated go down); an expired or failed checkout gives the hold back.
# Rows are always changed in ascending variant-id order, so two checkouts sharing variants
# take their row locks in the same order and can never deadlock. Each change is one
# conditional UPDATE, so stock can never be oversold, even by concurrent requests.


def _in_lock_order(quantities: dict[int, int]) -> list[tuple[int, int]]:
    return sorted((vid, qty) for vid, qty in quantities.items() if qty > 0)


def allocate_stock(quantities: dict[int, int]) -> None:
    """Hold units for a checkout ({variant id: quantity}); all or nothing.

    Raises `OutOfStock` naming the first variant that cannot be held; the caller rolls back.
    """
    for variant_id, qty in _in_lock_order(quantities):
        held = db.session.execute(
            sa.update(StockRecord)
            .where(
                StockRecord.variant_id == variant_id,
                StockRecord.on_hand - StockRecord.allocated >= qty,
            )
            .values(allocated=StockRecord.allocated + qty)
            .execution_options(synchronize_session=False)
        )
        if held.rowcount != 1:  # type: ignore[attr-defined]
            raise OutOfStock(variant_id)
    note_stock_change(quantities)
    db.session.flush()


def release_stock(quantities: dict[int, int]) -> None:
    """Give back units a checkout held (it expired, failed or was cancelled)."""
    for variant_id, qty in _in_lock_order(quantities):
        db.session.execute(
            sa.update(StockRecord)
            .where(StockRecord.variant_id == variant_id, StockRecord.allocated >= qty)
            .values(allocated=StockRecord.allocated - qty)
            .execution_options(synchronize_session=False)
        )
    note_stock_change(quantities)
    db.session.flush()


def consume_stock(quantities: dict[int, int], note: str = "") -> None:
    """Turn held units into a sale: they leave on_hand and allocated, recorded as "sold".

    What can be bought does not change (the hold already took it), so no page does either.
    """
    for variant_id, qty in _in_lock_order(quantities):
        new_on_hand = db.session.execute(
            sa.update(StockRecord)
            .where(
                StockRecord.variant_id == variant_id,
                StockRecord.allocated >= qty,
                StockRecord.on_hand >= qty,
            )
            .values(on_hand=StockRecord.on_hand - qty, allocated=StockRecord.allocated - qty)
            .returning(StockRecord.on_hand)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if new_on_hand is None:
            raise StockError(f"Variant {variant_id} does not hold {qty} units to sell.")
        db.session.add(
            StockAdjustment(
                variant_id=variant_id,
                delta=-qty,
                on_hand_after=new_on_hand,
                reason="sold",
                note=note,
            )
        )
    db.session.flush()


# --- Stocktake: many counted figures at once ----------------------------------------------


class StocktakeRefused(StockError):
    """Some counted figures cannot be applied; `problems` says why, per variant id."""

    def __init__(self, problems: dict[int, str]) -> None:
        n = len(problems)
        super().__init__(f"{n} row{'s' if n != 1 else ''} could not be applied; nothing changed.")
        self.problems = problems


def stocktake_problems(
    counts: Mapping[int, tuple[int, int]], lock: bool = False
) -> tuple[dict[int, str], dict[int, StockRecord]]:
    """Check counted figures {variant id: (on hand when loaded, counted)} against stock now.

    Returns the problems per variant id and the stock records read. With `lock`, the rows
    are read `FOR UPDATE` in ascending variant-id order, the order every stock change takes
    its locks in, so a stocktake and a checkout cannot deadlock.
    """
    ids = sorted(counts)
    stmt = (
        sa.select(StockRecord)
        .where(StockRecord.variant_id.in_(ids))
        .order_by(StockRecord.variant_id)
        .execution_options(populate_existing=True)
    )
    if lock:
        stmt = stmt.with_for_update()
    records = {r.variant_id: r for r in db.session.scalars(stmt)} if ids else {}
    problems: dict[int, str] = {}
    for variant_id in ids:
        loaded, counted = counts[variant_id]
        record = records.get(variant_id)
        if record is None:
            problems[variant_id] = "There is no such variant any more."
        elif record.on_hand != loaded:
            problems[variant_id] = (
                f"On hand changed since you loaded the page: now {record.on_hand}. "
                "Check the count and save again."
            )
        elif counted < 0:
            problems[variant_id] = "The count cannot be negative."
        elif counted < record.allocated:
            problems[variant_id] = (
                f"The count cannot be below the {record.allocated} units held by checkouts."
            )
    return problems, records


@dataclass(frozen=True)
class CountApplied:
    """One variant whose on-hand stock a stocktake changed."""

    variant_id: int
    before: int
    after: int


def apply_stocktake(
    counts: Mapping[int, tuple[int, int]], reason: str, note: str = ""
) -> list[CountApplied]:
    """Set many variants' on-hand stock to counted figures; all or nothing.

    `counts` is {variant id: (on hand when the counter loaded the page, counted)}. Any
    problem (stale, unknown, negative, below what checkouts hold) raises
    `StocktakeRefused` before anything changes; the caller rolls back. Counts equal to on
    hand are skipped. Each change is recorded as an adjustment with `reason`.
    """
    if reason not in ADJUSTMENT_REASONS:
        raise StockError(f"Unknown stock adjustment reason {reason!r}.")
    problems, records = stocktake_problems(counts, lock=True)
    if problems:
        raise StocktakeRefused(problems)
    applied = []
    for variant_id in sorted(counts):
        before, counted = records[variant_id].on_hand, counts[variant_id][1]
        if counted == before:
            continue
        after = set_on_hand(variant_id, counted, reason, note)
        applied.append(CountApplied(variant_id, before, after))
    return applied
