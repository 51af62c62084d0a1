"""Stock screens of the staff admin: find variants, see low stock, list every variant with
its price and stock (sorted, paged, as CSV), adjust on-hand stock, and a stocktake screen that
sets many variants' counted figures at once."""

from __future__ import annotations

import itertools
import math
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole
from shop.admin import audit
from shop.admin.forms import STOCKTAKE_MAX_ROWS, StockAdjustForm, StocktakeForm
from shop.admin.paging import page_number, sort_order
from shop.admin.records.base import csv_download
from shop.admin.sections import register_section
from shop.catalog.models import Category, Product, Variant
from shop.core.money import format_major
from shop.extensions import db
from shop.inventory.exceptions import StockError
from shop.inventory.models import StockAdjustment, StockRecord
from shop.inventory.services import (
    StocktakeRefused,
    adjust_on_hand,
    apply_stocktake,
    stocktake_problems,
)

bp = Blueprint("stock", __name__, url_prefix="/stock")

MAX_ROWS = 100  # low-stock rows shown
PER_PAGE = 50
EXPORT_HEADER = (
    "sku",
    "product",
    "size",
    "price",
    "currency",
    "on_hand",
    "allocated",
    "available",
)
QUERY_MAX = 100
HISTORY_ROWS = 200


def register_sections(app: Flask) -> None:
    """List the stock screens in the admin navigation."""
    register_section(
        app,
        "admin.stock.index",
        "Stock",
        (StaffRole.FULFILMENT,),
        "find variants, low stock, adjust, stocktake, export",
        tabs=(("Stock levels", "admin.stock.index"), ("Stocktake", "admin.stock.bulk")),
    )


def _available() -> Any:
    return StockRecord.on_hand - StockRecord.allocated


# The variant list's sort keys and what each sorts by (ties broken by product, then SKU).
SORTS: dict[str, Any] = {
    "product": Product.name,
    "sku": Variant.sku,
    "price": Variant.price,
    "on_hand": StockRecord.on_hand,
    "allocated": StockRecord.allocated,
    "available": _available(),
}


def _select() -> Any:
    return (
        sa.select(
            Variant.id,
            Variant.sku,
            Variant.size_label,
            Variant.price,
            Variant.currency,
            Product.name.label("product_name"),
            StockRecord.on_hand,
            StockRecord.allocated,
            _available().label("available"),
        )
        .join(Product, Product.id == Variant.product_id)
        .join(StockRecord, StockRecord.variant_id == Variant.id)
    )


def _matching(q: str) -> Any:
    """Variants whose SKU or product name contains `q` (any case); all when `q` is blank."""
    if not q:
        return sa.true()
    needle = q.lower()
    return sa.or_(
        sa.func.lower(Variant.sku).contains(needle, autoescape=True),
        sa.func.lower(Product.name).contains(needle, autoescape=True),
    )


def _query() -> str:
    return request.args.get("q", "", type=str).strip()[:QUERY_MAX]


@bp.get("/")
@role_required(StaffRole.FULFILMENT)
def index() -> str:
    """Search variants by SKU or product name (the matches first), what is running low, and
    every variant with its price and stock, sortable, 50 a page."""
    q = _query()
    sort = sort_order(SORTS, "product")
    number = page_number()
    threshold = int(current_app.config["SHOP_LOW_STOCK_THRESHOLD"])
    low = db.session.execute(
        _select()
        .where(_available() <= threshold)
        .order_by(_available(), Product.name, Variant.sku)
        .limit(MAX_ROWS)
    ).all()
    match = _matching(q)
    total = int(
        db.session.scalar(
            sa.select(sa.func.count(Variant.id))
            .join(Product, Product.id == Variant.product_id)
            .join(StockRecord, StockRecord.variant_id == Variant.id)
            .where(match)
        )
        or 0
    )
    pages = max(1, math.ceil(total / PER_PAGE))
    if number > pages:
        abort(400, description=f"There is no page {number}; this list has {pages}.")
    column = SORTS[sort.key]
    rows = db.session.execute(
        _select()
        .where(match)
        .order_by(
            column.desc() if sort.descending else column.asc(),
            Product.name,
            Variant.position,
            Variant.id,
        )
        .limit(PER_PAGE)
        .offset((number - 1) * PER_PAGE)
    ).all()
    return render_template(
        "admin/stock.html",
        q=q,
        low=low,
        rows=rows,
        total=total,
        sort=sort,
        page=number,
        pages=pages,
        threshold=threshold,
        max_rows=MAX_ROWS,
    )


def _export_cells(row: Any) -> list[Any]:
    return [
        row.sku,
        row.product_name,
        row.size_label,
        format_major(row.price, row.currency),
        row.currency,
        row.on_hand,
        row.allocated,
        row.available,
    ]


