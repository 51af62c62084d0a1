"""A product's Stripe tax code in the catalogue CSV: exported, imported back unchanged, set,
cleared to the shop default with a blank cell, and a malformed one refused with the column named."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import Product
from tests.catalog.test_transfer import export, run_import, snapshot, to_csv
from tests.factories import make_brand, make_category, make_product

SUNSCREEN = "txcd_00000000"  # Stripe's "Nontaxable": a code other than the shop default


@pytest.fixture
def two_products(db: SQLAlchemy) -> None:
    """A sunscreen with its own tax code (two sizes) and a cream on the shop default."""
    brand, category = make_brand("Calm Botanics", "calm-botanics"), make_category("Care", "care")
    sun = make_product(
        "Daily Sunscreen", slug="daily-sunscreen", brand=brand, category=category,
        variants=[("50 ml", 2400, 5), ("100 ml", 3900, 5)],
    )  # fmt: skip
    sun.tax_code = SUNSCREEN
    sun.variants[0].sku, sun.variants[1].sku = "SUN-50", "SUN-100"
    cream = make_product(
        "Barrier Cream", slug="barrier-cream", brand=brand, category=category,
        variants=[("50 ml", 3200, 5)],
    )  # fmt: skip
    cream.variants[0].sku = "BC-50"
    db.session.commit()


def _rows(runner: FlaskCliRunner) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export(runner))))


def _tax_codes(db: SQLAlchemy) -> dict[str, str | None]:
    db.session.expire_all()
    codes: dict[str, str | None] = {}
    for slug, code in db.session.execute(sa.select(Product.slug, Product.tax_code)):
        codes[slug] = code
    return codes


@pytest.mark.usefixtures("two_products")
def test_the_export_has_each_products_tax_code_and_blank_for_the_default(
    runner: FlaskCliRunner,
) -> None:
    rows = _rows(runner)
    assert export(runner).splitlines()[0].endswith(",stock_allocated,tax_code")
    assert {(r["sku"], r["tax_code"]) for r in rows} == {
        ("SUN-50", SUNSCREEN), ("SUN-100", SUNSCREEN), ("BC-50", ""),
    }  # fmt: skip


@pytest.mark.usefixtures("two_products")
def test_an_unedited_export_imports_back_changing_nothing(
    db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    before = snapshot(db)
    result = run_import(runner, tmp_path, export(runner).encode())
    assert result.exit_code == 0, result.output
    assert "0 products created, 0 updated" in result.stdout
    assert snapshot(db) == before


@pytest.mark.usefixtures("two_products")
def test_an_import_sets_a_code_and_a_blank_cell_goes_back_to_the_default(
    db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    rows = list(csv.reader(io.StringIO(export(runner))))
    column = rows[0].index("tax_code")
    for row in rows[1:]:
        row[column] = "" if row[1] == "daily-sunscreen" else "txcd_99999999"
    result = run_import(runner, tmp_path, to_csv(rows))
    assert result.exit_code == 0, result.output
    assert "2 updated" in result.stdout
    assert _tax_codes(db) == {"daily-sunscreen": None, "barrier-cream": "txcd_99999999"}

    # Back again, and a file without the column leaves the codes as they are.
    assert run_import(runner, tmp_path, export(runner).encode()).exit_code == 0
    without = [row[:column] for row in rows]
    for row in without[1:]:
        row[column - 1] = ""  # stock_allocated, ignored anyway
    assert run_import(runner, tmp_path, to_csv(without)).exit_code == 0
    assert _tax_codes(db) == {"daily-sunscreen": None, "barrier-cream": "txcd_99999999"}


@pytest.mark.usefixtures("two_products")
@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("txcd_123", "line 2: tax_code 'txcd_123' is not a Stripe product tax code"),
        ("TXCD_99999999", "line 2: tax_code 'TXCD_99999999' is not a Stripe product tax code"),
        ("99999999", "line 2: tax_code '99999999' is not a Stripe product tax code"),
        ("txcd_9999999x", "line 2: tax_code 'txcd_9999999x' is not a Stripe product tax code"),
        ("txcd_\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", "line 2: tax_code 'txcd_"),
    ],
)
def test_a_malformed_tax_code_refuses_the_file_naming_the_column(
    db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path, code: str, problem: str
) -> None:
    before = snapshot(db)
    rows = list(csv.reader(io.StringIO(export(runner))))
    assert rows[1][0] == "BC-50"  # line 2
    rows[1][rows[0].index("tax_code")] = code
    result = run_import(runner, tmp_path, to_csv(rows))
    assert result.exit_code == 1
    [reason, summary] = result.stderr.splitlines()
    assert reason.startswith(problem), reason
    assert "use txcd_ and 8 digits (e.g. txcd_99999999), or leave it blank" in reason
    assert summary.endswith("nothing was changed.")
    assert snapshot(db) == before


@pytest.mark.usefixtures("two_products")
def test_the_rows_of_one_product_must_agree_on_its_tax_code(
    db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    rows = list(csv.reader(io.StringIO(export(runner))))
    column = rows[0].index("tax_code")
    [line] = [n for n, row in enumerate(rows, 1) if row[0] == "SUN-100"]
    rows[line - 1][column] = "txcd_99999999"
    result = run_import(runner, tmp_path, to_csv(rows))
    assert result.exit_code == 1
    assert f"product 'daily-sunscreen' has tax_code 'txcd_99999999' here but '{SUNSCREEN}'" in (
        result.stderr
    )
    assert _tax_codes(db)["daily-sunscreen"] == SUNSCREEN
