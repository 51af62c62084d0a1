"""The orders export (`flask --app shop orders export` and the staff's /admin/orders/export.csv)
carries each order's discount, tax and promotion code after the columns it always had."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from tests.fixtures_staff import sign_in
from tests.orders.making import paid_order

OLD_COLUMNS = [
    "order_number", "status", "email", "subtotal", "shipping", "total", "currency",
    "created_at", "paid_at", "lines", "answer",
]  # fmt: skip


def _two_orders(db: SQLAlchemy) -> tuple[str, str]:
    """One paid with SPRING10 and tax, one without either; their numbers."""
    coded = paid_order(db, email="ann@example.com")
    coded.discount, coded.promotion_code, coded.tax = 680, "SPRING10", 505
    coded.total = coded.subtotal - 680 + coded.shipping + 505
    plain = paid_order(db, email="bob@example.com")
    db.session.commit()
    return coded.number or "", plain.number or ""


def _check(rows: list[list[str]], coded: str, plain: str) -> None:
    assert rows[0] == [*OLD_COLUMNS, "discount", "tax", "promotion_code"]
    by_number = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    first, second = by_number[coded], by_number[plain]
    assert (first["subtotal"], first["shipping"], first["total"]) == ("68.00", "6.95", "73.20")
    assert (first["discount"], first["tax"], first["promotion_code"]) == (
        "6.80",
        "5.05",
        "SPRING10",
    )
    assert (second["total"], second["discount"], second["tax"]) == ("74.95", "0.00", "0.00")
    assert second["promotion_code"] == ""


def test_the_cli_export_has_discount_tax_and_code(
    db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    coded, plain = _two_orders(db)
    out = tmp_path / "orders.csv"
    result = runner.invoke(args=["orders", "export", "--output", str(out)])
    assert result.exit_code == 0, result.output
    _check(list(csv.reader(io.StringIO(out.read_text(encoding="utf-8")))), coded, plain)


def test_the_staff_download_has_discount_tax_and_code(
    client: FlaskClient, db: SQLAlchemy, make_staff: Callable[..., StaffUser]
) -> None:
    coded, plain = _two_orders(db)
    make_staff("fred@example.com", StaffRole.FULFILMENT)
    assert sign_in(client, "fred@example.com")[0] == 303
    response = client.get("/admin/orders/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    _check(list(csv.reader(io.StringIO(response.get_data(as_text=True)))), coded, plain)
