"""The links editor's screens: an answer's products, a product's answers, pickers, checks.

Every change is a POST through a form, goes through `shop.links.services`, is audited
under the entity "answer_links" (the answer's id) with the link's position, note and
caution before and after, and is committed once here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole
from shop.admin import audit
from shop.admin.linking.forms import (
    AddAnswerForm,
    AddProductForm,
    LinkActionForm,
    LinkTextForm,
    SuggestionForm,
)
from shop.catalog.models import Product
from shop.core.errors import DomainError, NotFound
from shop.editorial.models import Answer
from shop.extensions import db
from shop.links import lifecycle, queries, services, suggestions
from shop.links.models import AnswerProductLink

bp = Blueprint("links", __name__, url_prefix="/links")

AUDIT_ENTITY = "answer_links"
SUGGESTIONS = 10
HISTORY_ROWS = 50
CHECK_ROWS = 200  # per list on the checks page; the CLI prints them all
Page = tuple[str, int]


def _query_text() -> tuple[str, bool]:
    """The picker's search text, bounded; and whether it had to be cut."""
    raw = request.args.get("q", "", type=str).strip()
    return raw[: queries.PICK_QUERY_MAX], len(raw) > queries.PICK_QUERY_MAX


def _answer_or_404(answer_id: int) -> Answer:
    found = db.session.get(Answer, answer_id)
    if found is None:
        abort(404, description="There is no answer with that number.")
    return found


def _product_or_404(product_id: int) -> Product:
    found = db.session.get(Product, product_id)
    if found is None:
        abort(404, description="There is no product with that number.")
    return found


def _text_form(link_id: int, side: str, obj: Any = None, posted: bool = False) -> LinkTextForm:
    """The note-and-caution form of one link; only the posted one reads the request."""
    prefix = f"link-{link_id}"
    if posted:
        return LinkTextForm(prefix=prefix)
    form = LinkTextForm(prefix=prefix, formdata=None, obj=obj)
    form.back.data = side
    return form


def _record(action: str, change: services.LinkChange, summary: str) -> None:
    audit.record(
        current_user.id,
        current_user.email,
        action,
        AUDIT_ENTITY,
        change.answer_id,
        summary,
        before=change.before,
        after=change.after,
    )


def _pos(change: services.LinkChange) -> int:
    """The link's place after the change (before it, for a removal)."""
    return int((change.after or change.before or {}).get("position", 0))


def _back(side: str | None, change: services.LinkChange, q: str = "") -> BaseResponse:
    if side == "product":
        target = url_for("admin.links.product", product_id=change.product_id, q=q or None)
    else:
        target = url_for("admin.links.answer", answer_id=change.answer_id, q=q or None)
    return redirect(target + "#links", code=303)


# --- The checks ------------------------------------------------------------------------


@bp.get("/")
@role_required(StaffRole.EDITOR)
def index() -> str:
    """List what `flask links check` finds, each with a link to the screen that fixes it."""
    return render_template(
        "admin/links/index.html",
        unavailable=lifecycle.answers_recommending_unavailable(),
        lonely=lifecycle.answers_without_products(),
        unloved=lifecycle.products_without_answers(),
        shown=CHECK_ROWS,
    )


# --- The answer side -------------------------------------------------------------------