@bp.get("/export.csv")
@role_required(StaffRole.FULFILMENT)
def export() -> BaseResponse:
    """Every variant matching the search, with its price and stock, as CSV."""
    q = _query()

    rows = db.session.execute(
        _select().where(_matching(q)).order_by(Product.name, Variant.position, Variant.id)
    )
    return csv_download(itertools.chain([EXPORT_HEADER], map(_export_cells, rows)), "stock.csv")


@bp.route("/<int:variant_id>", methods=["GET", "POST"])
@role_required(StaffRole.FULFILMENT)
def variant(variant_id: int) -> str | BaseResponse:
    """One variant's figures, its adjustment form, and its history; POST adjusts stock."""
    found = _variant_or_404(variant_id)
    sku = found.sku
    form = StockAdjustForm()
    if form.validate_on_submit():
        delta = int(form.delta.data or 0)
        reason = str(form.reason.data)
        note = str(form.note.data or "")
        try:
            new = adjust_on_hand(variant_id, delta, reason, note)
            old = new - delta
            audit.record(
                current_user.id,
                current_user.email,
                "stock.adjust",
                "variant",
                variant_id,
                f"{sku}: {delta:+d} ({reason}), on hand {old} → {new}",
                before={"on_hand": old},
                after={"on_hand": new},
            )
            db.session.commit()
        except StockError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash(f"Stock of SKU {sku} is now {new}.", "success")
            return redirect(url_for("admin.stock.variant", variant_id=variant_id), code=303)
        found = _variant_or_404(variant_id)
    status = 400 if form.is_submitted() else 200
    history = db.session.scalars(
        sa.select(StockAdjustment)
        .where(StockAdjustment.variant_id == variant_id)
        .order_by(StockAdjustment.id.desc())
        .limit(HISTORY_ROWS)
    ).all()
    return render_template(  # type: ignore[return-value]
        "admin/stock_variant.html",
        variant=found,
        stock=found.stock,
        form=form,
        history=history,
        audit_entries=audit.entries("variant", variant_id, limit=HISTORY_ROWS),
    ), status


def _variant_or_404(variant_id: int) -> Variant:
    found = db.session.get(Variant, variant_id)
    if found is None or found.stock is None:
        abort(404, description="There is no variant with that number.")
    return found


# --- Stocktake ----------------------------------------------------------------------------


def _bulk_filters() -> dict[str, Any]:
    """The stocktake's row filters from the query string (kept on the form's action URL)."""
    q = request.args.get("q", "", type=str).strip()[:QUERY_MAX]
    category = request.args.get("category", type=int)
    low = request.args.get("low", "") == "1"
    return {"q": q, "category": category, "low": low}


