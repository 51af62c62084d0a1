"""Promotions in the admin: the list with what each code brought, a form to make one, and
ending one (after a confirmation). Owners make and end codes; other staff may look.

Making and ending go to Stripe first (through `shop.promotions.services`); each change is
written to the audit log in the same transaction as the promotion.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole
from shop.admin import audit
from shop.admin.sections import register_section
from shop.extensions import db
from shop.promotions import queries
from shop.promotions.forms import PromotionForm
from shop.promotions.models import Promotion
from shop.promotions.services import (
    PromotionError,
    PromotionFieldError,
    create_promotion,
    end_promotion,
    find_by_code,
)

bp = Blueprint("promotions", __name__, url_prefix="/promotions")

ALL_STAFF = (StaffRole.EDITOR, StaffRole.FULFILMENT)
Rendered = tuple[str, int]


def register_sections(app: Flask) -> None:
    """List the promotions screens in the admin navigation for all staff."""
    register_section(
        app,
        "admin.promotions.index",
        "Promotions",
        ALL_STAFF,
        "discount codes, their rules, and the orders and revenue each brought",
    )


def _form(formdata: object = None) -> PromotionForm:
    kwargs = {} if formdata is not None else {"formdata": None}
    return PromotionForm(
        currency=current_app.config["SHOP_CURRENCY"],
        answers=list(queries.answer_choices()),
        **kwargs,
    )


def _render_index(form: PromotionForm, code: int = 200) -> Rendered:
    html = render_template(
        "admin/promotions/index.html",
        rows=queries.promotion_rows(),
        form=form,
        may_change=current_user.has_role(StaffRole.OWNER),
    )
    return html, code


def record_audit(action: str, promotion: Promotion, actor_id: int | None, actor_email: str) -> None:
    """Write a promotion's creation or end to the audit log (flushes; the caller commits)."""
    verb = "Made" if action == "promotion.create" else "Ended"
    audit.record(
        actor_id,
        actor_email,
        action,
        "promotion",
        promotion.code,
        summary=f"{verb} the promotion code {promotion.code}",
        after={
            "percent_off": promotion.percent_off,
            "amount_off": promotion.amount_off,
            "currency": promotion.currency,
            "min_subtotal": promotion.min_subtotal,
            "max_redemptions": promotion.max_redemptions,
            "expires_at": promotion.expires_at.isoformat() if promotion.expires_at else None,
            "once_per_customer": promotion.once_per_customer,
            "answer_id": promotion.answer_id,
            "stripe_promotion_code_id": promotion.stripe_promotion_code_id,
        },
    )


@bp.get("/")
@role_required(*ALL_STAFF)
def index() -> Rendered:
    """List every promotion with its rules, status, redemptions and revenue."""
    return _render_index(_form())


@bp.post("/")
@role_required(StaffRole.OWNER)
def create() -> Rendered | BaseResponse:
    """Make a promotion at Stripe and in the shop from the form."""
    form = _form(request.form)
    if not form.validate():
        return _render_index(form, 400)
    try:
        promotion = create_promotion(form.rules())
        record_audit("promotion.create", promotion, current_user.id, current_user.email)
        db.session.commit()
    except PromotionFieldError as exc:
        db.session.rollback()
        field = form._fields.get(exc.field) or form.code
        field.errors = [*field.errors, exc.message]
        return _render_index(form, 400)
    except PromotionError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return _render_index(form, 502)
    flash(f"The code {promotion.code} works now, in the cart and on Stripe's page.", "success")
    return redirect(url_for("admin.promotions.index"), code=303)


@bp.post("/<code>/end")
@role_required(StaffRole.OWNER)
def end(code: str) -> Rendered | BaseResponse:
    """Ask to confirm, then end a promotion at Stripe and in the shop."""
    try:
        promotion = find_by_code(code)
    except PromotionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.promotions.index"), code=303)
    if request.form.get("confirm") != "yes":
        db.session.rollback()
        return render_template("admin/promotions/end.html", promotion=promotion), 200
    try:
        promotion = end_promotion(code)
        record_audit("promotion.end", promotion, current_user.id, current_user.email)
        db.session.commit()
    except PromotionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.promotions.index"), code=303)
    flash(f"The code {promotion.code} has ended; customers can no longer use it.", "success")
    return redirect(url_for("admin.promotions.index"), code=303)
