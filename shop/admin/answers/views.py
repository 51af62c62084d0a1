"""The answer editor: write an answer in Markdown with a preview, then publish, schedule or
unpublish it. Every write names the version the editor opened (optimistic locking), so a
stale form gets a 409 and the current text instead of overwriting a colleague's save."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole
from shop.admin import audit
from shop.admin.answers.forms import (
    AnswerForm,
    ScheduleForm,
    VersionForm,
    bottom_line_points,
    fill_choices,
)
from shop.core.errors import DomainError, FieldError, RecordChanged
from shop.core.markdown import render_markdown
from shop.editorial.addresses import address_of, has_been_out
from shop.editorial.models import Answer
from shop.editorial.publishing import (
    publish_answer_now,
    schedule_answer,
    unpublish_answer_at_version,
)
from shop.editorial.services import (
    AnswerChange,
    AnswerContent,
    answer_fields,
    create_answer,
    update_answer,
)
from shop.extensions import db
from shop.mail.services import deliver_queued_now

bp = Blueprint("answers", __name__, url_prefix="/answers")

AUDIT_ROWS = 50
Page = tuple[str, int]


def _answer_or_404(answer_id: int) -> Answer:
    answer = db.session.get(Answer, answer_id)
    if answer is None:
        abort(404, description="There is no answer with that number.")
    return answer


def _content(form: AnswerForm) -> AnswerContent:
    return AnswerContent(
        question=form.question.data or "",
        slug=form.slug.data or "",
        letter=form.letter.data or "",
        body=form.body.data or "",
        bottom_line=bottom_line_points(form.bottom_line.data),
        doctor_id=int(form.doctor_id.data),
        reviewed_by_id=form.reviewed_by_id.data,
        reviewed_on=form.reviewed_on.data,
        concern_ids=tuple(form.concern_ids.data or ()),
        topic_ids=tuple(form.topic_ids.data or ()),
        seo_description=form.seo_description.data or None,
    )


def _saved_form(answer: Answer) -> AnswerForm:
    """The editor filled with the answer as stored (ignoring anything posted)."""
    data: dict[str, Any] = answer_fields(answer)
    if answer.slug_placeholder:
        data["slug"] = ""  # a stand-in, not an address: left empty, it is made at publish
    data["bottom_line"] = "\n".join(data["bottom_line"])
    data["reviewed_on"] = answer.reviewed_on
    data["seo_description"] = data["seo_description"] or ""
    data["version"] = answer.version
    return fill_choices(AnswerForm(formdata=None, data=data))


def _add_field_error(form: AnswerForm | ScheduleForm, exc: FieldError) -> None:
    if exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _audit(change: AnswerChange, action: str, summary: str) -> None:
    audit.record(
        current_user.id,
        current_user.email,
        action,
        "answer",
        change.answer.id,
        summary=summary,
        before=change.before or None,
        after=change.after or None,
    )


def _render_edit(
    answer: Answer,
    form: AnswerForm,
    code: int = 200,
    *,
    schedule_form: ScheduleForm | None = None,
    status_form: VersionForm | None = None,
    conflict: str | None = None,
    unsaved: AnswerForm | None = None,
    previewed: bool = False,
) -> Page:
    page = render_template(
        "admin/answers/edit.html",
        answer=answer,
        form=form,
        preview=render_markdown(form.body.data),
        previewed=previewed,
        schedule_form=schedule_form or ScheduleForm(formdata=None),
        status_form=status_form,
        conflict=conflict,
        unsaved=unsaved,
        is_public=answer.is_public(),
        address=address_of(answer),
        has_been_out=has_been_out(answer),
        audit_entries=audit.entries("answer", answer.id, limit=AUDIT_ROWS),
    )
    return page, code


def _conflict(answer_id: int, message: str, unsaved: AnswerForm | None = None) -> Page:
    """Show the answer as it is now, with status 409, after a stale write was refused."""
    db.session.rollback()
    answer = _answer_or_404(answer_id)
    return _render_edit(answer, _saved_form(answer), 409, conflict=message, unsaved=unsaved)


@bp.route("/new", methods=["GET", "POST"])
@role_required(StaffRole.EDITOR)
def new() -> Page | BaseResponse:
    """Write a new answer; POST saves it as a draft ("Preview" shows it without saving)."""
    form = fill_choices(AnswerForm())
    previewed = form.is_submitted() and "preview" in request.form
    if not previewed and form.validate_on_submit():
        try:
            change = create_answer(_content(form))
            _audit(change, "answer.create", f"Answer {change.answer.slug} created as a draft")
            answer_id = change.answer.id
            db.session.commit()
        except FieldError as exc:
            db.session.rollback()
            _add_field_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash("Draft saved. Readers cannot see it until you publish it.", "success")
            return redirect(url_for("admin.answers.edit", answer_id=answer_id), code=303)
    code = 400 if form.is_submitted() and not previewed else 200
    page = render_template(
        "admin/answers/new.html",
        form=form,
        preview=render_markdown(form.body.data),
        previewed=previewed,
    )
    return page, code


@bp.route("/<int:answer_id>", methods=["GET", "POST"])
@role_required(StaffRole.EDITOR)
def edit(answer_id: int) -> Page | BaseResponse:
    """Edit an answer and change its status; POST saves the text ("Preview" saves nothing)."""
    answer = _answer_or_404(answer_id)
    if request.method != "POST":
        return _render_edit(answer, _saved_form(answer))
    form = fill_choices(AnswerForm())
    if "preview" in request.form:
        return _render_edit(answer, form, previewed=True)
    if form.validate_on_submit():
        if form.version.data is None:
            form.form_errors.append("The form lost track of the answer's version; reload the page.")
            return _render_edit(answer, form, 400)
        try:
            change = update_answer(answer_id, _content(form), form.version.data)
            if change.after:
                _audit(
                    change,
                    "answer.edit",
                    f"Answer {change.answer.slug}: changed {', '.join(change.after)}",
                )
            db.session.commit()
        except RecordChanged as exc:
            return _conflict(answer_id, exc.message, unsaved=form)
        except FieldError as exc:
            db.session.rollback()
            _add_field_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash("Saved." if change.after else "Nothing was changed.", "success")
            return redirect(url_for("admin.answers.edit", answer_id=answer_id), code=303)
    return _render_edit(answer, form, 400)


def _status_action(
    answer_id: int,
    form: VersionForm,
    act: Callable[[int], AnswerChange],
    action: str,
    describe: Callable[[AnswerChange], str],
) -> Page | BaseResponse:
    """Run one status change for the version the editor saw; audit it, commit, tell them."""
    answer = _answer_or_404(answer_id)
    schedule_form = form if isinstance(form, ScheduleForm) else None
    if form.validate_on_submit():
        try:
            change = act(int(form.version.data))
            summary = describe(change)
            _audit(change, action, f"Answer {change.answer.slug}: {summary}")
            db.session.commit()
        except RecordChanged as exc:
            return _conflict(answer_id, exc.message)
        except FieldError as exc:
            db.session.rollback()
            _add_field_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            # Mail to askers is in the outbox with the commit (written with the answer's settled
            # address); a failure now is retried later.
            deliver_queued_now()
            flash(f"The answer is {summary}.", "success")
            return redirect(url_for("admin.answers.edit", answer_id=answer_id), code=303)
    answer = _answer_or_404(answer_id)
    return _render_edit(
        answer, _saved_form(answer), 400, schedule_form=schedule_form, status_form=form
    )


@bp.post("/<int:answer_id>/publish")
@role_required(StaffRole.EDITOR)
def publish(answer_id: int) -> Page | BaseResponse:
    """Make the answer public now."""
    return _status_action(
        answer_id,
        VersionForm(),
        lambda version: publish_answer_now(answer_id, version),
        "answer.publish",
        lambda change: f"published at {url_for('editorial.answer', slug=change.answer.slug)}",
    )


@bp.post("/<int:answer_id>/schedule")
@role_required(StaffRole.EDITOR)
def schedule(answer_id: int) -> Page | BaseResponse:
    """Schedule the answer to go public by itself at a future date and time (UTC)."""
    form = ScheduleForm()

    def act(version: int) -> AnswerChange:
        assert form.go_live.data is not None  # InputRequired
        return schedule_answer(answer_id, form.go_live.data.replace(tzinfo=UTC), version)

    return _status_action(
        answer_id,
        form,
        act,
        "answer.schedule",
        lambda change: f"scheduled to go live on {_when(change)} UTC",
    )


@bp.post("/<int:answer_id>/unpublish")
@role_required(StaffRole.EDITOR)
def unpublish(answer_id: int) -> Page | BaseResponse:
    """Take the answer back to draft; it leaves the public site at once."""
    return _status_action(
        answer_id,
        VersionForm(),
        lambda version: unpublish_answer_at_version(answer_id, version),
        "answer.unpublish",
        lambda change: "back to draft and no longer on the site",
    )


def _when(change: AnswerChange) -> str:
    published = change.answer.published_at
    assert published is not None  # just scheduled
    if published.tzinfo is not None:
        published = published.astimezone(UTC)
    return published.strftime("%Y-%m-%d %H:%M")
