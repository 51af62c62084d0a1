"""Writing answers in the staff editor, and taking them public or back to draft.

Every write names the version the editor opened, so a stale form can never overwrite a newer
save (`Answer.version` is SQLAlchemy's version column). Going public settles the answer's
address first and then tells the readers whose questions it answers (`questions.py`).
Services flush; the view or command that called them commits once, so an answer's status
and the mail it causes are stored together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from shop.catalog.models import SkinConcern
from shop.core.errors import FieldError, NotFound, RecordChanged
from shop.core.models import utcnow
from shop.core.slugs import SLUG_MAX, is_slug
from shop.editorial.addresses import (
    NoFreeSlug,
    has_been_out,
    headline_slug,
    move_slug,
    placeholder_slug,
    settle_slug,
)
from shop.editorial.exceptions import EditorialError
from shop.editorial.models import Answer, AnswerStatus, Doctor, Topic
from shop.editorial.questions import notify_answered_questions
from shop.extensions import db

BOTTOM_LINE_POINTS_MAX = 8
BOTTOM_LINE_POINT_MAX = 300


@dataclass(frozen=True)
class AnswerContent:
    """What an editor writes: everything about an answer except its status."""

    question: str
    slug: str  # empty: made from the headline when the answer is published
    letter: str
    body: str
    bottom_line: tuple[str, ...]
    doctor_id: int
    reviewed_by_id: int | None = None
    reviewed_on: date | None = None
    concern_ids: tuple[int, ...] = ()
    topic_ids: tuple[int, ...] = ()
    seo_description: str | None = None


@dataclass(frozen=True)
class AnswerChange:
    """The outcome of an editor's write: the answer, what changed (for the audit log), mail."""

    answer: Answer
    before: dict[str, Any]
    after: dict[str, Any]
    mail_ids: list[int] = field(default_factory=list)


def answer_fields(answer: Answer) -> dict[str, Any]:
    """An answer's editable content as plain JSON values (for audit entries and forms)."""
    return {
        "question": answer.question,
        "slug": answer.slug,
        "letter": answer.letter,
        "body": answer.body,
        "bottom_line": list(answer.bottom_line or []),
        "doctor_id": answer.doctor_id,
        "reviewed_by_id": answer.reviewed_by_id,
        "reviewed_on": answer.reviewed_on.isoformat() if answer.reviewed_on else None,
        "concern_ids": sorted(c.id for c in answer.concerns),
        "topic_ids": sorted(t.id for t in answer.topics),
        "seo_description": answer.seo_description,
    }


def _status_fields(answer: Answer, *, slug: bool = False) -> dict[str, Any]:
    published = answer.published_at
    if published is not None and published.tzinfo is None:  # SQLite hands back naive UTC
        published = published.replace(tzinfo=UTC)
    fields = {
        "status": answer.status.value,
        "published_at": published.isoformat() if published else None,
    }
    return {**fields, "slug": answer.slug} if slug else fields


