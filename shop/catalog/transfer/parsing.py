"""Read an import file and check every row on its own, collecting every problem."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from shop.catalog.models import ProductStatus
from shop.catalog.tax_codes import TAX_CODE_EXAMPLE, is_tax_code
from shop.catalog.transfer.common import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    REQUIRED_COLUMNS,
    TAX_CODE_COLUMN,
    Problem,
)
from shop.core.money import MoneyError, parse_major
from shop.core.slugs import is_slug, slugify

SKU_MAX = 64
PRODUCT_NAME_MAX = 200
VARIANT_LABEL_MAX = 60
NAME_MAX = 120  # brand and category names
_SKU_RE = re.compile(r"[A-Za-z0-9._-]+")
_WHOLE_RE = re.compile(r"[0-9]+")  # not \d, which also matches other scripts' digits
_LINE_BREAK_RE = re.compile(rb"\r\n|\r|\n")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # PostgreSQL refuses NUL outright
_INT_MAX = 2**31 - 1  # the columns are 32-bit integers on PostgreSQL
_STATUS_WORDS = frozenset(s.value for s in ProductStatus)
_STATUSES = ", ".join(s.value for s in ProductStatus)


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One row that passed every check of its own."""

    line: int
    sku: str
    product_slug: str
    product_name: str
    brand: str
    category: str
    variant: str
    price: int
    on_hand: int
    status: ProductStatus
    # Only when the file has a tax_code column; None is the shop default.
    tax_code_given: bool = False
    tax_code: str | None = None