def _filter_query(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters as query-string arguments, leaving out those not in use."""
    query: dict[str, Any] = {}
    if filters["q"]:
        query["q"] = filters["q"]
    if filters["category"] is not None:
        query["category"] = filters["category"]
    if filters["low"]:
        query["low"] = "1"
    return query


def _stock_rows(where: Any, limit: int | None = None) -> list[Any]:
    stmt = (
        sa.select(
            Variant.id,
            Variant.sku,
            Variant.size_label,
            Product.name.label("product_name"),
            StockRecord.on_hand,
            StockRecord.allocated,
        )
        .join(Product, Product.id == Variant.product_id)
        .join(StockRecord, StockRecord.variant_id == Variant.id)
        .where(where)
        .order_by(Product.name, Variant.position, Variant.id)
        .limit(limit)
    )
    return list(db.session.execute(stmt).all())


def _bulk_rows(filters: dict[str, Any]) -> tuple[list[Any], bool]:
    """The rows the filters choose (at most `STOCKTAKE_MAX_ROWS`), and whether more match."""
    conditions: list[Any] = []
    if filters["q"]:
        needle = filters["q"].lower()
        conditions.append(
            sa.or_(
                sa.func.lower(Variant.sku).contains(needle, autoescape=True),
                sa.func.lower(Product.name).contains(needle, autoescape=True),
            )
        )
    if filters["category"] is not None:
        conditions.append(Product.category_id == filters["category"])
    if filters["low"]:
        threshold = int(current_app.config["SHOP_LOW_STOCK_THRESHOLD"])
        conditions.append(StockRecord.on_hand - StockRecord.allocated <= threshold)
    rows = _stock_rows(sa.and_(sa.true(), *conditions), limit=STOCKTAKE_MAX_ROWS + 1)
    return rows[:STOCKTAKE_MAX_ROWS], len(rows) > STOCKTAKE_MAX_ROWS


def _bulk_page(form: StocktakeForm, filters: dict[str, Any], more: bool, status: int) -> Any:
    ids = [e.form.variant_id.data for e in form.rows if isinstance(e.form.variant_id.data, int)]
    info = {r.id: r for r in _stock_rows(Variant.id.in_(ids))} if ids else {}
    categories = db.session.scalars(
        sa.select(Category).order_by(Category.position, Category.name)
    ).all()
    return render_template(
        "admin/stock_bulk.html",
        form=form,
        info=info,
        filters=filters,
        categories=categories,
        more=more,
        action=url_for("admin.stock.bulk", **_filter_query(filters)),
        max_rows=STOCKTAKE_MAX_ROWS,
        threshold=int(current_app.config["SHOP_LOW_STOCK_THRESHOLD"]),
    ), status


def _counts(form: StocktakeForm) -> dict[int, tuple[int, int]]:
    """{variant id: (on hand when loaded, counted)} of the rows with a usable count; a
    variant posted twice is marked on its second row."""
    counts: dict[int, tuple[int, int]] = {}
    for entry in form.rows:
        row = entry.form
        if row.errors or row.count is None:
            continue
        if row.variant_id.data in counts:
            row.counted.errors.append("This variant is already counted in another row.")
            continue
        counts[row.variant_id.data] = (row.loaded.data, row.count)
    return counts


def _mark_problems(form: StocktakeForm, problems: dict[int, str]) -> None:
    """Put each refused variant's message next to its row."""
    for entry in form.rows:
        message = problems.get(entry.form.variant_id.data)
        if message and entry.form.count is not None and not entry.form.counted.errors:
            entry.form.counted.errors.append(message)


@bp.route("/bulk", methods=["GET", "POST"])
@role_required(StaffRole.FULFILMENT)
def bulk() -> Any:
    """Stocktake: enter counted on-hand figures for many variants; all or nothing."""
    filters = _bulk_filters()
    if request.method == "GET":
        rows, more = _bulk_rows(filters)
        form = StocktakeForm(
            data={"rows": [{"variant_id": r.id, "loaded": r.on_hand, "counted": ""} for r in rows]}
        )
        return _bulk_page(form, filters, more, 200)

    if StocktakeForm.posted_rows(request.form) > STOCKTAKE_MAX_ROWS:
        abort(
            400,
            description=f"A stocktake can save at most {STOCKTAKE_MAX_ROWS} rows at a time; "
            "narrow the search and save in parts.",
        )
    form = StocktakeForm()
    valid = form.validate_on_submit()
    counts = _counts(form)
    if valid and not counts and not any(e.form.counted.errors for e in form.rows):
        form.form_errors.append("Enter at least one count; blank rows are left alone.")
        valid = False
    if not valid or any(e.form.counted.errors for e in form.rows):
        # Say everything that is wrong at once, including rows the stock check refuses.
        problems = stocktake_problems(counts)[0]
        _mark_problems(form, problems)
        _refresh_stale(form, problems)
        return _bulk_page(form, filters, False, 400)

    reason, note = str(form.reason.data), str(form.note.data or "")
    skus = {r.id: r.sku for r in _stock_rows(Variant.id.in_(list(counts)))}
    try:
        applied = apply_stocktake(counts, reason, note)
        # One audit entry per changed variant, in the same unit of work as the change.
        for change in applied:
            sku = skus.get(change.variant_id, str(change.variant_id))
            audit.record(
                current_user.id,
                current_user.email,
                "stock.count",
                "variant",
                change.variant_id,
                f"{sku}: counted {change.after} ({reason}), on hand {change.before} → "
                f"{change.after}",
                before={"on_hand": change.before},
                after={"on_hand": change.after},
            )
        db.session.commit()
    except StocktakeRefused as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        _mark_problems(form, exc.problems)
        _refresh_stale(form, exc.problems)
        return _bulk_page(form, filters, False, 400)
    except StockError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return _bulk_page(form, filters, False, 400)
    n = len(applied)
    skipped = len(counts) - n
    message = f"Updated {n} variant{'s' if n != 1 else ''}."
    if skipped:
        message += f" {skipped} count{'s' if skipped != 1 else ''} matched on hand already."
    flash(message, "success")
    return redirect(url_for("admin.stock.bulk", **_filter_query(filters)), code=303)


def _refresh_stale(form: StocktakeForm, problems: dict[int, str]) -> None:
    """A refused row's "on hand when loaded" becomes today's figure: the message has shown
    it, so saving again accepts the count against it (other rows keep their old figure)."""
    ids = [vid for vid in problems if isinstance(vid, int)]
    now = {r.id: r.on_hand for r in _stock_rows(Variant.id.in_(ids))} if ids else {}
    for entry in form.rows:
        vid = entry.form.variant_id.data
        if vid in problems and vid in now and now[vid] != entry.form.loaded.data:
            entry.form.loaded.data = now[vid]
            entry.form.loaded.raw_data = [str(now[vid])]
