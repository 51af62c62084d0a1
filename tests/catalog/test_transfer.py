"""Catalogue CSV export and import, through the CLI staff use and the service behind it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import Brand, Category, Product, ProductStatus, Variant
from shop.catalog.transfer import (
    EXPORT_HEADER,
    MAX_IMPORT_BYTES,
    CatalogImportError,
    import_catalog,
)
from shop.inventory.models import StockAdjustment, StockRecord
from tests.factories import make_brand, make_category, make_product

HEADER = (
    "sku,product_slug,product_name,brand,category,variant,price,currency,"
    "stock_on_hand,status,stock_allocated,tax_code"
)
# The seeded catalogue as `catalog export` shows it; index 0 is line 1 of the file.
EXPORTED = [
    HEADER.split(","),
    ["BC-50", "barrier-cream", "Barrier Cream", "Calm Botanics", "Moisturisers", "50 ml",
     "32.00", "USD", "0", "draft", "0", ""],
    ["HS-30", "hydra-serum", "Hydra Serum", "Lumière Labs", "Serums", "30 ml",
     "24.00", "USD", "10", "active", "0", ""],
    ["HS-50", "hydra-serum", "Hydra Serum", "Lumière Labs", "Serums", "50 ml",
     "38.50", "USD", "4", "active", "3", ""],
]  # fmt: skip

Rows = list[list[str]]
Snapshot = dict[str, list[tuple[Any, ...]]]


def _set_skus(product: Product, *skus: str) -> None:
    for variant, sku in zip(product.variants, skus, strict=True):
        variant.sku = sku


def _hold(db: SQLAlchemy, sku: str, units: int) -> None:
    """Stand in for an open checkout holding `units` (inventory has no allocation service yet)."""
    variant_id = db.session.scalars(sa.select(Variant.id).where(Variant.sku == sku)).one()
    db.session.execute(
        sa.update(StockRecord).where(StockRecord.variant_id == variant_id).values(allocated=units)
    )


@pytest.fixture
def catalogue(db: SQLAlchemy) -> None:
    """Two products, three variants; HS-30 is on sale from 29.00 and checkouts hold 3 of HS-50."""
    lumiere = make_brand("Lumière Labs", "lumiere-labs")
    serums = make_category("Serums", "serums")
    hydra = make_product(
        "Hydra Serum",
        slug="hydra-serum",
        brand=lumiere,
        category=serums,
        variants=[("30 ml", 2400, 10), ("50 ml", 3850, 4)],
    )
    _set_skus(hydra, "HS-30", "HS-50")
    hydra.variants[0].compare_at_price = 2900
    cream = make_product(
        "Barrier Cream",
        slug="barrier-cream",
        brand=make_brand("Calm Botanics", "calm-botanics"),
        category=make_category("Moisturisers", "moisturisers"),
        status=ProductStatus.DRAFT,
        variants=[("50 ml", 3200, 0)],
    )
    _set_skus(cream, "BC-50")
    db.session.flush()
    _hold(db, "HS-50", 3)
    # The CLI commits or rolls back its own unit of work; the seed must not ride on it.
    db.session.commit()


def snapshot(db: SQLAlchemy) -> Snapshot:
    """Every row of every table, so "nothing changed" means nothing at all."""
    db.session.expire_all()
    return {
        table.name: [
            tuple(row)
            for row in db.session.execute(sa.select(table).order_by(*table.primary_key.columns))
        ]
        for table in db.metadata.sorted_tables
    }


def to_csv(rows: Rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def export(runner: FlaskCliRunner) -> str:
    result = runner.invoke(args=["catalog", "export"])
    assert result.exit_code == 0, result.output
    return result.stdout


def run_import(runner: FlaskCliRunner, tmp_path: Path, data: bytes) -> Result:
    path = tmp_path / "catalogue.csv"
    path.write_bytes(data)
    return runner.invoke(args=["catalog", "import", str(path)])


def exported_rows() -> Rows:
    return [list(row) for row in EXPORTED]


def import_adjustments(db: SQLAlchemy) -> set[tuple[str, int, int]]:
    stmt = (
        sa.select(Variant.sku, StockAdjustment.delta, StockAdjustment.on_hand_after)
        .join(Variant, Variant.id == StockAdjustment.variant_id)
        .where(StockAdjustment.reason == "import")
    )
    return {(sku, delta, after) for sku, delta, after in db.session.execute(stmt)}


def variant(db: SQLAlchemy, sku: str) -> Variant:
    return db.session.scalars(sa.select(Variant).where(Variant.sku == sku)).one()


def product(db: SQLAlchemy, slug: str) -> Product:
    return db.session.scalars(sa.select(Product).where(Product.slug == slug)).one()


# --- export ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("catalogue")
def test_export_writes_one_row_per_variant_with_names_and_major_units(
    runner: FlaskCliRunner,
) -> None:
    text = export(runner)

    assert text.splitlines()[0] == HEADER
    assert list(csv.reader(io.StringIO(text))) == EXPORTED


@pytest.mark.usefixtures("catalogue")
def test_export_to_a_file_writes_utf8(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "out" / "catalogue.csv"
    path.parent.mkdir()

    result = runner.invoke(args=["catalog", "export", "--output", str(path)])

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Exported 3 variants" in result.stderr
    assert path.read_bytes() == to_csv(EXPORTED)
    assert "Lumière Labs".encode() in path.read_bytes()


def test_export_orders_by_slug_then_position_then_id(
    db: SQLAlchemy, runner: FlaskCliRunner
) -> None:
    # "serum-b" sorts before "seruma" byte by byte, whatever the database's locale says.
    _set_skus(make_product(slug="seruma", variants=[("30 ml", 1000, 1)]), "A-1")
    later = make_product(slug="serum-b", variants=[("15 ml", 900, 1), ("30 ml", 1500, 1)])
    _set_skus(later, "B-FIRST-MADE", "B-SECOND-MADE")
    later.variants[0].position = 1
    later.variants[1].position = 0
    tied = make_product(slug="serum-c", variants=[("5 ml", 500, 1), ("10 ml", 800, 1)])
    _set_skus(tied, "C-LOW-ID", "C-HIGH-ID")
    tied.variants[1].position = 0
    db.session.commit()

    rows = list(csv.reader(io.StringIO(export(runner))))

    assert [row[0] for row in rows[1:]] == [
        "B-SECOND-MADE",
        "B-FIRST-MADE",
        "C-LOW-ID",
        "C-HIGH-ID",
        "A-1",
    ]


def test_export_of_an_empty_catalogue_is_just_the_header(runner: FlaskCliRunner) -> None:
    assert export(runner) == HEADER + "\n"


# --- round trip -----------------------------------------------------------------------------


def _as_exported(text: str) -> bytes:
    return text.encode()


def _as_excel_saves_it(text: str) -> bytes:
    # "CSV UTF-8" from Excel: a byte-order mark, CRLF line ends, a blank line at the end.
    return "\ufeff".encode() + text.replace("\n", "\r\n").encode() + b"\r\n"


def _with_shuffled_columns(text: str) -> bytes:
    # Another column order, no stock_allocated, and a column the import does not know.
    order = [9, 0, 6, 1, 2, 3, 4, 5, 7, 8]
    rows = list(csv.reader(io.StringIO(text)))
    return to_csv(
        [[row[i] for i in order] + ["notes" if n == 0 else "ignored"] for n, row in enumerate(rows)]
    )


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    "prepare", [_as_exported, _as_excel_saves_it, _with_shuffled_columns], ids=lambda f: f.__name__
)
def test_reimporting_an_export_changes_nothing(
    db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path, prepare: Callable[[str], bytes]
) -> None:
    before = snapshot(db)

    result = run_import(runner, tmp_path, prepare(export(runner)))

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Imported 3 rows: 0 products created, 0 updated, 0 variants created, 0 updated, "
        "0 stock changes, 3 unchanged.\n"
    )
    assert snapshot(db) == before  # updated_at, stock and adjustments included


# --- applying changes -----------------------------------------------------------------------


@pytest.mark.usefixtures("catalogue")
def test_import_updates_and_creates_products_variants_brands_and_stock(
    db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    cream_updated_at = product(db, "barrier-cream").updated_at
    rows = exported_rows()
    rows[2][2] = rows[3][2] = "Hydra Serum B5"  # rename
    rows[2][6] = "22.00"  # price cut, still below the 29.00 compare-at
    rows[3][8] = "9"  # restock: 4 -> 9
    rows += [
        ["HS-100", "hydra-serum", "Hydra Serum B5", "Lumière Labs", "Serums", "100 ml",
         "52", "USD", "6", "active"],
        ["NP-50", "night-peptide-cream", "Night Peptide Cream", "Nordic Skin", "moisturisers",
         "50 ml", "45.00", "usd", "5", "Draft"],
        ["TS-40", "tinted-spf", "Tinted SPF 50", "LUMIÈRE LABS", "Sun Care", "40 ml",
         "29.5", "USD", "0", "active"],
    ]  # fmt: skip
    rows = [row[:10] for row in rows]  # files without stock_allocated are fine

    result = run_import(runner, tmp_path, to_csv(rows))

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Imported 6 rows: 2 products created, 1 updated, 3 variants created, 1 updated, "
        "1 stock changes, 1 unchanged. New brands: Nordic Skin. New categories: Sun Care.\n"
    )
    db.session.expire_all()
    hydra = product(db, "hydra-serum")
    assert hydra.name == "Hydra Serum B5"
    assert [(v.sku, v.position, v.size_label, v.price) for v in hydra.variants] == [
        ("HS-30", 0, "30 ml", 2200),
        ("HS-50", 1, "50 ml", 3850),
        ("HS-100", 2, "100 ml", 5200),
    ]
    assert variant(db, "HS-100").currency == "USD"
    assert variant(db, "HS-50").stock.on_hand == 9
    assert variant(db, "HS-50").stock.allocated == 3
    assert variant(db, "HS-100").stock.on_hand == 6

    night = product(db, "night-peptide-cream")
    assert (night.name, night.status, night.brand.name, night.brand.slug) == (
        "Night Peptide Cream",
        ProductStatus.DRAFT,
        "Nordic Skin",
        "nordic-skin",
    )
    assert night.category.slug == "moisturisers"  # matched ignoring case, not duplicated
    spf = product(db, "tinted-spf")
    assert spf.brand.slug == "lumiere-labs"
    assert (spf.category.name, spf.category.slug) == ("Sun Care", "sun-care")
    assert variant(db, "TS-40").price == 2950
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Brand)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Category)) == 3

    assert import_adjustments(db) == {("HS-50", 5, 9), ("HS-100", 6, 6), ("NP-50", 5, 5)}
    assert product(db, "barrier-cream").updated_at == cream_updated_at


@pytest.mark.usefixtures("catalogue")
def test_import_moves_a_product_to_another_brand_category_and_status(
    db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    cream_updated_at = product(db, "barrier-cream").updated_at
    hydra_updated_at = product(db, "hydra-serum").updated_at
    rows = exported_rows()
    rows[1][3] = "lumière LABS"  # the existing brand, typed in another case
    rows[1][4] = "Night Care"
    rows[1][9] = "archived"

    result = run_import(runner, tmp_path, to_csv(rows))

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Imported 3 rows: 0 products created, 1 updated, 0 variants created, 0 updated, "
        "0 stock changes, 2 unchanged. New categories: Night Care.\n"
    )
    db.session.expire_all()
    cream = product(db, "barrier-cream")
    assert (cream.brand.name, cream.category.name, cream.status) == (
        "Lumière Labs",
        "Night Care",
        ProductStatus.ARCHIVED,
    )
    assert cream.updated_at > cream_updated_at
    assert product(db, "hydra-serum").updated_at == hydra_updated_at
    assert import_adjustments(db) == set()


@pytest.mark.usefixtures("catalogue")
def test_import_can_lower_stock_to_what_checkouts_hold(
    db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    rows = exported_rows()
    rows[3][8] = "3"

    result = run_import(runner, tmp_path, to_csv(rows))

    assert result.exit_code == 0, result.output
    assert variant(db, "HS-50").stock.on_hand == 3
    assert import_adjustments(db) == {("HS-50", -1, 3)}


@pytest.mark.usefixtures("catalogue")
def test_a_new_brand_whose_slug_is_taken_gets_a_unique_one(
    db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    rows = [
        *exported_rows(),
        ["LL-1", "eye-gel", "Eye Gel", "Lumiere-Labs", "Serums", "", "12", "USD", "1", "active",
         "", ""],
    ]  # fmt: skip

    result = run_import(runner, tmp_path, to_csv(rows))

    assert result.exit_code == 0, result.output
    assert product(db, "eye-gel").brand.slug == "lumiere-labs-2"


# --- refusals -------------------------------------------------------------------------------

Edit = Callable[[Rows], bytes]


def cells(changes: dict[tuple[int, str], str]) -> Edit:
    """Set cells by (file line, column name) in the exported rows."""

    def edit(rows: Rows) -> bytes:
        for (line, column), value in changes.items():
            rows[line - 1][EXPORT_HEADER.index(column)] = value
        return to_csv(rows)

    return edit


def _latin1_on_line_3(rows: Rows) -> bytes:
    # "Lumière" saved as Latin-1, as old spreadsheet exports do.
    lines = to_csv(rows).decode().splitlines(keepends=True)
    return "".join(lines[:2]).encode() + lines[2].encode("latin-1") + "".join(lines[3:]).encode()


def _drop_columns(*names: str) -> Edit:
    def edit(rows: Rows) -> bytes:
        keep = [i for i, name in enumerate(EXPORT_HEADER) if name not in names]
        return to_csv([[row[i] for i in keep] for row in rows])

    return edit


def _short_row_on_line_3(rows: Rows) -> bytes:
    rows[2] = rows[2][:-1]
    return to_csv(rows)


def _duplicate_line_3(rows: Rows) -> bytes:
    return to_csv([*rows, list(rows[2])])


def _no_header(rows: Rows) -> bytes:
    return to_csv(rows[1:])


def _quoted_line_break_then_bad_price(rows: Rows) -> bytes:
    # Line numbers are physical lines: BC-50 spans lines 2-3, so HS-50 sits on line 5.
    # A line break is no more welcome in a product name than anywhere else.
    rows[1][2] = "Barrier\nCream"
    rows[3][6] = "abc"
    return to_csv(rows)


REFUSALS: list[tuple[str, Edit, list[str]]] = [
    ("not-utf8", _latin1_on_line_3, ["line 3: the file is not UTF-8 text"]),
    ("empty-file", lambda rows: b"", ["line 1: the file is empty"]),
    ("only-a-bom", lambda rows: b"\xef\xbb\xbf\n", ["line 1: the first line is blank"]),
    ("no-header", _no_header, ["line 1: no header row"]),
    (
        "missing-columns",
        _drop_columns("price", "currency"),
        ["line 1: missing required columns: price, currency"],
    ),
    ("wrong-field-count", _short_row_on_line_3, ["line 3: expected 12 fields"]),
    ("empty-sku", cells({(2, "sku"): ""}), ["line 2: sku is empty"]),
    ("sku-characters", cells({(2, "sku"): "BC 50!"}), ["line 2: sku 'BC 50!' may only use"]),
    ("sku-too-long", cells({(2, "sku"): "B" * 65}), ["line 2: sku is 65 characters long"]),
    ("empty-slug", cells({(2, "product_slug"): ""}), ["line 2: product_slug is empty"]),
    (
        "slug-not-a-slug",
        cells({(2, "product_slug"): "Barrier Cream"}),
        ["line 2: product_slug 'Barrier Cream' is not a slug"],
    ),
    ("empty-name", cells({(2, "product_name"): " "}), ["line 2: product_name is empty"]),
    (
        "name-too-long",
        cells({(2, "product_name"): "n" * 201}),
        ["line 2: product_name is 201 characters long; the limit is 200"],
    ),
    (
        "nul-in-name",
        cells({(2, "product_name"): "Barrier\x00Cream"}),
        ["line 2: "],
    ),
    ("empty-brand", cells({(2, "brand"): ""}), ["line 2: brand is empty"]),
    ("empty-category", cells({(2, "category"): ""}), ["line 2: category is empty"]),
    (
        "variant-too-long",
        cells({(2, "variant"): "v" * 61}),
        ["line 2: variant is 61 characters long; the limit is 60"],
    ),
    (
        "duplicate-sku",
        _duplicate_line_3,
        ["line 6: SKU 'HS-30' is listed twice, on lines 3 and 6"],
    ),
    ("price-abc", cells({(3, "price"): "abc"}), ["line 3: price 'abc' is not a number"]),
    ("price-negative", cells({(3, "price"): "-1.00"}), ["line 3: price '-1.00' is negative"]),
    (
        "price-decimals",
        cells({(3, "price"): "24.505"}),
        ["line 3: price '24.505' has more than 2 decimal places for USD"],
    ),
    ("price-empty", cells({(3, "price"): ""}), ["line 3: price is empty"]),
    (
        "wrong-currency",
        cells({(2, "currency"): "EUR"}),
        ["line 2: currency 'EUR' is not the shop's currency, USD"],
    ),
    (
        "negative-stock",
        cells({(2, "stock_on_hand"): "-3"}),
        ["line 2: stock_on_hand -3 is negative"],
    ),
    (
        "fractional-stock",
        cells({(2, "stock_on_hand"): "2.5"}),
        ["line 2: stock_on_hand '2.5' is not a whole number"],
    ),
    (
        "stock-below-allocated",
        cells({(4, "stock_on_hand"): "2"}),
        ["line 4: stock_on_hand 2 is below the 3 units of SKU 'HS-50' held by open checkouts"],
    ),
    (
        "unknown-status",
        cells({(2, "status"): "live"}),
        ["line 2: status 'live' is not one of draft, active, archived"],
    ),
    (
        "product-rows-disagree",
        cells({(4, "product_name"): "Hydra Serum XL", (4, "brand"): "Calm Botanics"}),
        [
            "line 4: product 'hydra-serum' has product_name 'Hydra Serum XL' here but "
            "'Hydra Serum' on line 3",
            "line 4: product 'hydra-serum' has brand 'Calm Botanics' here but "
            "'Lumière Labs' on line 3",
        ],
    ),
    (
        "product-rows-disagree-on-status",
        cells({(3, "status"): "archived"}),
        ["line 4: product 'hydra-serum' has status 'active' here but 'archived' on line 3"],
    ),
    (
        "variant-moved-to-another-product",
        cells({(2, "product_slug"): "barrier-balm"}),
        ["line 2: SKU 'BC-50' belongs to product 'barrier-cream', not 'barrier-balm'"],
    ),
    (
        "price-not-below-compare-at",
        cells({(3, "price"): "29.00"}),
        ["line 3: price 29.00 of SKU 'HS-30' must be below its compare-at price 29.00"],
    ),
    (
        "physical-line-numbers",
        _quoted_line_break_then_bad_price,
        [
            "line 2: product_name contains a line break, tab or other control character",
            "line 5: price 'abc' is not a number",
        ],
    ),
]


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("edit", "expected"),
    [pytest.param(edit, expected, id=name) for name, edit, expected in REFUSALS],
)
def test_bad_file_is_refused_by_line_and_changes_nothing(
    db: SQLAlchemy,
    runner: FlaskCliRunner,
    tmp_path: Path,
    edit: Edit,
    expected: list[str],
) -> None:
    before = snapshot(db)
    # A valid new product in the same file must not be created either.
    rows = [
        *exported_rows(),
        [
            "NEW-1",
            "new-gel",
            "New Gel",
            "New Brand",
            "Gels",
            "",
            "9.00",
            "USD",
            "4",
            "active",
            "0",
            "",
        ],
    ]

    result = run_import(runner, tmp_path, edit(rows))

    assert result.exit_code == 1
    assert result.stdout == ""
    problems = result.stderr.splitlines()[:-1]
    for line in expected:
        assert any(problem.startswith(line) for problem in problems), result.stderr
    assert len(problems) == len(expected), result.stderr
    assert result.stderr.splitlines()[-1].endswith("nothing was changed.")
    assert snapshot(db) == before


@pytest.mark.usefixtures("catalogue")
def test_every_bad_row_is_reported_not_only_the_first(
    db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    before = snapshot(db)
    rows = exported_rows()
    rows[1][6] = "abc"
    rows[1][9] = "live"
    rows[2][7] = "GBP"
    rows[3][8] = "-1"
    rows.append(["", "Bad Slug", "", "Brand", "Cat", "", "1", "USD", "1", "active", "0", ""])

    result = run_import(runner, tmp_path, to_csv(rows))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "line 2: price 'abc' is not a number",
        "line 2: status 'live' is not one of draft, active, archived",
        "line 3: currency 'GBP' is not the shop's currency, USD",
        "line 4: stock_on_hand -1 is negative",
        "line 5: sku is empty",
        "line 5: product_slug 'Bad Slug' is not a slug (lowercase letters and digits joined "
        "by single dashes, at most 120 characters; e.g. 'bad-slug')",
        "line 5: product_name is empty",
        "The import was refused (7 problems); nothing was changed.",
    ]
    assert snapshot(db) == before


# --- the service's own bounds ---------------------------------------------------------------


@pytest.mark.usefixtures("app")
def test_service_reports_problems_as_line_and_reason() -> None:
    header = EXPORTED[0][:10]
    data = to_csv([header, ["X-1", "gel", "Gel", "B", "C", "", "abc", "USD", "1", "draft"]])

    with pytest.raises(CatalogImportError) as caught:
        import_catalog(data, currency="USD")

    assert caught.value.problems == [(2, "price 'abc' is not a number")]


@pytest.mark.usefixtures("app")
def test_file_over_the_size_limit_is_refused() -> None:
    with pytest.raises(CatalogImportError) as caught:
        import_catalog(b"x" * (MAX_IMPORT_BYTES + 1), currency="USD")

    assert caught.value.problems == [
        (1, "the file is larger than 20 MB; split it into smaller files")
    ]


@pytest.mark.usefixtures("app")
def test_file_over_the_row_limit_is_refused(db: SQLAlchemy) -> None:
    rows = [list(EXPORTED[0])] + [
        [f"G-{n}", "gel", "Gel", "B", "C", "", "1", "USD", "1", "draft", "0", ""] for n in range(3)
    ]

    with pytest.raises(CatalogImportError) as caught:
        import_catalog(to_csv(rows), currency="USD", max_rows=2)

    assert caught.value.problems == [(4, "the file has more than 2 rows; split it up")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Variant)) == 0


# --- the command line -----------------------------------------------------------------------


def test_import_of_a_missing_file_is_a_usage_error(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["catalog", "import", str(tmp_path / "nope.csv")])

    assert result.exit_code == 2
    assert "does not exist" in result.stderr
