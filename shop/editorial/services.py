"""Editorial writes: readers' questions, publishing answers, telling askers.

Services flush; the view or command that called them commits once, so a question
and the mail it causes are stored together or not at all.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from shop.core.models import utcnow
from shop.core.templating import absolute_url
from shop.editorial.exceptions import EditorialError
from shop.editorial.models import Answer, AnswerStatus, QuestionStatus, ReaderQuestion
from shop.editorial.queries import is_public
from shop.extensions import db
from shop.mail.services import queue_mail


def submit_question(
    name: str | None, email: str, question: str, consent: bool
) -> tuple[ReaderQuestion, list[int]]:
    """Store a reader's question and queue the acknowledgement and the staff notice.

    Returns the question and the ids of the queued messages (to deliver after commit).
    """
    if not consent:
        raise EditorialError("We need your consent to store your question.")
    stored = ReaderQuestion(
        name=(name or "").strip() or None,
        email=email.strip(),
        question=question.strip(),
        consent=True,
        status=QuestionStatus.NEW,
    )
    db.session.add(stored)
    db.session.flush()
    ack = queue_mail(
        stored.email,
        "We received your question",
        "question_ack",
        kind="question_ack",
        question=stored,
    )
    notice = queue_mail(
        current_app.config["MAIL_STAFF_ADDRESS"],
        f"New reader question #{stored.id}",
        "question_staff_notice",
        kind="question_staff_notice",
        question=stored,
    )
    return stored, [ack.id, notice.id]


def publish_answer(answer_id: int, at: datetime | None = None) -> list[int]:
    """Publish an answer now, or schedule it for `at`; tell askers if it is out now.

    Returns the ids of any mail queued for askers.
    """
    answer = db.session.get(Answer, answer_id, with_for_update=True)
    if answer is None:
        raise EditorialError("That answer does not exist.")
    if not answer.body.strip() or not answer.question.strip():
        raise EditorialError("An answer needs a question and a body before it is published.")
    now = utcnow()
    when = at or now
    answer.published_at = when
    answer.status = AnswerStatus.SCHEDULED if when > now else AnswerStatus.PUBLISHED
    db.session.flush()
    return notify_answered_questions(now)


def unpublish_answer(answer_id: int) -> None:
    """Take an answer back to draft; visitors no longer see it."""
    answer = db.session.get(Answer, answer_id)
    if answer is None:
        raise EditorialError("That answer does not exist.")
    answer.status = AnswerStatus.DRAFT
    db.session.flush()


def link_question(question_id: int, answer_id: int | None) -> None:
    """Record which answer answers a reader's question (None unlinks it)."""
    question = db.session.get(ReaderQuestion, question_id)
    if question is None:
        raise EditorialError("That question does not exist.")
    if answer_id is not None and db.session.get(Answer, answer_id) is None:
        raise EditorialError("That answer does not exist.")
    question.answer_id = answer_id
    db.session.flush()


def notify_answered_questions(now: datetime | None = None) -> list[int]:
    """Queue one "your answer is out" mail per asker whose linked answer is now public.

    Each question is claimed by a conditional UPDATE on `notified_at IS NULL`, so two
    runs at once (a publish and the scheduled mail job) never mail the same reader twice.
    Returns the ids of the queued messages.
    """
    now = now or utcnow()
    candidates = db.session.scalars(
        sa.select(ReaderQuestion.id)
        .join(Answer, Answer.id == ReaderQuestion.answer_id)
        .where(
            ReaderQuestion.notified_at.is_(None),
            ReaderQuestion.status.in_([QuestionStatus.NEW, QuestionStatus.ANSWERED]),
            is_public(now),
        )
        .order_by(ReaderQuestion.id)
    ).all()
    queued: list[int] = []
    for question_id in candidates:
        claimed = db.session.execute(
            sa.update(ReaderQuestion)
            .where(ReaderQuestion.id == question_id, ReaderQuestion.notified_at.is_(None))
            .values(notified_at=now, status=QuestionStatus.ANSWERED)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        question = db.session.get(ReaderQuestion, question_id)
        assert question is not None
        assert question.answer is not None
        message = queue_mail(
            question.email,
            "The doctor has answered your question",
            "question_answered",
            kind="question_answered",
            question=question,
            answer=question.answer,
            answer_url=absolute_url("editorial.answer", slug=question.answer.slug),
        )
        queued.append(message.id)
    return queued


def set_question_status(question_id: int, status: QuestionStatus) -> None:
    """Mark a question declined, spam, new or answered."""
    question = db.session.get(ReaderQuestion, question_id)
    if question is None:
        raise EditorialError("That question does not exist.")
    question.status = status
    db.session.flush()


HEADLINE_MAX = 200


def _headline(text: str, question_id: int) -> str:
    """The reader's question shortened to a headline: its first sentence, at most 200 chars."""
    import re

    flat = " ".join(text.split())
    first = re.split(r"(?<=[.?!])\s", flat, maxsplit=1)[0]
    if len(first) > HEADLINE_MAX:
        cut = first[: HEADLINE_MAX - 1]
        first = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:") + "…"
    return first or f"Reader question #{question_id}"


def start_answer_from_question(question_id: int, doctor_id: int | None = None) -> Answer:
    """Start a draft answer prefilled from a reader's question, and link the question to it.

    The doctor is `doctor_id`, or the first doctor on file. Drafts are never public.
    """
    import secrets

    from shop.editorial.models import Doctor

    question = db.session.get(ReaderQuestion, question_id, with_for_update=True)
    if question is None:
        raise EditorialError("That question does not exist.")
    if question.answer_id is not None:
        raise EditorialError("This question already has an answer.")
    if doctor_id is not None:
        doctor = db.session.get(Doctor, doctor_id)
    else:
        doctor = db.session.scalars(sa.select(Doctor).order_by(Doctor.id).limit(1)).first()
    if doctor is None:
        raise EditorialError("Add a doctor before starting an answer.")
    letter = question.question.strip()
    if question.name:
        letter += f"\n\n— {question.name}"
    answer = Answer(
        slug=f"draft-{question.id}-{secrets.token_hex(3)}",
        question=_headline(question.question, question.id),
        letter=letter,
        body="",
        bottom_line=[],
        doctor_id=doctor.id,
        status=AnswerStatus.DRAFT,
        published_at=None,
    )
    db.session.add(answer)
    db.session.flush()
    question.answer_id = answer.id
    db.session.flush()
    return answer
