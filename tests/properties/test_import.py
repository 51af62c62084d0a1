"""Random catalogue CSV files (hypothesis) through `flask catalog import`, as staff run it:
the import is all or nothing.

Each file mixes valid rows (new products and variants, updates of the seeded ones) with
rows the import must refuse (bad cells, duplicate SKUs, rows that disagree about their
product, moved variants, stock below what checkouts hold, prices not below the compare-at
price, a SKU priced in another currency, a wrong number of fields) and faults of the whole
file (a missing or repeated column, no header, not UTF-8, empty); about half the files are
valid throughout. Whatever the file:

- a file with any bad row is refused, each broken row is reported on its own line, and
  the database is exactly as before, every row of every table;
- a valid file is taken, and afterwards every row's values are in the catalogue, what the
  file did not name is untouched, and the stock ledger still adds up;
- the import fails in no other way than its own CatalogImportError (no traceback, and no
  IntegrityError turned into "the catalogue changed while importing").
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shop.catalog.models import Brand, Category, Product, ProductStatus, Variant
from shop.catalog.transfer import REQUIRED_COLUMNS
from shop.catalog.transfer.parsing import NAME_MAX, PRODUCT_NAME_MAX, SKU_MAX, VARIANT_LABEL_MAX
from shop.core.slugs import slugify
from shop.inventory.models import StockRecord
from shop.inventory.services import create_stock_records
from tests.stock import off_the_ledger

INT_MAX = 2**31 - 1  # prices and stock are 32-bit integers on PostgreSQL
REFUSED = "nothing was changed."
CONFLICT = "The catalogue changed while importing"


@dataclass(frozen=True)
class ProductFields:
    """What the rows of one product must agree on."""

    name: str
    brand: str
    category: str
    status: str  # as written in the file, in any case


@dataclass(frozen=True)
class Seeded:
    """A variant the catalogue starts with."""

    slug: str
    size: str
    price: int
    on_hand: int
    allocated: int = 0
    compare_at: int | None = None
    has_stock: bool = True
    currency: str = "USD"


SEEDED_PRODUCTS = {
    "hydra-serum": ProductFields("Hydra Serum", "Lumière Labs", "Serums", "active"),
    "barrier-cream": ProductFields("Barrier Cream", "Calm Botanics", "Moisturisers", "draft"),
    "glow-oil": ProductFields("Glow Oil", "Lumière Labs", "Oils", "archived"),
    "euro-balm": ProductFields("Euro Balm", "Calm Botanics", "Moisturisers", "active"),
}
SEEDED = {
    "HS-30": Seeded("hydra-serum", "30 ml", 2400, 10, compare_at=2900),
    "HS-50": Seeded("hydra-serum", "50 ml", 3850, 4, allocated=3),  # open checkouts hold 3
    "BC-50": Seeded("barrier-cream", "50 ml", 3200, 0),
    "GO-15": Seeded("glow-oil", "15 ml", 1900, 0, has_stock=False),  # no stock record yet
    "EU-50": Seeded("euro-balm", "50 ml", 1500, 2, currency="EUR"),  # any USD row is refused
}
# The products and variants valid rows may update (EU-50 is priced in euros).
UPDATABLE = {
    slug: [sku for sku, s in SEEDED.items() if s.slug == slug]
    for slug in ("hydra-serum", "barrier-cream", "glow-oil")
}

# Cells the import must refuse, by column; each breaks the row it is written into.
BAD_CELLS: dict[str, list[str]] = {
    "sku": ["", "bad sku!", "S" * (SKU_MAX + 1), "HS/30", "Sérum-1"],
    "product_slug": ["", "Not A Slug", "a--b", "-gel", "gel_2", "g" * 121],
    "product_name": ["", "n" * (PRODUCT_NAME_MAX + 1), "two\nlines", "tab\there", "nul\x00"],
    "brand": ["", "b" * (NAME_MAX + 1), "bell\x07"],
    "category": ["", "c" * (NAME_MAX + 1), "c\x7f"],
    "variant": ["v" * (VARIANT_LABEL_MAX + 1), "new\nline"],
    "price": ["", "abc", "-1.00", "24.505", "NaN", "Infinity", "1e12", "21474836.48", "$5"],
    "currency": ["", "EUR", "US", "usdd"],
    "stock_on_hand": ["", "-3", "2.5", "2147483648", "١٢", "+5", "1e3"],
    "status": ["", "live", "published", "drafts"],
}
FILE_FAULTS = ["missing-column", "repeated-column", "no-header", "not-utf8", "empty"]
ROW_FAULTS = [
    "cell",
    "duplicate-sku",
    "field-count",
    "disagree",
    "move",
    "below-allocated",
    "compare-at",
    "foreign-currency",
]


@dataclass(frozen=True)
class Row:
    """What a valid row asks the catalogue to hold."""

    sku: str
    slug: str
    product: ProductFields
    variant: str
    price: int
    on_hand: int


@dataclass
class Plan:
    """A file to import and what the import must do with it."""

    columns: list[str]
    cells: list[dict[str, str]]
    rows: list[Row]  # the valid rows the file started from, one per line of `cells` at first
    broken: bool = False  # some row or the file itself must be refused
    broken_lines: set[int] = field(default_factory=set)  # indices into `cells`
    copies: dict[int, int] = field(default_factory=dict)  # a duplicate's index -> the original's
    width_change: dict[int, int] = field(default_factory=dict)  # index -> cells added
    file_fault: str | None = None
    bom: bool = False
    crlf: bool = False
    trailing_blank: bool = False


# --- what goes in a valid file --------------------------------------------------------------

_chars = st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"])


def _text(limit: int, examples: list[str], *, required: bool = True) -> st.SearchStrategy[str]:
    """Text the import accepts: no control characters, no outer spaces, within `limit`."""
    smallest = 1 if required else 0
    drawn = (
        st.text(_chars, min_size=smallest, max_size=limit)
        .map(str.strip)
        .filter(lambda s: len(s) >= smallest)
    )
    at_the_limit = st.sampled_from(["É" * limit, "x" * (limit - 1) + "ß"])
    return st.sampled_from(examples) | drawn | at_the_limit


product_names = _text(PRODUCT_NAME_MAX, ["Hydra Serum", "Night Cream", 'Gel "Fresh", 2%'])
brands = _text(NAME_MAX, ["Lumière Labs", "LUMIÈRE LABS", "calm botanics", "Nordic Skin"])
categories = _text(NAME_MAX, ["Serums", "SERUMS", "oils", "Sun Care", "Night, Day"])
labels = _text(VARIANT_LABEL_MAX, ["", "30 ml", "50 ml", "Travel size"], required=False)
statuses = st.tuples(
    st.sampled_from([s.value for s in ProductStatus]),
    st.sampled_from([str.lower, str.upper, str.title]),
).map(lambda pair: pair[1](pair[0]))
new_slugs = st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,3}", fullmatch=True).filter(
    lambda slug: slug not in SEEDED_PRODUCTS
) | st.just("s" * 120)
new_skus = st.from_regex(rf"[A-Za-z0-9._-]{{1,{SKU_MAX}}}", fullmatch=True).filter(
    lambda sku: sku not in SEEDED
)


def _price_cell(cents: int, style: int) -> str:
    """Write a price in one of the ways a spreadsheet or a person does."""
    major, minor = divmod(cents, 100)
    if style == 1 and minor == 0:
        return str(major)
    if style == 2 and minor % 10 == 0:
        return f"{major}.{minor // 10}"
    if style == 3:
        return f"{major:,}.{minor:02d}"
    return f"{major}.{minor:02d}"


@st.composite
def _product_rows(draw: st.DrawFn, slug: str, skus: list[str]) -> list[Row]:
    fields = ProductFields(draw(product_names), draw(brands), draw(categories), draw(statuses))
    rows = []
    for sku in skus:
        seeded = SEEDED.get(sku)
        highest = INT_MAX
        if seeded is not None and seeded.compare_at is not None:
            highest = seeded.compare_at - 1  # a price must stay below the compare-at price
        lowest_stock = seeded.allocated if seeded is not None else 0
        rows.append(
            Row(
                sku=sku,
                slug=slug,
                product=fields,
                variant=draw(labels),
                price=draw(st.integers(0, min(highest, 5000)) | st.integers(0, highest)),
                on_hand=draw(st.integers(lowest_stock, 50) | st.integers(lowest_stock, INT_MAX)),
            )
        )
    return rows


@st.composite
def valid_rows(draw: st.DrawFn) -> list[Row]:
    """Rows for one to four products, seeded or new; every SKU once."""
    existing = draw(st.lists(st.sampled_from(sorted(UPDATABLE)), unique=True, max_size=3))
    created = draw(st.lists(new_slugs, unique=True, min_size=0 if existing else 1, max_size=3))
    wanted: dict[str, tuple[list[str], int]] = {}
    for slug in existing:
        kept = draw(st.lists(st.sampled_from(UPDATABLE[slug]), unique=True))
        wanted[slug] = (kept, draw(st.integers(0 if kept else 1, 2)))
    for slug in created:
        wanted[slug] = ([], draw(st.integers(1, 3)))
    fresh = iter(draw(st.lists(new_skus, unique=True, min_size=sum(n for _, n in wanted.values()))))
    rows: list[Row] = []
    for slug, (kept, more) in wanted.items():
        skus = kept + [next(fresh) for _ in range(more)]
        rows.extend(draw(_product_rows(slug, skus)))
    return draw(st.permutations(rows))


def _cells(row: Row, draw: st.DrawFn) -> dict[str, str]:
    return {
        "sku": row.sku,
        "product_slug": row.slug,
        "product_name": row.product.name,
        "brand": row.product.brand,
        "category": row.product.category,
        "variant": row.variant,
        "price": _price_cell(row.price, draw(st.integers(0, 3))),
        "currency": draw(st.sampled_from(["USD", "usd", "Usd"])),
        "stock_on_hand": str(row.on_hand).zfill(draw(st.sampled_from([0, 0, 3]))),
        "status": row.product.status,
        # Informative only: the import ignores it, whatever it says.
        "stock_allocated": draw(st.sampled_from(["0", "", "3", "lots"])),
        "notes": draw(st.sampled_from(["", "restock in May", "two\nlines", 'said "no", twice'])),
    }


def _seeded_cells(sku: str, **changes: str) -> dict[str, str]:
    seeded = SEEDED[sku]
    fields = SEEDED_PRODUCTS[seeded.slug]
    cells = {
        "sku": sku,
        "product_slug": seeded.slug,
        "product_name": fields.name,
        "brand": fields.brand,
        "category": fields.category,
        "variant": seeded.size,
        "price": _price_cell(seeded.price, 0),
        "currency": "USD",
        "stock_on_hand": str(seeded.on_hand),
        "status": fields.status,
        "stock_allocated": "",
        "notes": "",
    }
    cells.update(changes)
    return cells


# --- what breaks it -------------------------------------------------------------------------


def _break_row(draw: st.DrawFn, plan: Plan, fault: str) -> None:
    """Add one row fault; every one of them makes the whole file refused."""
    cells = plan.cells
    index = draw(st.integers(0, len(cells) - 1))
    plan.broken = True
    if fault == "cell":
        column = draw(st.sampled_from(sorted(BAD_CELLS)))
        cells[index][column] = draw(st.sampled_from(BAD_CELLS[column]))
        plan.broken_lines.add(index)
    elif fault == "field-count":
        plan.width_change[index] = draw(st.sampled_from([-1, 1]))
        plan.broken_lines.add(index)
    elif fault == "duplicate-sku":
        cells.append(dict(cells[index]))
        plan.broken_lines.add(len(cells) - 1)
        plan.copies[len(cells) - 1] = index
    elif fault == "disagree":
        # Another variant of the same product under another name. Which line is blamed
        # depends on which row of the product comes first intact, so no line is expected.
        name = cells[index]["product_name"] or "x"
        other = name[:-1] + ("A" if name[-1] != "A" else "B")
        cells.append({**cells[index], "sku": f"DIS.{len(cells)}", "product_name": other})
    elif fault == "move":
        slug = cells[index]["product_slug"]
        sku = draw(st.sampled_from(sorted(k for k, s in SEEDED.items() if s.slug != slug)))
        cells.append({**cells[index], "sku": sku})
        plan.broken_lines.add(len(cells) - 1)
    elif fault == "below-allocated":
        stock = str(draw(st.integers(0, SEEDED["HS-50"].allocated - 1)))
        cells.append(_seeded_cells("HS-50", stock_on_hand=stock))
        plan.broken_lines.add(len(cells) - 1)
    elif fault == "compare-at":
        compare_at = SEEDED["HS-30"].compare_at
        assert compare_at is not None
        price = draw(st.sampled_from([compare_at, compare_at + 1, INT_MAX]))
        cells.append(_seeded_cells("HS-30", price=_price_cell(price, 0)))
        plan.broken_lines.add(len(cells) - 1)
    elif fault == "foreign-currency":
        cells.append(_seeded_cells("EU-50"))
        plan.broken_lines.add(len(cells) - 1)
    else:
        raise AssertionError(fault)


@st.composite
def import_files(draw: st.DrawFn) -> Plan:
    """A file of valid rows, about half the time broken by one or more faults."""
    rows = draw(valid_rows())
    optional = [c for c in ("stock_allocated", "notes") if draw(st.booleans())]
    columns = draw(st.permutations([*REQUIRED_COLUMNS, *optional]))
    plan = Plan(
        columns=list(columns),
        cells=[_cells(row, draw) for row in rows],
        rows=rows,
        bom=draw(st.booleans()),
        crlf=draw(st.booleans()),
        trailing_blank=draw(st.booleans()),
    )
    for fault in draw(st.just([]) | st.lists(st.sampled_from(ROW_FAULTS), min_size=1, max_size=3)):
        _break_row(draw, plan, fault)
    plan.file_fault = draw(st.none() | st.none() | st.none() | st.sampled_from(FILE_FAULTS))
    if plan.file_fault is not None:
        plan.broken = True
    return plan


@st.composite
def rendered(draw: st.DrawFn, plan: Plan) -> tuple[bytes, dict[int, int], int | None]:
    """Write the file; return its bytes, each row's first line, and a file fault's line."""
    columns = list(plan.columns)
    header = [name.upper() if draw(st.booleans()) else name for name in columns]
    fault_line: int | None = None
    if plan.file_fault == "missing-column":
        gone = draw(st.sampled_from(REQUIRED_COLUMNS))
        header.pop(columns.index(gone))
        columns.remove(gone)
        fault_line = 1
    elif plan.file_fault == "repeated-column":
        again = draw(st.sampled_from(REQUIRED_COLUMNS))
        header.append(again)
        columns.append(again)
        fault_line = 1
    ending = "\r\n" if plan.crlf else "\n"
    chunks: list[str] = []
    first_lines: dict[int, int] = {}
    line = 1
    for index, cells in enumerate([None, *plan.cells]):
        if cells is None:
            record = header
        else:
            record = [cells[c] for c in columns]
            change = plan.width_change.get(index - 1, 0)
            record = record[:-1] if change < 0 else record + ["extra"] * change
            first_lines[index - 1] = line
        out = io.StringIO()
        csv.writer(out, lineterminator=ending).writerow(record)
        chunks.append(out.getvalue())
        line += out.getvalue().count("\n")
    if plan.file_fault == "no-header":
        chunks.pop(0)
        fault_line = 1
    if plan.trailing_blank:
        chunks.append(ending)
    data = "".join(chunks).encode()
    if plan.file_fault == "not-utf8":
        # A Latin-1 byte at the start of a row, as an old spreadsheet would save "é".
        index = draw(st.integers(0, len(plan.cells) - 1))
        at = len("".join(chunks[: index + 1]).encode())
        data = data[:at] + b"\xe9" + data[at:]
        fault_line = first_lines[index]
    elif plan.file_fault == "empty":
        data = draw(st.sampled_from([b"", b"\n", b"\r\n"]))
        fault_line = 1
    if plan.bom:
        data = b"\xef\xbb\xbf" + data
    return data, first_lines, fault_line


# --- the catalogue --------------------------------------------------------------------------


def _seed(db: SQLAlchemy) -> None:
    """Empty the database and seed the catalogue every example starts from (committed)."""
    db.session.remove()
    # DELETE, not the fixture's TRUNCATE, and one flush rather than the factories' many:
    # on a few rows that is several times faster on PostgreSQL, and it runs 50 times.
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    brands: dict[str, Brand] = {}
    categories: dict[str, Category] = {}
    variants: dict[str, Variant] = {}
    for slug, fields in SEEDED_PRODUCTS.items():
        brand = brands.setdefault(
            fields.brand, Brand(name=fields.brand, slug=slugify(fields.brand))
        )
        category = categories.setdefault(
            fields.category, Category(name=fields.category, slug=slugify(fields.category))
        )
        product = Product(
            name=fields.name,
            slug=slug,
            brand=brand,
            category=category,
            status=ProductStatus(fields.status),
        )
        for position, (sku, seeded) in enumerate(
            (sku, s) for sku, s in SEEDED.items() if s.slug == slug
        ):
            variants[sku] = Variant(
                product=product,
                sku=sku,
                size_label=seeded.size,
                price=seeded.price,
                compare_at_price=seeded.compare_at,
                currency=seeded.currency,
                position=position,
            )
        db.session.add(product)
    db.session.flush()
    create_stock_records(
        [(variants[sku].id, s.on_hand) for sku, s in SEEDED.items() if s.has_stock]
    )
    for sku, seeded in SEEDED.items():
        if seeded.allocated:
            # Stands in for open checkouts holding units.
            db.session.execute(
                sa.update(StockRecord)
                .where(StockRecord.variant_id == variants[sku].id)
                .values(allocated=seeded.allocated)
            )
    db.session.commit()


def _snapshot(db: SQLAlchemy) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, so "nothing changed" means nothing at all."""
    db.session.expire_all()
    snapshot = {
        table.name: [
            tuple(row)
            for row in db.session.execute(sa.select(table).order_by(*table.primary_key.columns))
        ]
        for table in db.metadata.sorted_tables
    }
    db.session.rollback()
    return snapshot


