"""`flask --app shop orders export`: one row per order, in the staff's terms."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.orders.services import LineSnapshot, PaymentFacts, create_pending_order, fulfil_checkout
from tests.factories import make_product


def test_export_lists_every_order_with_money_times_and_lines(
    db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    variant = make_product("Night Cream", variants=[("50 ml", 4200, 9)]).variants[0]
    paid = create_pending_order(
        [LineSnapshot(variant.id, "Night Cream", "50 ml", variant.sku, 4200, 2)], "USD", None
    )
    fulfil_checkout(
        paid,
        PaymentFacts("cs_1", True, "complete", "paid", paid.total, "USD", email="a@example.com"),
    )
    pending = create_pending_order(
        [LineSnapshot(variant.id, "Night Cream", "50 ml", variant.sku, 4200, 1)], "USD", None
    )
    db.session.commit()
    sku, numbers = variant.sku, (paid.number, pending.number)

    out = tmp_path / "orders.csv"
    result = runner.invoke(args=["orders", "export", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == [
        "order_number", "status", "email", "subtotal", "shipping", "total", "currency",
        "created_at", "paid_at", "lines", "answer", "discount", "tax", "promotion_code",
    ]  # fmt: skip
    assert [(r["order_number"], r["status"]) for r in rows] == [
        (numbers[0], "paid"),
        (numbers[1], "pending"),
    ]
    first = rows[0]
    assert (first["subtotal"], first["shipping"], first["total"]) == ("84.00", "0.00", "84.00")
    assert first["email"] == "a@example.com"
    assert first["paid_at"].endswith("Z")
    assert rows[1]["paid_at"] == ""
    assert first["lines"] == f"2 x {sku} (Night Cream)"
    assert first["answer"] == ""
