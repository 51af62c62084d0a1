"""Checking the stock ledger: every change to stock on hand is an adjustment row."""

from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from shop.inventory.models import StockAdjustment, StockRecord


def off_the_ledger(db: SQLAlchemy) -> list[tuple[int, int, int]]:
    """(variant id, on hand, sum of its adjustments) for each record the two disagree on."""
    ledger = dict(
        db.session.execute(
            sa.select(StockAdjustment.variant_id, sa.func.sum(StockAdjustment.delta)).group_by(
                StockAdjustment.variant_id
            )
        ).all()
    )
    return [
        (record.variant_id, record.on_hand, ledger.get(record.variant_id, 0))
        for record in db.session.scalars(sa.select(StockRecord).order_by(StockRecord.variant_id))
        if ledger.get(record.variant_id, 0) != record.on_hand
    ]


def stock_figures(db: SQLAlchemy, variant_id: int) -> tuple[int, int]:
    """(on hand, held by checkouts) of one size, read in a transaction that ends at once
    (an open one would hold SQLite's lock a live server needs)."""
    db.session.expire_all()
    record = db.session.get(StockRecord, variant_id)
    assert record is not None
    figures = (record.on_hand, record.allocated)
    db.session.rollback()
    return figures