def _variants(db: SQLAlchemy) -> dict[str, tuple[Any, ...]]:
    stmt = sa.select(
        Variant.sku,
        Variant.product_id,
        Variant.size_label,
        Variant.price,
        Variant.compare_at_price,
        Variant.currency,
        Variant.position,
        StockRecord.on_hand,
        StockRecord.allocated,
    ).outerjoin(StockRecord)
    return {row[0]: tuple(row[1:]) for row in db.session.execute(stmt)}


def _products(db: SQLAlchemy) -> dict[str, tuple[Any, ...]]:
    table = Product.__table__
    return {row.slug: tuple(row) for row in db.session.execute(sa.select(table))}


def _run_import(runner: FlaskCliRunner, path: Path, data: bytes) -> tuple[int, str, str]:
    path.write_bytes(data)
    result = runner.invoke(args=["catalog", "import", str(path)])
    # Anything but CatalogImportError would escape the command as an exception.
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(
            f"the import raised {type(result.exception).__name__}, not CatalogImportError"
        ) from result.exception
    assert CONFLICT not in result.stderr, (
        "the database refused a row the import let through:\n" + result.stderr
    )
    return result.exit_code, result.stdout, result.stderr


def _assert_refused(
    stdout: str, stderr: str, plan: Plan, first_lines: dict[int, int], fault_line: int | None
) -> None:
    messages = stderr.splitlines()
    assert stdout == ""
    assert messages, "refused without saying why"
    assert messages[-1].endswith(REFUSED), stderr
    reported = set()
    for message in messages[:-1]:
        found = re.match(r"line (\d+): ", message)
        assert found, message
        reported.add(int(found.group(1)))
    if fault_line is not None:
        assert reported == {fault_line}, stderr
        return
    # A duplicate of a row that could not be read (a wrong number of fields, a bad SKU) is
    # the first row with its SKU the import sees: it need not be reported as a duplicate.
    expected = {
        first_lines[i]
        for i in plan.broken_lines
        if not (i in plan.copies and plan.copies[i] in plan.broken_lines)
    }
    assert expected <= reported, stderr
    assert reported <= set(first_lines.values()), stderr  # only lines where rows start


