"""Readers' questions: taking them in, sorting them, answering them, telling the askers.

Services flush; the view or command that called them commits once, so a question
and the mail it causes are stored together or not at all.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from shop.core.models import utcnow
from shop.core.templating import absolute_url
from shop.editorial.addresses import placeholder_slug
from shop.editorial.exceptions import EditorialError
from shop.editorial.headlines import propose_headline
from shop.editorial.models import Answer, AnswerStatus, Doctor, QuestionStatus, ReaderQuestion
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


def set_question_status(question_id: int, status: QuestionStatus) -> None:
    """Mark a question declined, spam, new or answered."""
    question = db.session.get(ReaderQuestion, question_id)
    if question is None:
        raise EditorialError("That question does not exist.")
    question.status = status
    db.session.flush()


def start_answer_from_question(question_id: int, doctor_id: int | None = None) -> Answer:
    """Start a draft answer prefilled from a reader's question, and link the question to it.

    The doctor is `doctor_id`, or the first doctor on file. The headline proposed is the
    reader's question, trimmed; the slug is a placeholder until the answer is published.
    """
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
        slug=placeholder_slug(),
        slug_placeholder=True,
        question=propose_headline(question.question, question.id),
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
            # Never mail an address that is about to change (publishing settles it first).
            Answer.slug_placeholder.is_(False),
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
