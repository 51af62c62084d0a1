"""Stock changes are recorded with a reason and can never go below what is held."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from shop.inventory.exceptions import OutOfStock, StockError
from shop.inventory.models import StockAdjustment, StockRecord
from shop.inventory.services import (
    adjust_on_hand,
    allocate_stock,
    consume_stock,
    release_stock,
    set_on_hand,
)
from tests.factories import make_product


def _history(db: SQLAlchemy, variant_id: int) -> list[tuple[int, int, str]]:
    rows = db.session.execute(
        sa.select(StockAdjustment.delta, StockAdjustment.on_hand_after, StockAdjustment.reason)
        .where(StockAdjustment.variant_id == variant_id)
        .order_by(StockAdjustment.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_adjustments_change_stock_and_are_recorded(db: SQLAlchemy) -> None:
    variant = make_product(variants=[("50 ml", 2000, 10)]).variants[0]
    assert adjust_on_hand(variant.id, 5, "restock") == 15
    assert adjust_on_hand(variant.id, -3, "damaged", note="dropped") == 12
    db.session.commit()
    assert db.session.get(StockRecord, variant.id).on_hand == 12  # type: ignore[union-attr]
    assert _history(db, variant.id) == [
        (10, 10, "initial"),
        (5, 15, "restock"),
        (-3, 12, "damaged"),
    ]


def test_stock_cannot_drop_below_what_checkouts_hold(db: SQLAlchemy) -> None:
    variant = make_product(variants=[("50 ml", 2000, 10)]).variants[0]
    db.session.execute(
        sa.update(StockRecord).where(StockRecord.variant_id == variant.id).values(allocated=4)
    )
    with pytest.raises(StockError, match="4 held by checkouts"):
        adjust_on_hand(variant.id, -7, "correction")
    assert adjust_on_hand(variant.id, -6, "correction") == 4


def test_set_on_hand_records_only_real_changes(db: SQLAlchemy) -> None:
    variant = make_product(variants=[("50 ml", 2000, 10)]).variants[0]
    assert set_on_hand(variant.id, 10, "import") == 10
    assert set_on_hand(variant.id, 7, "import") == 7
    assert _history(db, variant.id) == [(10, 10, "initial"), (-3, 7, "import")]


@pytest.mark.parametrize(("delta", "reason"), [(0, "restock"), (5, "because")])
def test_meaningless_adjustments_are_refused(db: SQLAlchemy, delta: int, reason: str) -> None:
    variant = make_product().variants[0]
    with pytest.raises(StockError):
        adjust_on_hand(variant.id, delta, reason)


def _stock(db: SQLAlchemy, variant_id: int) -> tuple[int, int]:
    db.session.expire_all()
    record = db.session.get(StockRecord, variant_id)
    assert record is not None
    return record.on_hand, record.allocated


def test_holds_are_all_or_nothing_and_never_oversell(db: SQLAlchemy) -> None:
    a = make_product(variants=[("50 ml", 2000, 3)]).variants[0]
    b = make_product(variants=[("50 ml", 2000, 1)]).variants[0]
    db.session.commit()
    allocate_stock({a.id: 2, b.id: 1})
    db.session.commit()
    assert _stock(db, a.id) == (3, 2)
    with pytest.raises(OutOfStock) as refused:
        allocate_stock({a.id: 1, b.id: 1})  # b has nothing left to hold
    assert refused.value.variant_id == b.id
    db.session.rollback()
    assert _stock(db, a.id) == (3, 2)  # the second, partial hold on `a` was rolled back


def test_release_gives_units_back_and_consume_sells_them(db: SQLAlchemy) -> None:
    variant = make_product(variants=[("50 ml", 2000, 5)]).variants[0]
    allocate_stock({variant.id: 3})
    release_stock({variant.id: 1})
    assert _stock(db, variant.id) == (5, 2)
    consume_stock({variant.id: 2}, note="order DH-1")
    assert _stock(db, variant.id) == (3, 0)
    assert _history(db, variant.id)[-1] == (-2, 3, "sold")
    with pytest.raises(StockError):
        consume_stock({variant.id: 1})  # nothing is held any more
