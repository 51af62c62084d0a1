"""Writing answers: drafts, slugs, versions, and the rules for publishing and scheduling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from shop.core.errors import FieldError, RecordChanged
from shop.core.models import utcnow
from shop.editorial.exceptions import EditorialError
from shop.editorial.models import Answer, AnswerStatus, QuestionStatus
from shop.editorial.publishing import (
    publish_answer_now,
    schedule_answer,
    unpublish_answer_at_version,
)
from shop.editorial.queries import public_answer, published_answers
from shop.editorial.services import AnswerContent, create_answer, update_answer
from shop.mail.models import OutboxMessage
from tests.factories import make_answer, make_concern, make_doctor, make_question, make_topic


def _content(doctor_id: int, **changes: object) -> AnswerContent:
    content = AnswerContent(
        question="Can I use retinol in summer?",
        slug="",
        letter="Dear doctor,\n\nI burn easily.\n\n— Sunny",
        body="## Yes, with care\n\nUse it at night.",
        bottom_line=("Use retinol at night.", "Wear sunscreen every day."),
        doctor_id=doctor_id,
    )
    return replace(content, **changes)  # type: ignore[arg-type]


def _stored(db: SQLAlchemy, answer_id: int) -> Answer:
    db.session.expire_all()
    found = db.session.get(Answer, answer_id)
    assert found is not None
    return found


def test_a_new_answer_is_a_private_draft_whose_address_waits_for_publishing(
    db: SQLAlchemy,
) -> None:
    doctor = make_doctor()
    reviewer = make_doctor("Ann Lee")
    concern = make_concern("Dryness")
    topic = make_topic("Retinoids")
    change = create_answer(
        _content(
            doctor.id,
            question="  Can I use retinol in summer?  ",
            reviewed_by_id=reviewer.id,
            reviewed_on=date(2025, 5, 1),
            concern_ids=(concern.id,),
            topic_ids=(topic.id,),
            seo_description="  Retinol in summer.  ",
        )
    )
    db.session.commit()

    answer = _stored(db, change.answer.id)
    assert answer.slug_placeholder  # no address until it is published
    assert answer.question == "Can I use retinol in summer?"
    assert answer.status is AnswerStatus.DRAFT
    assert answer.published_at is None
    assert answer.bottom_line == ["Use retinol at night.", "Wear sunscreen every day."]
    assert [c.name for c in answer.concerns] == ["Dryness"]
    assert [t.name for t in answer.topics] == ["Retinoids"]
    assert (answer.reviewed_by_id, answer.reviewed_on) == (reviewer.id, date(2025, 5, 1))
    assert answer.seo_description == "Retinol in summer."
    assert change.before == {}
    assert change.after["slug"] == answer.slug
    assert change.after["status"] == "draft"
    placeholder = answer.slug
    assert public_answer(placeholder) is None

    published = publish_answer_now(answer.id, answer.version)
    db.session.commit()
    assert _stored(db, answer.id).slug == "can-i-use-retinol-in-summer"
    assert published.before["slug"] == placeholder
    assert published.after["slug"] == "can-i-use-retinol-in-summer"
    assert public_answer("can-i-use-retinol-in-summer") is not None


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("taken", "Another answer already uses the slug taken."),
        ("Not A Slug!", "A slug is lowercase letters, digits and single dashes"),
    ],
)
def test_a_slug_must_be_free_and_well_formed(db: SQLAlchemy, slug: str, message: str) -> None:
    make_answer(slug="taken")
    doctor = make_doctor()
    with pytest.raises(FieldError) as refused:
        create_answer(_content(doctor.id, question="Taken?", slug=slug))
    assert refused.value.field == "slug"
    assert message in refused.value.message


def test_references_are_checked(db: SQLAlchemy) -> None:
    doctor = make_doctor()
    with pytest.raises(FieldError, match=r"Choose the doctor who answers\."):
        create_answer(_content(doctor.id + 1000))
    with pytest.raises(FieldError, match="Choose who reviewed the answer"):
        create_answer(_content(doctor.id, reviewed_on=date(2025, 1, 1)))
    with pytest.raises(FieldError, match=r"Choose topics from the list\."):
        create_answer(_content(doctor.id, topic_ids=(999,)))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_every_save_is_a_new_version_and_a_stale_one_is_refused(db: SQLAlchemy) -> None:
    answer = make_answer(status=AnswerStatus.DRAFT)
    topic = make_topic("Sunscreen")
    db.session.commit()
    opened = answer.version

    # Only a topic changes, which lives in another table: still a new version.
    content = _content(answer.doctor_id, question=answer.question, slug=answer.slug)
    change = update_answer(answer.id, replace(content, topic_ids=(topic.id,)), opened)
    db.session.commit()
    assert _stored(db, answer.id).version == opened + 1
    assert change.before["topic_ids"] == []
    assert change.after["topic_ids"] == [topic.id]

    with pytest.raises(RecordChanged, match="changed by someone else after you opened it"):
        update_answer(answer.id, replace(content, body="Overwrite!"), opened)
    db.session.rollback()
    assert _stored(db, answer.id).body == content.body


def test_saving_nothing_new_changes_nothing(db: SQLAlchemy) -> None:
    answer = make_answer(status=AnswerStatus.DRAFT)
    db.session.commit()
    stored = _stored(db, answer.id)
    same = AnswerContent(
        question=stored.question,
        slug=stored.slug,
        letter=stored.letter,
        body=stored.body,
        bottom_line=tuple(stored.bottom_line),
        doctor_id=stored.doctor_id,
        seo_description=stored.seo_description,
    )
    change = update_answer(answer.id, same, stored.version)
    db.session.commit()
    assert (change.before, change.after) == ({}, {})
    assert _stored(db, answer.id).version == stored.version


@pytest.mark.parametrize(
    ("field", "empty", "problem"),
    [
        ("body", "", "the answer's body is empty"),
        ("bottom_line", [], "the bottom line is empty"),
        ("bottom_line", ["  "], "the bottom line is empty"),
    ],
)
def test_an_incomplete_answer_is_neither_published_nor_scheduled(
    db: SQLAlchemy, field: str, empty: object, problem: str
) -> None:
    answer = make_answer(status=AnswerStatus.DRAFT)
    setattr(answer, field, empty)
    db.session.commit()
    with pytest.raises(EditorialError, match=f"The answer was not published: {problem}"):
        publish_answer_now(answer.id, answer.version)
    db.session.rollback()
    with pytest.raises(EditorialError, match=f"The answer was not scheduled: {problem}"):
        schedule_answer(answer.id, utcnow() + timedelta(days=1), answer.version)
    db.session.rollback()
    assert _stored(db, answer.id).status is AnswerStatus.DRAFT


def test_publishing_now_makes_it_public_and_tells_the_asker(db: SQLAlchemy) -> None:
    answer = make_answer(status=AnswerStatus.DRAFT, slug="dry-winter")
    question = make_question("asker@example.com", answer=answer)
    db.session.commit()

    change = publish_answer_now(answer.id, answer.version)
    db.session.commit()

    assert change.before == {"status": "draft", "published_at": None}
    assert change.after["status"] == "published"
    assert public_answer("dry-winter") is not None
    assert len(change.mail_ids) == 1
    mail = db.session.get(OutboxMessage, change.mail_ids[0])
    assert mail is not None
    assert mail.to_address == "asker@example.com"
    _stored(db, answer.id)
    assert question.status is QuestionStatus.ANSWERED
    with pytest.raises(EditorialError, match="already published"):
        publish_answer_now(answer.id, _stored(db, answer.id).version)


def test_a_scheduled_answer_goes_public_by_itself_at_its_time(db: SQLAlchemy) -> None:
    answer = make_answer(status=AnswerStatus.DRAFT, slug="later")
    make_question("later@example.com", answer=answer)
    db.session.commit()
    at = (utcnow() + timedelta(days=2)).replace(microsecond=0)

    change = schedule_answer(answer.id, at, answer.version)
    db.session.commit()

    assert change.after == {"status": "scheduled", "published_at": at.isoformat()}
    assert change.mail_ids == []  # not out yet: the asker hears when it is
    assert public_answer("later") is None
    assert public_answer("later", now=at - timedelta(minutes=1)) is None
    assert public_answer("later", now=at + timedelta(minutes=1)) is not None
    assert published_answers(now=utcnow()).total == 0
    assert published_answers(now=at).total == 1


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (timedelta(minutes=-1), "Choose a moment in the future."),
        (timedelta(days=6 * 366), "within the next five years"),
    ],
)
def test_a_schedule_must_be_in_the_near_future(
    db: SQLAlchemy, offset: timedelta, message: str
) -> None:
    answer = make_answer(status=AnswerStatus.DRAFT)
    db.session.commit()
    with pytest.raises(FieldError, match=message) as refused:
        schedule_answer(answer.id, utcnow() + offset, answer.version)
    assert refused.value.field == "go_live"


def test_a_public_answer_is_not_scheduled_but_unpublished_first(db: SQLAlchemy) -> None:
    answer = make_answer(slug="out-now")
    db.session.commit()
    with pytest.raises(EditorialError, match="Unpublish it first"):
        schedule_answer(answer.id, utcnow() + timedelta(days=1), answer.version)
    db.session.rollback()

    change = unpublish_answer_at_version(answer.id, answer.version)
    db.session.commit()
    assert change.before["status"] == "published"
    assert change.after["status"] == "draft"
    assert public_answer("out-now") is None
    with pytest.raises(EditorialError, match="already a draft"):
        unpublish_answer_at_version(answer.id, _stored(db, answer.id).version)


@pytest.mark.parametrize("action", ["publish", "schedule", "unpublish"])
def test_status_changes_name_the_version_too(db: SQLAlchemy, action: str) -> None:
    answer = make_answer(status=AnswerStatus.SCHEDULED, days_ago=-3)
    db.session.commit()
    stale = answer.version
    answer.question = "Edited by someone else?"
    db.session.commit()
    actions: dict[str, Callable[[], object]] = {
        "publish": lambda: publish_answer_now(answer.id, stale),
        "schedule": lambda: schedule_answer(answer.id, utcnow() + timedelta(days=1), stale),
        "unpublish": lambda: unpublish_answer_at_version(answer.id, stale),
    }
    with pytest.raises(RecordChanged):
        actions[action]()
    db.session.rollback()
    assert _stored(db, answer.id).status is AnswerStatus.SCHEDULED