def _assert_applied(db: SQLAlchemy, stdout: str, plan: Plan, before: dict[str, Any]) -> None:
    db.session.expire_all()
    new_products = {row.slug for row in plan.rows} - set(SEEDED_PRODUCTS)
    new_variants = [row for row in plan.rows if row.sku not in SEEDED]
    count = len(plan.rows)
    assert stdout.startswith(
        f"Imported {count} row{'s' if count != 1 else ''}: {len(new_products)} products created,"
    ), stdout
    assert f" {len(new_variants)} variants created," in stdout, stdout

    by_sku = {v.sku: v for v in db.session.scalars(sa.select(Variant))}
    for row in plan.rows:
        variant = by_sku.get(row.sku)
        assert variant is not None, row
        product = variant.product
        seeded = SEEDED.get(row.sku)
        assert product.slug == row.slug, row
        assert (variant.size_label, variant.price, variant.currency) == (
            row.variant,
            row.price,
            "USD",
        ), row
        assert variant.stock is not None, row
        allocated = seeded.allocated if seeded is not None else 0
        assert (variant.stock.on_hand, variant.stock.allocated) == (row.on_hand, allocated), row
        assert product.name == row.product.name, row
        assert product.brand.name.casefold() == row.product.brand.casefold(), row
        assert product.category.name.casefold() == row.product.category.casefold(), row
        assert product.status == ProductStatus(row.product.status.lower()), row

    # What the file did not name is as it was.
    named_skus = {row.sku for row in plan.rows}
    named_slugs = {row.slug for row in plan.rows}
    variants = _variants(db)
    products = _products(db)
    for sku, values in before["variants"].items():
        if sku not in named_skus:
            assert variants[sku] == values, sku
    for slug, values in before["products"].items():
        if slug not in named_slugs:
            assert products[slug] == values, slug
    assert len(variants) == len(before["variants"]) + len(new_variants)
    assert len(products) == len(before["products"]) + len(new_products)
    # A brand or category typed in another case is the same one, never a second.
    for model in (Brand, Category):
        names = list(db.session.scalars(sa.select(model.name)))
        assert len({n.casefold() for n in names}) == len(names), names
    # Every stock change went through the ledger: adjustments add up to what is on hand.
    assert off_the_ledger(db) == []
    db.session.rollback()


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_an_import_is_applied_whole_or_not_at_all(
    db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path, data: st.DataObject
) -> None:
    plan = data.draw(import_files(), label="plan")
    csv_bytes, first_lines, fault_line = data.draw(rendered(plan))
    data.draw(st.just(csv_bytes), label="file")  # shown when an example fails
    _seed(db)
    before = _snapshot(db)
    state = {"variants": _variants(db), "products": _products(db)}
    db.session.rollback()

    code, stdout, stderr = _run_import(runner, tmp_path / "catalogue.csv", csv_bytes)

    event("refused" if code else "applied")
    if code != 0:
        assert code == 1
        assert _snapshot(db) == before, "a refused import changed the database"
        assert plan.broken, f"a valid file was refused:\n{stderr}"
        _assert_refused(stdout, stderr, plan, first_lines, fault_line)
    else:
        assert not plan.broken, f"a file with a bad row was taken:\n{stdout}"
        _assert_applied(db, stdout, plan, state)
