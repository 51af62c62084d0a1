"""Writing answers in the staff editor: drafts, their text, slugs and references.

Every write names the version the editor opened, so a stale form can never overwrite a newer
save (`Answer.version` is SQLAlchemy's version column). Taking an answer public or back to
draft is `publishing.py`. Services flush; the view that called them commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date
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
)
from shop.editorial.models import Answer, AnswerStatus, Doctor, Topic
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


def status_fields(answer: Answer, *, slug: bool = False) -> dict[str, Any]:
    """An answer's status and go-live moment (and its slug) as plain JSON values, for audits."""
    published = answer.published_at
    if published is not None and published.tzinfo is None:  # SQLite hands back naive UTC
        published = published.replace(tzinfo=UTC)
    fields = {
        "status": answer.status.value,
        "published_at": published.isoformat() if published else None,
    }
    return {**fields, "slug": answer.slug} if slug else fields


def answer_at_version(answer_id: int, version: int) -> Answer:
    """Load an answer for a write, refused (`RecordChanged`) unless it is still at `version`."""
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
    return AnswerChange(answer, {}, {**answer_fields(answer), **status_fields(answer)})


def update_answer(answer_id: int, content: AnswerContent, version: int) -> AnswerChange:
    """Save the editor's changes to an answer opened at `version` (its status is kept)."""
    answer = answer_at_version(answer_id, version)
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
