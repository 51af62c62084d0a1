"""The shop's own pages in the admin: a list, and an editor per page with a Markdown preview.

Owners and editors may edit. Every save names the version the editor opened (optimistic
locking): a stale form gets a 409, the page as it is now and the editor's own text to copy
from, instead of overwriting a colleague's save. Each change is written to the audit log in
the same transaction.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import HiddenInput

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole
from shop.admin import audit
from shop.admin.sections import register_section
from shop.core.errors import DomainError, FieldError, RecordChanged
from shop.core.forms import ShopForm, multiline_text, strip_text, too_long
from shop.core.markdown import render_markdown
from shop.extensions import db
from shop.pages import queries
from shop.pages.models import BODY_MAX, SEO_MAX, SLUG_MAX, TITLE_MAX, Page
from shop.pages.services import (
    PageChange,
    PageContent,
    page_fields,
    update_page,
)

bp = Blueprint("pages", __name__, url_prefix="/pages")

AUDIT_ROWS = 50
VERSION_MAX = 2**31 - 1
Rendered = tuple[str, int]


def register_sections(app: Flask) -> None:
    """List the page editor in the admin navigation for editors."""
    register_section(
        app,
        "admin.pages.index",
        "Pages",
        (StaffRole.EDITOR,),
        "contact, shipping and returns, privacy, terms and about: the pages in the footer",
    )


class PageForm(ShopForm):
    """A page's title, text and description for search engines, and the version opened."""

    title = StringField(
        "Title",
        validators=[InputRequired("Enter the page's title."), too_long("title", TITLE_MAX)],
        filters=[strip_text],
    )
    body_markdown = TextAreaField(
        "Text (Markdown)", validators=[too_long("text", BODY_MAX)], filters=[multiline_text]
    )
    seo_description = TextAreaField(
        "Description for search engines (optional)",
        validators=[too_long("description", SEO_MAX)],
        filters=[multiline_text],
    )
    version = IntegerField(
        "Version",
        widget=HiddenInput(),
        validators=[
            InputRequired("The form lost track of the page's version; reload the page."),
            NumberRange(min=1, max=VERSION_MAX, message="That version number is not valid."),
        ],
    )


def _page_or_404(slug: str) -> Page:
    page = queries.page_by_slug(slug) if len(slug) <= SLUG_MAX else None
    if page is None:
        abort(404, description="There is no page at that address.")
    return page


def _saved_form(page: Page) -> PageForm:
    """The editor filled with the page as stored (ignoring anything posted)."""
    data = page_fields(page)
    data["seo_description"] = data["seo_description"] or ""
    data["version"] = page.version
    return PageForm(formdata=None, data=data)


def _render_edit(
    page: Page,
    form: PageForm,
    code: int = 200,
    *,
    previewed: bool = False,
    conflict: str | None = None,
    unsaved: PageForm | None = None,
) -> Rendered:
    html = render_template(
        "admin/pages/edit.html",
        page=page,
        form=form,
        preview=render_markdown(form.body_markdown.data),
        previewed=previewed,
        conflict=conflict,
        unsaved=unsaved,
        audit_entries=audit.entries("page", page.slug, limit=AUDIT_ROWS),
    )
    return html, code


def _audit(change: PageChange) -> None:
    audit.record(
        current_user.id,
        current_user.email,
        "page.edit",
        "page",
        change.page.slug,
        summary=f"Page {change.page.slug}: changed {', '.join(change.after)}",
        before=change.before,
        after=change.after,
    )


@bp.get("/")
@role_required(StaffRole.EDITOR)
def index() -> str:
    """List the shop's pages with when each was last changed."""
    return render_template("admin/pages/index.html", pages=queries.all_pages())


@bp.route("/<slug>", methods=["GET", "POST"])
@role_required(StaffRole.EDITOR)
def edit(slug: str) -> Rendered | BaseResponse:
    """Edit a page; POST saves it for the version opened ("Preview" saves nothing)."""
    page = _page_or_404(slug)
    if request.method != "POST":
        return _render_edit(page, _saved_form(page))
    form = PageForm()
    if "preview" in request.form:
        return _render_edit(page, form, previewed=True)
    if not form.validate_on_submit():
        return _render_edit(page, form, 400)
    assert form.version.data is not None  # InputRequired
    content = PageContent(
        title=form.title.data or "",
        body_markdown=form.body_markdown.data or "",
        seo_description=form.seo_description.data or None,
    )
    try:
        change = update_page(slug, content, form.version.data)
        if change.after:
            _audit(change)
        db.session.commit()
    except RecordChanged as exc:
        db.session.rollback()
        page = _page_or_404(slug)
        return _render_edit(page, _saved_form(page), 409, conflict=exc.message, unsaved=form)
    except FieldError as exc:
        db.session.rollback()
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
        return _render_edit(_page_or_404(slug), form, 400)
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return _render_edit(_page_or_404(slug), form, 400)
    if change.after:
        flash("Saved. The page on the site shows the new text now.", "success")
    else:
        flash("Nothing was changed.", "success")
    return redirect(url_for("admin.pages.edit", slug=slug), code=303)
