"""Publishing answers and telling the readers who asked, exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.core.models import utcnow
from shop.editorial.exceptions import EditorialError
from shop.editorial.models import AnswerStatus, QuestionStatus
from shop.editorial.publishing import (
    publish_answer_now,
    schedule_answer,
    unpublish_answer_at_version,
)
from shop.editorial.questions import notify_answered_questions, submit_question
from shop.mail.models import OutboxMessage
from tests.factories import make_answer, make_question
from tests.fixtures_mail import SmtpServer


def _mail_to(db: SQLAlchemy, address: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_address == address))
    )


def test_publishing_tells_the_asker_once_with_the_link(db: SQLAlchemy) -> None:
    answer = make_answer("Is retinol safe?", slug="retinol-safe", status=AnswerStatus.DRAFT)
    question = make_question("asker@example.com", answer=answer)
    db.session.commit()

    publish_answer_now(answer.id, answer.version)
    db.session.commit()
    with pytest.raises(EditorialError, match="already published"):
        publish_answer_now(answer.id, answer.version)
    db.session.rollback()
    # Out again after a spell as a draft: the asker was told the first time, not again.
    unpublish_answer_at_version(answer.id, answer.version)
    assert publish_answer_now(answer.id, answer.version).mail_ids == []
    assert notify_answered_questions() == []
    db.session.commit()

    [mail] = _mail_to(db, "asker@example.com")
    assert mail.subject == "The doctor has answered your question"
    assert "http://shop.test/answers/retinol-safe" in mail.body_text
    assert question.status is QuestionStatus.ANSWERED
    assert question.notified_at is not None


def test_a_scheduled_answer_tells_the_asker_when_its_time_comes(db: SQLAlchemy) -> None:
    answer = make_answer(status=AnswerStatus.DRAFT)
    make_question("later@example.com", answer=answer)
    schedule_answer(answer.id, utcnow() + timedelta(days=2), answer.version)
    assert answer.status is AnswerStatus.SCHEDULED
    assert _mail_to(db, "later@example.com") == []

    assert notify_answered_questions(now=utcnow() + timedelta(days=1)) == []
    assert len(notify_answered_questions(now=utcnow() + timedelta(days=3))) == 1
    assert notify_answered_questions(now=utcnow() + timedelta(days=4)) == []
    assert len(_mail_to(db, "later@example.com")) == 1


@pytest.mark.parametrize("status", [QuestionStatus.SPAM, QuestionStatus.DECLINED])
def test_spam_and_declined_questions_are_never_mailed(
    db: SQLAlchemy, status: QuestionStatus
) -> None:
    answer = make_answer()
    make_question("nope@example.com", answer=answer, status=status)
    assert notify_answered_questions() == []


def test_unpublished_answer_is_hidden_again(db: SQLAlchemy) -> None:
    answer = make_answer()
    unpublish_answer_at_version(answer.id, answer.version)
    assert not answer.is_public()


def test_an_empty_answer_cannot_be_published(db: SQLAlchemy) -> None:
    answer = make_answer(status=AnswerStatus.DRAFT, body="   ")
    with pytest.raises(EditorialError, match="not published: the answer's body is empty"):
        publish_answer_now(answer.id, answer.version)


def test_submitting_without_consent_is_refused(db: SQLAlchemy) -> None:
    with pytest.raises(EditorialError, match="consent"):
        submit_question("Jo", "jo@example.com", "A question about my skin", consent=False)


def test_the_scheduled_mail_job_tells_askers_once_a_scheduled_answer_is_out(
    db: SQLAlchemy, runner: FlaskCliRunner, smtp_server: SmtpServer
) -> None:
    answer = make_answer(slug="soon", status=AnswerStatus.SCHEDULED, days_ago=-1)
    make_question("waiting@example.com", answer=answer)
    db.session.commit()

    runner.invoke(args=["mail", "send-pending"])
    assert smtp_server.messages == []  # not out yet

    answer.published_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    first = runner.invoke(args=["mail", "send-pending"])
    second = runner.invoke(args=["mail", "send-pending"])
    assert "1 sent" in first.output
    assert "0 sent" in second.output
    [mail] = smtp_server.messages
    assert mail["To"] == "waiting@example.com"
    assert "http://shop.test/answers/soon" in mail.get_content()
