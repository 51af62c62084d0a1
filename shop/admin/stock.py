"""Stock screens of the staff admin: find variants, see low stock, adjust on-hand stock."""

from __future__ import annotations

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
from shop.admin.forms import StockAdjustForm
from shop.admin.sections import register_section
from shop.catalog.models import Product, Variant
from shop.extensions import db
from shop.inventory.exceptions import StockError
from shop.inventory.models import StockAdjustment, StockRecord
from shop.inventory.services import adjust_on_hand

bp = Blueprint("admin_stock", __name__, url_prefix="/admin/stock")

MAX_ROWS = 100
QUERY_MAX = 100
HISTORY_ROWS = 200


def init_stock_admin(app: Flask) -> None:
    """Register the stock screens and their place in the admin navigation."""
    app.register_blueprint(bp)
    register_section(
        app,
        "admin_stock.index",
        "Stock",
        (StaffRole.FULFILMENT,),
        "adjust stock, history, low stock",
    )


def _rows(where: Any, order_by: Any) -> list[Any]:
    available = (StockRecord.on_hand - StockRecord.allocated).label("available")
    stmt = (
        sa.select(
            Variant.id,
            Variant.sku,
            Variant.size_label,
            Product.name.label("product_name"),
            StockRecord.on_hand,
            StockRecord.allocated,
            available,
        )
        .join(Product, Product.id == Variant.product_id)
        .join(StockRecord, StockRecord.variant_id == Variant.id)
        .where(where)
        .order_by(*order_by)
        .limit(MAX_ROWS)
    )
    return list(db.session.execute(stmt).all())


@bp.get("/")
@role_required(StaffRole.FULFILMENT)
def index() -> str:
    """Search variants by SKU or product name, and list what is running low."""
    q = request.args.get("q", "", type=str).strip()[:QUERY_MAX]
    threshold = int(current_app.config["SHOP_LOW_STOCK_THRESHOLD"])
    low = _rows(
        StockRecord.on_hand - StockRecord.allocated <= threshold,
        (StockRecord.on_hand - StockRecord.allocated, Product.name, Variant.sku),
    )
    match: Any = sa.true()
    if q:
        needle = q.lower()
        match = sa.or_(
            sa.func.lower(Variant.sku).contains(needle, autoescape=True),
            sa.func.lower(Product.name).contains(needle, autoescape=True),
        )
    rows = _rows(match, (Product.name, Variant.position, Variant.id))
    return render_template(
        "admin/stock.html",
        q=q,
        low=low,
        rows=rows,
        threshold=threshold,
        max_rows=MAX_ROWS,
    )


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
            return redirect(url_for("admin_stock.variant", variant_id=variant_id), code=303)
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