def _moved(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep the slug in an audit entry only when going out gave the answer its address."""
    if before.get("slug") == after.get("slug"):
        before = {k: v for k, v in before.items() if k != "slug"}
        after = {k: v for k, v in after.items() if k != "slug"}
    return before, after


def _answer_at_version(answer_id: int, version: int) -> Answer:
    # Row-locked, then compared: two editors saving at once are served one after the other,
    # and the second sees the first one's version.
    answer = db.session.get(Answer, answer_id, with_for_update=True, populate_existing=True)
    if answer is None:
        raise NotFound("That answer does not exist.")
    if answer.version != version:
        raise RecordChanged("answer")
    return answer


def _flush_answer() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise RecordChanged("answer") from exc
    except sa.exc.IntegrityError as exc:  # a slug taken between our check and the write
        raise FieldError(
            "slug", "Another answer already uses this slug. Choose a different one."
        ) from exc


def _checked_slug(content: AnswerContent, answer: Answer | None) -> tuple[str, bool]:
    """The slug a save gives the answer, and whether it is a placeholder.

    An empty field leaves a draft's address to be made from the headline when it is
    published; for an answer that has been out it makes the address from the headline now.
    A slug sent back unchanged keeps what it was (a placeholder stays one: nobody chose it).
    """
    typed = content.slug.strip().lower()
    if answer is not None and typed == answer.slug:
        return answer.slug, answer.slug_placeholder
    if not typed:
        if answer is not None and answer.slug_placeholder:
            return answer.slug, True
        if answer is None or not has_been_out(answer):
            return placeholder_slug(), True
        try:
            return headline_slug(content.question, answer.id), False
        except NoFreeSlug as exc:
            raise FieldError("slug", f"{exc} Enter a slug.") from exc
    if not is_slug(typed):
        raise FieldError(
            "slug",
            f"A slug is lowercase letters, digits and single dashes, at most {SLUG_MAX} "
            "characters, e.g. why-is-my-skin-dry.",
        )
    taken = db.session.scalar(
        sa.select(Answer.id).where(
            Answer.slug == typed, Answer.id != (answer.id if answer is not None else 0)
        )
    )
    if taken is not None:
        raise FieldError(
            "slug", f"Another answer already uses the slug {typed}. Choose a different one."
        )
    return typed, False


def _apply(answer: Answer, content: AnswerContent, slug: tuple[str, bool]) -> None:
    """Check references and copy `content` onto `answer`."""
    if not content.question.strip():
        raise FieldError("question", "Enter the question the answer is about.")
    if db.session.get(Doctor, content.doctor_id) is None:
        raise FieldError("doctor_id", "Choose the doctor who answers.")
    if (
        content.reviewed_by_id is not None
        and db.session.get(Doctor, content.reviewed_by_id) is None
    ):
        raise FieldError("reviewed_by_id", "Choose a reviewing doctor from the list.")
    if content.reviewed_on is not None and content.reviewed_by_id is None:
        raise FieldError(
            "reviewed_on", "Choose who reviewed the answer, or leave the review date empty."
        )
    if len(content.bottom_line) > BOTTOM_LINE_POINTS_MAX:
        raise FieldError(
            "bottom_line", f"Keep the bottom line to {BOTTOM_LINE_POINTS_MAX} points or fewer."
        )
    if any(len(point) > BOTTOM_LINE_POINT_MAX for point in content.bottom_line):
        raise FieldError(
            "bottom_line",
            f"Keep each bottom-line point to {BOTTOM_LINE_POINT_MAX} characters or fewer.",
        )
    concerns = list(
        db.session.scalars(sa.select(SkinConcern).where(SkinConcern.id.in_(content.concern_ids)))
    )
    if len(concerns) != len(set(content.concern_ids)):
        raise FieldError("concern_ids", "Choose skin concerns from the list.")
    topics = list(db.session.scalars(sa.select(Topic).where(Topic.id.in_(content.topic_ids))))
    if len(topics) != len(set(content.topic_ids)):
        raise FieldError("topic_ids", "Choose topics from the list.")
    answer.question = content.question.strip()
    move_slug(answer, slug[0], placeholder=slug[1])
    answer.letter = content.letter.strip()
    answer.body = content.body
    answer.bottom_line = [p.strip() for p in content.bottom_line if p.strip()]
    answer.doctor_id = content.doctor_id
    answer.reviewed_by_id = content.reviewed_by_id
    answer.reviewed_on = content.reviewed_on
    answer.concerns = concerns
    answer.topics = topics
    answer.seo_description = (content.seo_description or "").strip() or None


def create_answer(content: AnswerContent) -> AnswerChange:
    """Create a draft answer from what the editor wrote."""
    answer = Answer(status=AnswerStatus.DRAFT, published_at=None)
    _apply(answer, content, _checked_slug(content, None))
    db.session.add(answer)
    _flush_answer()
    return AnswerChange(answer, {}, {**answer_fields(answer), **_status_fields(answer)})


def update_answer(answer_id: int, content: AnswerContent, version: int) -> AnswerChange:
    """Save the editor's changes to an answer opened at `version` (its status is kept)."""
    answer = _answer_at_version(answer_id, version)
    old = answer_fields(answer)
    _apply(answer, content, _checked_slug(content, answer))
    new = answer_fields(answer)
    changed = [k for k in new if new[k] != old[k]]
    if changed:
        # Topics and concerns live in other tables; touching the row makes every save,
        # whatever it changed, a new version.
        answer.updated_at = utcnow()
        _flush_answer()
    return AnswerChange(answer, {k: old[k] for k in changed}, {k: new[k] for k in changed})


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
    except StaleDataError as exc:
        raise RecordChanged("answer") from exc
    except sa.exc.IntegrityError as exc:  # another answer took the address a moment ago
        raise EditorialError(
            "Another answer took this answer's address at the same moment; nothing was "
            "changed. Try again."
        ) from exc
    return notify_answered_questions(now)


def publish_answer_now(answer_id: int, version: int) -> AnswerChange:
    """Make an answer opened at `version` public now (askers linked to it are told)."""
    answer = _answer_at_version(answer_id, version)
    if answer.status is AnswerStatus.PUBLISHED and answer.is_public():
        raise EditorialError("This answer is already published.")
    _ready(answer, "published")
    before = _status_fields(answer, slug=True)
    mail_ids = _go_out(answer)
    return AnswerChange(answer, *_moved(before, _status_fields(answer, slug=True)), mail_ids)


SCHEDULE_MAX_DAYS = 5 * 366


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
    answer = _answer_at_version(answer_id, version)
    if answer.status is not AnswerStatus.DRAFT and answer.is_public(now):
        raise EditorialError("This answer is already public. Unpublish it first if it should wait.")
    _ready(answer, "scheduled")
    before = _status_fields(answer, slug=True)
    mail_ids = _go_out(answer, at.astimezone(UTC))
    return AnswerChange(answer, *_moved(before, _status_fields(answer, slug=True)), mail_ids)


def unpublish_answer_at_version(answer_id: int, version: int) -> AnswerChange:
    """Take an answer opened at `version` back to draft; it leaves the public site at once."""
    answer = _answer_at_version(answer_id, version)
    if answer.status is AnswerStatus.DRAFT:
        raise EditorialError("This answer is already a draft.")
    before = _status_fields(answer)
    answer.status = AnswerStatus.DRAFT
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise RecordChanged("answer") from exc
    return AnswerChange(answer, before, _status_fields(answer))