def _decode(data: bytes) -> tuple[str | None, list[Problem]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        # `exc.object` is the text after any BOM, so the count of breaks before the bad byte holds.
        before = exc.object[: exc.start]
        line = len(_LINE_BREAK_RE.findall(before)) + 1
        column = len(before) - max(before.rfind(b"\n"), before.rfind(b"\r"))
        bad = exc.object[exc.start : exc.start + 1].hex().upper()
        return None, [
            (
                line,
                f"the file is not UTF-8 text (byte 0x{bad} at position {column}); "
                "save it as 'CSV UTF-8' and try again",
            )
        ]


def _read_header(header: list[str] | None) -> tuple[dict[str, int] | None, list[Problem]]:
    if header is None:
        return None, [(1, "the file is empty; the first line must name the columns")]
    names = [name.strip().lower() for name in header]
    if not any(names):
        return None, [(1, "the first line is blank; it must be the header naming the columns")]
    columns: dict[str, int] = {}
    problems: list[Problem] = []
    for index, name in enumerate(names):
        if name in columns and name in REQUIRED_COLUMNS:
            problems.append((1, f"column {name!r} appears more than once in the header"))
        columns.setdefault(name, index)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if len(missing) == len(REQUIRED_COLUMNS):
        wanted = ", ".join(REQUIRED_COLUMNS)
        problems.append((1, f"no header row: the first line must name the columns {wanted}"))
    elif missing:
        problems.append((1, f"missing required columns: {', '.join(missing)}"))
    return (None if problems else columns), problems


def _check_text(
    value: str, column: str, limit: int, reasons: list[str], *, required: bool = True
) -> None:
    if required and not value:
        reasons.append(f"{column} is empty")
    elif len(value) > limit:
        reasons.append(f"{column} is {len(value)} characters long; the limit is {limit}")
    elif _CONTROL_RE.search(value):
        reasons.append(f"{column} contains a line break, tab or other control character")


def _parse_row(
    line: int, fields: dict[str, str], currency: str
) -> tuple[ImportRow | None, list[str]]:
    """Check one row on its own; return it parsed, or the reasons it is refused."""
    reasons: list[str] = []
    sku = fields["sku"]
    if not sku:
        reasons.append("sku is empty")
    elif len(sku) > SKU_MAX:
        reasons.append(f"sku is {len(sku)} characters long; the limit is {SKU_MAX}")
    elif not _SKU_RE.fullmatch(sku):
        reasons.append(f"sku {sku!r} may only use letters A-Z a-z, digits 0-9, '-', '_' and '.'")
    slug = fields["product_slug"]
    if not slug:
        reasons.append("product_slug is empty")
    elif not is_slug(slug):
        reasons.append(
            f"product_slug {slug!r} is not a slug (lowercase letters and digits joined by "
            f"single dashes, at most 120 characters; e.g. {slugify(slug) or 'night-cream'!r})"
        )
    _check_text(fields["product_name"], "product_name", PRODUCT_NAME_MAX, reasons)
    _check_text(fields["brand"], "brand", NAME_MAX, reasons)
    _check_text(fields["category"], "category", NAME_MAX, reasons)
    _check_text(fields["variant"], "variant", VARIANT_LABEL_MAX, reasons, required=False)

    price = 0
    try:
        price = parse_major(fields["price"], currency)
    except MoneyError as exc:
        reasons.append(f"price {exc}")
    else:
        if price > _INT_MAX:
            reasons.append(f"price {fields['price']!r} is too large")
    if not fields["currency"]:
        reasons.append(f"currency is empty; it must be the shop's currency, {currency}")
    elif fields["currency"].upper() != currency:
        reasons.append(f"currency {fields['currency']!r} is not the shop's currency, {currency}")

    on_hand = 0
    stock = fields["stock_on_hand"]
    if not stock:
        reasons.append("stock_on_hand is empty")
    elif stock.startswith("-") and _WHOLE_RE.fullmatch(stock[1:]):
        reasons.append(f"stock_on_hand {stock} is negative")
    elif not _WHOLE_RE.fullmatch(stock):
        reasons.append(f"stock_on_hand {stock!r} is not a whole number")
    elif int(stock) > _INT_MAX:
        reasons.append(f"stock_on_hand {stock} is too large")
    else:
        on_hand = int(stock)

    status = fields["status"].lower()
    if status not in _STATUS_WORDS:
        shown = f"status {fields['status']!r} is not" if status else "status is empty; it must be"
        reasons.append(f"{shown} one of {_STATUSES}")

    tax_code_given = TAX_CODE_COLUMN in fields
    tax_code = fields.get(TAX_CODE_COLUMN) or None
    if tax_code is not None and not is_tax_code(tax_code):
        reasons.append(
            f"tax_code {tax_code!r} is not a Stripe product tax code: use txcd_ and 8 digits "
            f"(e.g. {TAX_CODE_EXAMPLE}), or leave it blank for the shop default"
        )

    if reasons:
        return None, reasons
    return ImportRow(
        line=line,
        sku=sku,
        product_slug=slug,
        product_name=fields["product_name"],
        brand=fields["brand"],
        category=fields["category"],
        variant=fields["variant"],
        price=price,
        on_hand=on_hand,
        status=ProductStatus(status),
        tax_code_given=tax_code_given,
        tax_code=tax_code,
    ), []


def parse(
    data: bytes, currency: str, max_rows: int = MAX_IMPORT_ROWS
) -> tuple[list[ImportRow], list[Problem]]:
    """Read and check every row on its own; return the good rows and every problem."""
    if len(data) > MAX_IMPORT_BYTES:
        limit = MAX_IMPORT_BYTES // (1024 * 1024)
        return [], [(1, f"the file is larger than {limit} MB; split it into smaller files")]
    text, problems = _decode(data)
    if text is None:
        return [], problems
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        columns, problems = _read_header(next(reader, None))
    except csv.Error as exc:
        return [], [(1, f"the header cannot be read as CSV: {exc}")]
    if columns is None:
        return [], problems

    rows: list[ImportRow] = []
    seen_skus: dict[str, int] = {}
    count = 0
    last_line = reader.line_num
    while True:
        # A quoted field may span lines: a record starts on the line after the last one ended.
        line = last_line + 1
        try:
            record = next(reader, None)
        except csv.Error as exc:
            problems.append((reader.line_num, f"this line cannot be read as CSV: {exc}"))
            break
        if record is None:
            break
        last_line = reader.line_num
        if not any(value.strip() for value in record):
            continue  # blank lines, such as the ones spreadsheets leave at the end
        count += 1
        if count > max_rows:
            problems.append((line, f"the file has more than {max_rows:,} rows; split it up"))
            break
        if len(record) != len(columns):
            problems.append(
                (line, f"expected {len(columns)} fields like the header, found {len(record)}")
            )
            continue
        fields = {name: record[index].strip() for name, index in columns.items()}
        sku = fields["sku"]
        if sku and sku in seen_skus:
            problems.append(
                (line, f"SKU {sku!r} is listed twice, on lines {seen_skus[sku]} and {line}")
            )
        elif sku:
            seen_skus[sku] = line
        row, reasons = _parse_row(line, fields, currency)
        problems.extend((line, reason) for reason in reasons)
        if row is not None:
            rows.append(row)
    problems.extend(_check_products_agree(rows))
    return rows, problems


def _check_products_agree(rows: Iterable[ImportRow]) -> list[Problem]:
    """Rows of one product must agree on its name, brand, category, status and tax code."""
    problems: list[Problem] = []
    first: dict[str, ImportRow] = {}
    for row in rows:
        earlier = first.setdefault(row.product_slug, row)
        if earlier is row:
            continue
        pairs = (
            ("product_name", row.product_name, earlier.product_name),
            ("brand", row.brand, earlier.brand),
            ("category", row.category, earlier.category),
            ("status", row.status.value, earlier.status.value),
            ("tax_code", row.tax_code or "", earlier.tax_code or ""),
        )
        for column, mine, theirs in pairs:
            # Brands and categories are found ignoring case, so "ACME" and "Acme" agree.
            exact = column in ("product_name", "tax_code")
            if (mine != theirs) if exact else (mine.casefold() != theirs.casefold()):
                problems.append(
                    (
                        row.line,
                        f"product {row.product_slug!r} has {column} {mine!r} here but "
                        f"{theirs!r} on line {earlier.line}",
                    )
                )
    return problems