def _answer_page(
    answer_id: int,
    *,
    posted: LinkTextForm | None = None,
    posted_link: int | None = None,
    add_form: AddProductForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    answer = _answer_or_404(answer_id)
    q, cut = _query_text()
    links = queries.answer_links_for_editor(answer_id)
    forms = {
        item.link.id: posted
        if posted is not None and item.link.id == posted_link
        else _text_form(item.link.id, "answer", item.link)
        for item in links
    }
    page = render_template(
        "admin/links/answer.html",
        answer=answer,
        public=answer.is_public(),
        links=links,
        forms=forms,
        add_form=add_form or AddProductForm(formdata=None),
        q=q,
        cut=cut,
        picks=queries.pick_products(q, answer_id) if q else [],
        note_max=services.NOTE_MAX,
        caution_max=services.CAUTION_MAX,
        history=audit.entries(AUDIT_ENTITY, answer_id, limit=HISTORY_ROWS),
    )
    return page, status


@bp.get("/answers/<int:answer_id>")
@role_required(StaffRole.EDITOR)
def answer(answer_id: int) -> Page:
    """An answer's products in order, to edit, reorder and remove, and a picker to add more."""
    return _answer_page(answer_id)


@bp.post("/answers/<int:answer_id>/links")
@role_required(StaffRole.EDITOR)
def add_product(answer_id: int) -> BaseResponse | Page:
    """Link a product to the answer, after its other products."""
    _answer_or_404(answer_id)
    form = AddProductForm()
    if form.validate_on_submit():
        try:
            change = services.add_link(answer_id, int(form.product_id.data), form.note.data or "")
            _record("link.add", change, f"Linked {change.product_name} at #{_pos(change)}")
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash(f"{change.product_name} is now recommended, at #{_pos(change)}.", "success")
            return _back("answer", change, request.args.get("q", "")[: queries.PICK_QUERY_MAX])
    return _answer_page(answer_id, add_form=form, status=400)


# Suggestions read the whole catalogue (about a second at 10,000 products), so they have
# pages of their own and the link pages that editors come back to after every change stay fast.


@bp.get("/answers/<int:answer_id>/suggestions")
@role_required(StaffRole.EDITOR)
def answer_suggestions(answer_id: int) -> str:
    """Products this answer mentions or shares concerns with, with why, to accept or dismiss."""
    answer = _answer_or_404(answer_id)
    return render_template(
        "admin/links/answer_suggestions.html",
        answer=answer,
        suggested=suggestions.suggest_products_for_answer(answer_id, SUGGESTIONS),
    )


@bp.get("/products/<int:product_id>/suggestions")
@role_required(StaffRole.EDITOR)
def product_suggestions(product_id: int) -> str:
    """Answers that mention this product or share its concerns, to accept or dismiss."""
    product = _product_or_404(product_id)
    return render_template(
        "admin/links/product_suggestions.html",
        product=product,
        suggested=suggestions.suggest_answers_for_product(product_id, SUGGESTIONS),
    )


@bp.post("/answers/<int:answer_id>/suggestions/<int:product_id>/accept")
@role_required(StaffRole.EDITOR)
def accept(answer_id: int, product_id: int) -> BaseResponse:
    """Link a suggested product to the answer, after its other products."""
    return _suggestion(answer_id, product_id, accept=True)


@bp.post("/answers/<int:answer_id>/suggestions/<int:product_id>/dismiss")
@role_required(StaffRole.EDITOR)
def dismiss(answer_id: int, product_id: int) -> BaseResponse:
    """Turn a suggested product down for this answer, for good."""
    return _suggestion(answer_id, product_id, accept=False)


def _suggestion(answer_id: int, product_id: int, accept: bool) -> BaseResponse:
    form = SuggestionForm()
    if not form.validate_on_submit():
        abort(400, description="That request was incomplete; go back and try again.")
    side = str(form.back.data)
    where = (
        url_for("admin.links.product_suggestions", product_id=product_id)
        if side == "product"
        else url_for("admin.links.answer_suggestions", answer_id=answer_id)
    )
    try:
        if accept:
            change = services.accept_suggestion(answer_id, product_id)
            summary = f"Linked suggested {change.product_name} at #{_pos(change)}"
            _record("link.accept", change, summary)
            message = f"{change.product_name} is now recommended, at #{_pos(change)}."
        else:
            name = services.dismiss_suggestion(answer_id, product_id)
            audit.record(
                current_user.id,
                current_user.email,
                "suggestion.dismiss",
                AUDIT_ENTITY,
                answer_id,
                f"Dismissed the suggestion {name}",
                before=None,
                after={"product_id": product_id, "dismissed": True},
            )
            message = f"{name} will not be suggested for this answer again."
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, NotFound):
            abort(404, description=exc.message)
        flash(exc.message, "error")
        return redirect(where, code=303)
    flash(message, "success")
    return redirect(where, code=303)


# --- One link: note and caution, order, removal ----------------------------------------


@bp.post("/links/<int:link_id>/text")
@role_required(StaffRole.EDITOR)
def update_text(link_id: int) -> BaseResponse | Page:
    """Save the doctor's note and caution beside one recommended product."""
    form = _text_form(link_id, "answer", posted=True)
    found = db.session.get(AnswerProductLink, link_id)
    if found is None:
        abort(404, description="That link no longer exists; it may have just been removed.")
    answer_id, product_id = found.answer_id, found.product_id
    if form.validate_on_submit():
        try:
            change = services.update_link(link_id, form.note.data or "", form.caution.data or "")
            if change.changed:
                _record("link.update", change, f"Note and caution of {change.product_name}")
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            if change.changed:
                flash(f"Saved the note and caution for {change.product_name}.", "success")
            else:
                flash(f"Nothing changed for {change.product_name}.", "info")
            return _back(form.back.data, change)
    if form.back.data == "product":
        return _product_page(product_id, posted=form, posted_link=link_id, status=400)
    return _answer_page(answer_id, posted=form, posted_link=link_id, status=400)


