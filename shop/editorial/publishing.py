"""Taking answers public, on a schedule, or back to draft.

Each move names the version the editor opened (as every write in `services.py` does). Going
public settles the answer's address first and then tells the readers whose questions it
answers, in the same unit of work: services flush; the view that called them commits once,
so an answer's status and the mail it causes are stored together or not at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from shop.core.errors import FieldError, RecordChanged
from shop.core.models import utcnow
from shop.editorial.addresses import NoFreeSlug, settle_slug
from shop.editorial.exceptions import EditorialError
from shop.editorial.models import Answer, AnswerStatus, Doctor
from shop.editorial.questions import notify_answered_questions
from shop.editorial.services import AnswerChange, answer_at_version, status_fields
from shop.extensions import db

SCHEDULE_MAX_DAYS = 5 * 366


def answer_problems(answer: Answer) -> list[str]:
    """What an answer still lacks before it may go public (empty when it is ready)."""
    problems = []
    if not answer.question.strip():
        problems.append("the question is empty")
    if not answer.body.strip():
        problems.append("the answer's body is empty")
    if not [p for p in answer.bottom_line or [] if p.strip()]:
        problems.append("the bottom line is empty")
    if db.session.get(Doctor, answer.doctor_id) is None:
        problems.append("no doctor is chosen")
    return problems


def _ready(answer: Answer, action: str) -> None:
    problems = answer_problems(answer)
    if problems:
        raise EditorialError(f"The answer was not {action}: {'; '.join(problems)}.")


def _moved(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep the slug in an audit entry only when going out gave the answer its address."""
    if before.get("slug") == after.get("slug"):
        before = {k: v for k, v in before.items() if k != "slug"}
        after = {k: v for k, v in after.items() if k != "slug"}
    return before, after


def _go_out(answer: Answer, at: datetime | None = None) -> list[int]:
    """Take a locked, ready answer public now, or at `at`; tell askers if it is out now.

    A draft's placeholder slug is replaced first by one made from the headline, so the
    address askers are sent is the one the answer keeps. Returns the ids of any mail queued.
    """
    try:
        settle_slug(answer)
    except NoFreeSlug as exc:
        raise EditorialError(
            f"The answer's address could not be made: {exc} Enter a slug, save, and try again."
        ) from exc
    now = utcnow()
    when = at or now
    answer.published_at = when
    answer.status = AnswerStatus.SCHEDULED if when > now else AnswerStatus.PUBLISHED
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:  # another answer took the address a moment ago
        raise EditorialError(
            "Another answer took this answer's address at the same moment; nothing was "
            "changed. Try again."
        ) from exc
    return notify_answered_questions(now)


def publish_answer_now(answer_id: int, version: int) -> AnswerChange:
    """Make an answer opened at `version` public now (askers linked to it are told)."""
    answer = answer_at_version(answer_id, version)
    if answer.status is AnswerStatus.PUBLISHED and answer.is_public():
        raise EditorialError("This answer is already published.")
    _ready(answer, "published")
    before = status_fields(answer, slug=True)
    try:
        mail_ids = _go_out(answer)
    except StaleDataError as exc:
        raise RecordChanged("answer") from exc
    return AnswerChange(answer, *_moved(before, status_fields(answer, slug=True)), mail_ids)


def schedule_answer(
    answer_id: int, at: datetime, version: int, now: datetime | None = None
) -> AnswerChange:
    """Schedule an answer opened at `version` to go public by itself at `at` (aware, future)."""
    now = now or utcnow()
    if at.tzinfo is None:
        raise ValueError("schedule_answer needs an aware datetime")
    if at <= now:
        raise FieldError("go_live", "Choose a moment in the future.")
    if at > now + timedelta(days=SCHEDULE_MAX_DAYS):
        raise FieldError("go_live", "Choose a moment within the next five years.")
    answer = answer_at_version(answer_id, version)
    if answer.status is not AnswerStatus.DRAFT and answer.is_public(now):
        raise EditorialError("This answer is already public. Unpublish it first if it should wait.")
    _ready(answer, "scheduled")
    before = status_fields(answer, slug=True)
    try:
        mail_ids = _go_out(answer, at.astimezone(UTC))
    except StaleDataError as exc:
        raise RecordChanged("answer") from exc
    return AnswerChange(answer, *_moved(before, status_fields(answer, slug=True)), mail_ids)


def unpublish_answer_at_version(answer_id: int, version: int) -> AnswerChange:
    """Take an answer opened at `version` back to draft; it leaves the public site at once."""
    answer = answer_at_version(answer_id, version)
    if answer.status is AnswerStatus.DRAFT:
        raise EditorialError("This answer is already a draft.")
    before = status_fields(answer)
    answer.status = AnswerStatus.DRAFT
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise RecordChanged("answer") from exc
    return AnswerChange(answer, before, status_fields(answer))
