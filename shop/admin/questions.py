"""The "Ask the doctor" inbox for editors: list readers' questions, sort them, start answers."""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response as BaseResponse

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole
from shop.admin.audit import record
from shop.admin.paging import page_number
from shop.admin.sections import register_section
from shop.core.errors import DomainError
from shop.editorial.models import QuestionStatus, ReaderQuestion
from shop.editorial.questions import set_question_status, start_answer_from_question
from shop.extensions import db

bp = Blueprint("questions", __name__, url_prefix="/questions")

PER_PAGE = 50
FILTERS = ("all", *(s.value for s in QuestionStatus))
# What an editor may set by hand; "answered" follows from publishing the linked answer.
SETTABLE = (QuestionStatus.NEW, QuestionStatus.DECLINED, QuestionStatus.SPAM)
STATUS_LABELS = {
    QuestionStatus.NEW: "Back to new",
    QuestionStatus.DECLINED: "Decline",
    QuestionStatus.SPAM: "Mark as spam",
}


def register_sections(app: Flask) -> None:
    """List the inbox in the admin navigation for editors."""
    register_section(
        app,
        "admin.questions.index",
        "Reader questions",
        (StaffRole.EDITOR,),
        "the Ask the doctor inbox",
    )


def _status_filter() -> str:
    status = request.args.get("status", "new")
    if status not in FILTERS:
        abort(
            400,
            description=f"The status filter must be one of: {', '.join(FILTERS)}.",
        )
    return status


def _question_or_404(question_id: int) -> ReaderQuestion:
    question = db.session.get(ReaderQuestion, question_id)
    if question is None:
        abort(404, description="We could not find that question.")
    return question


@bp.get("/")
@role_required(StaffRole.EDITOR)
def index() -> str:
    """List readers' questions of one status (default new), newest first, 50 a page."""
    status = _status_filter()
    number = page_number()
    rows = db.session.execute(
        sa.select(ReaderQuestion.status, sa.func.count()).group_by(ReaderQuestion.status)
    ).all()
    counts = {s.value: 0 for s in QuestionStatus}
    for row_status, n in rows:
        counts[QuestionStatus(row_status).value] = int(n)
    counts["all"] = sum(counts.values())
    total = counts[status]
    pages = max(1, math.ceil(total / PER_PAGE))
    if number > pages:
        abort(404, description=f"There is no page {number}; this list has {pages}.")
    stmt = sa.select(ReaderQuestion).order_by(
        ReaderQuestion.created_at.desc(), ReaderQuestion.id.desc()
    )
    if status != "all":
        stmt = stmt.where(ReaderQuestion.status == QuestionStatus(status))
    questions = db.session.scalars(stmt.limit(PER_PAGE).offset((number - 1) * PER_PAGE)).all()
    return render_template(
        "admin/questions.html",
        questions=questions,
        status=status,
        filters=FILTERS,
        counts=counts,
        page=number,
        pages=pages,
        total=total,
    )


@bp.get("/<int:question_id>")
@role_required(StaffRole.EDITOR)
def detail(question_id: int) -> str:
    """Show one question in full, its linked answer, and what may be done with it."""
    question = db.session.scalars(
        sa.select(ReaderQuestion)
        .where(ReaderQuestion.id == question_id)
        .options(joinedload(ReaderQuestion.answer))
    ).first()
    if question is None:
        abort(404, description="We could not find that question.")
    return render_template(
        "admin/question.html",
        question=question,
        answer=question.answer,
        settable=[(s.value, STATUS_LABELS[s]) for s in SETTABLE if s != question.status],
    )


@bp.post("/<int:question_id>/status")
@role_required(StaffRole.EDITOR)
def change_status(question_id: int) -> BaseResponse:
    """Move a question to new, declined or spam, with an audit entry."""
    question = _question_or_404(question_id)
    # The CSRF token is checked for every POST by CSRFProtect before this view runs.
    posted = request.form.get("status", "")
    allowed = [s.value for s in SETTABLE]
    if posted not in allowed:
        abort(
            400,
            description="That status change was refused: the status must be one of "
            f"{', '.join(allowed)}.",
        )
    new = QuestionStatus(posted)
    old = question.status
    back = redirect(url_for("admin.questions.detail", question_id=question_id), code=303)
    if new == old:
        flash(f"Question #{question_id} is already {new.value}.", "info")
        return back
    try:
        set_question_status(question_id, new)
        record(
            current_user.id,
            current_user.email,
            "question.status",
            "reader_question",
            question_id,
            summary=f"Question #{question_id}: {old.value} → {new.value}",
            before={"status": old.value},
            after={"status": new.value},
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return back
    flash(f"Question #{question_id} is now {new.value}.", "success")
    return back


@bp.post("/<int:question_id>/answer")
@role_required(StaffRole.EDITOR)
def start_answer(question_id: int) -> BaseResponse:
    """Start a draft answer from the question, link them, and record it."""
    _question_or_404(question_id)
    back = redirect(url_for("admin.questions.detail", question_id=question_id), code=303)
    try:
        answer = start_answer_from_question(question_id, None)
        record(
            current_user.id,
            current_user.email,
            "question.answer",
            "reader_question",
            question_id,
            summary=f"Question #{question_id}: draft answer #{answer.id} started",
            before={"answer_id": None},
            after={"answer_id": answer.id},
        )
        answer_id = answer.id
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return back
    # The draft has no address yet: it is made from the headline when the answer is published.
    flash(
        f"Draft answer started from question #{question_id}. Edit the headline if it needs it: "
        "the answer's address is made from it when you publish.",
        "success",
    )
    return redirect(url_for("admin.answers.edit", answer_id=answer_id), code=303)