@bp.post("/links/<int:link_id>/move/<direction>")
@role_required(StaffRole.EDITOR)
def move(link_id: int, direction: str) -> BaseResponse:
    """Move a recommended product one place up or down the answer's list."""
    if direction not in services.DIRECTIONS:
        abort(404, description="A product can only be moved up or down.")
    form = LinkActionForm()
    if not form.validate_on_submit():
        abort(400, description="That request was incomplete; go back and try again.")
    try:
        change = services.move_link(link_id, direction)
        if change.changed:
            _record(
                "link.move",
                change,
                f"Moved {change.product_name} {direction} to #{_pos(change)} "
                f"(swapped with {change.swapped_with})",
            )
        db.session.commit()
    except NotFound as exc:
        db.session.rollback()
        abort(404, description=exc.message)
    if change.changed:
        flash(f"Moved {change.product_name} {direction} to #{_pos(change)}.", "success")
    else:
        edge = "first" if direction == "up" else "last"
        flash(f"{change.product_name} is already {edge}; nothing moved.", "info")
    return _back(form.back.data, change)


@bp.post("/links/<int:link_id>/remove")
@role_required(StaffRole.EDITOR)
def remove(link_id: int) -> BaseResponse:
    """Stop recommending a product in an answer."""
    form = LinkActionForm()
    if not form.validate_on_submit():
        abort(400, description="That request was incomplete; go back and try again.")
    try:
        change = services.unlink(link_id)
        _record("link.remove", change, f"Removed {change.product_name} (was #{_pos(change)})")
        db.session.commit()
    except NotFound as exc:
        db.session.rollback()
        abort(404, description=exc.message)
    flash(
        f"{change.product_name} is no longer recommended in “{change.answer_question}”.", "success"
    )
    return _back(form.back.data, change)


# --- The product side ------------------------------------------------------------------


def _product_page(
    product_id: int,
    *,
    posted: LinkTextForm | None = None,
    posted_link: int | None = None,
    add_form: AddAnswerForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    product = _product_or_404(product_id)
    q, cut = _query_text()
    links = queries.product_links_for_editor(product_id)
    forms = {
        item.link.id: posted
        if posted is not None and item.link.id == posted_link
        else _text_form(item.link.id, "product", item.link)
        for item in links
    }
    page = render_template(
        "admin/links/product.html",
        product=product,
        links=links,
        forms=forms,
        add_form=add_form or AddAnswerForm(formdata=None),
        q=q,
        cut=cut,
        picks=queries.pick_answers(q, product_id) if q else [],
        note_max=services.NOTE_MAX,
        caution_max=services.CAUTION_MAX,
    )
    return page, status


@bp.get("/products/<int:product_id>")
@role_required(StaffRole.EDITOR)
def product(product_id: int) -> Page:
    """The answers recommending a product, their notes, and a picker to recommend it in more."""
    return _product_page(product_id)


@bp.post("/products/<int:product_id>/answers")
@role_required(StaffRole.EDITOR)
def recommend(product_id: int) -> BaseResponse | Page:
    """Recommend the product in a chosen answer, after that answer's other products."""
    _product_or_404(product_id)
    form = AddAnswerForm()
    if form.validate_on_submit():
        try:
            change = services.add_link(int(form.answer_id.data), product_id, form.note.data or "")
            _record("link.add", change, f"Linked {change.product_name} at #{_pos(change)}")
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash(
                f"“{change.answer_question}” now recommends {change.product_name}, "
                f"at #{_pos(change)}.",
                "success",
            )
            return _back("product", change, request.args.get("q", "")[: queries.PICK_QUERY_MAX])
    return _product_page(product_id, add_form=form, status=400)


# --- The pickers' live results ---------------------------------------------------------


@bp.get("/pick/products")
@role_required(StaffRole.EDITOR)
def pick_products() -> str:
    """The product picker's rows for `q` as an HTML fragment (the page shows the same rows)."""
    answer = _answer_or_404(request.args.get("answer_id", 0, type=int))
    q, cut = _query_text()
    return render_template(
        "admin/links/_product_picks.html",
        answer=answer,
        q=q,
        cut=cut,
        picks=queries.pick_products(q, answer.id) if q else [],
        add_form=AddProductForm(formdata=None),
        note_max=services.NOTE_MAX,
    )


@bp.get("/pick/answers")
@role_required(StaffRole.EDITOR)
def pick_answers() -> str:
    """The answer picker's rows for `q` as an HTML fragment (the page shows the same rows)."""
    product = _product_or_404(request.args.get("product_id", 0, type=int))
    q, cut = _query_text()
    return render_template(
        "admin/links/_answer_picks.html",
        product=product,
        q=q,
        cut=cut,
        picks=queries.pick_answers(q, product.id) if q else [],
        add_form=AddAnswerForm(formdata=None),
        note_max=services.NOTE_MAX,
    )
