"""Stock changes are recorded with a reason and can never go below what is held."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from shop.inventory.exceptions import StockError
from shop.inventory.models import StockAdjustment, StockRecord
from shop.inventory.services import adjust_on_hand, set_on_hand
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
