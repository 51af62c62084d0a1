"""An answer's address: made from the headline at publish time, kept when staff chose it, and
still reachable (301) at every address it had before a rename."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.core.errors import FieldError
from shop.core.models import utcnow
from shop.core.slugs import slugify
from shop.editorial.exceptions import EditorialError
from shop.editorial.models import Answer, AnswerOldSlug, AnswerStatus
from shop.editorial.publishing import (
    publish_answer_now,
    schedule_answer,
    unpublish_answer_at_version,
)
from shop.editorial.questions import notify_answered_questions, start_answer_from_question
from shop.editorial.services import AnswerContent, update_answer
from shop.mail.models import OutboxMessage
from tests.factories import make_answer, make_doctor, make_question


def _stored(db: SQLAlchemy, answer_id: int) -> Answer:
    db.session.expire_all()
    found = db.session.get(Answer, answer_id)
    assert found is not None
    return found


def _save(db: SQLAlchemy, answer_id: int, **changes: str) -> Answer:
    """Save the answer through the editor's service with some fields changed."""
    stored = _stored(db, answer_id)
    content = AnswerContent(
        question=changes.get("question", stored.question),
        slug=changes.get("slug", "" if stored.slug_placeholder else stored.slug),
        letter=stored.letter,
        body=stored.body,
        bottom_line=tuple(stored.bottom_line),
        doctor_id=stored.doctor_id,
    )
    update_answer(answer_id, content, stored.version)
    db.session.commit()
    return _stored(db, answer_id)


def _publish(db: SQLAlchemy, answer_id: int) -> Answer:
    publish_answer_now(answer_id, _stored(db, answer_id).version)
    db.session.commit()
    return _stored(db, answer_id)


def _draft_from_question(db: SQLAlchemy, question: str, email: str = "asker@example.com") -> int:
    """An answer started with "Answer this", written but with its slug untouched."""
    asked = make_question(email, question)
    draft = start_answer_from_question(asked.id)
    draft.body = "Use a gentle cream."
    draft.bottom_line = ["Be gentle."]
    db.session.commit()
    return draft.id


def _old_slugs(db: SQLAlchemy) -> dict[str, int]:
    rows = db.session.execute(sa.select(AnswerOldSlug.slug, AnswerOldSlug.answer_id)).all()
    return dict(rows)


def test_a_draft_from_a_question_has_no_address_until_it_is_published(db: SQLAlchemy) -> None:
    make_doctor()
    answer_id = _draft_from_question(db, "Why does my skin flake in winter? It stings.")
    draft = _stored(db, answer_id)
    assert draft.slug_placeholder
    placeholder = draft.slug

    published = _publish(db, answer_id)

    assert published.slug == "why-does-my-skin-flake-in-winter"
    assert not published.slug_placeholder
    assert placeholder != published.slug
    mail = db.session.scalars(sa.select(OutboxMessage)).one()
    assert "http://shop.test/answers/why-does-my-skin-flake-in-winter" in mail.body_text
    assert placeholder not in mail.body_text


def test_the_address_is_made_from_the_headline_as_published(db: SQLAlchemy) -> None:
    make_doctor()
    answer_id = _draft_from_question(db, "Why does my skin flake?")
    _save(db, answer_id, question="Is flaky winter skin a sign of eczema?")
    assert _publish(db, answer_id).slug == "is-flaky-winter-skin-a-sign-of-eczema"


def test_a_headline_slug_already_in_use_or_once_used_gets_a_number(db: SQLAlchemy) -> None:
    make_doctor()
    make_answer("Is retinol safe?", slug="is-retinol-safe")
    moved = make_answer("Is retinol safe at night?", slug="is-retinol-safe-2")
    db.session.commit()
    _save(db, moved.id, slug="retinol-at-night")  # its old address still leads to it

    first = _draft_from_question(db, "Is retinol safe?", "one@example.com")
    second = _draft_from_question(db, "Is retinol safe?", "two@example.com")

    assert _publish(db, first).slug == "is-retinol-safe-3"
    assert _publish(db, second).slug == "is-retinol-safe-4"


def test_a_numbered_slug_stays_within_the_limit(db: SQLAlchemy) -> None:
    make_doctor()
    headline = "Why " + "very " * 40 + "dry?"
    make_answer(headline, slug=slugify(headline))
    db.session.commit()
    answer_id = _draft_from_question(db, "Why?")
    _save(db, answer_id, question=headline)
    slug = _publish(db, answer_id).slug
    assert len(slug) <= 120
    assert slug.endswith("-very-2")


def test_a_slug_staff_chose_for_a_draft_is_kept_when_it_is_published(db: SQLAlchemy) -> None:
    make_doctor()
    answer_id = _draft_from_question(db, "Why does my skin flake in winter?")
    chosen = _save(db, answer_id, slug="winter-flakes")
    assert not chosen.slug_placeholder
    assert _publish(db, answer_id).slug == "winter-flakes"
    mail = db.session.scalars(sa.select(OutboxMessage)).one()
    assert "http://shop.test/answers/winter-flakes" in mail.body_text


def test_emptying_a_chosen_slug_of_a_draft_leaves_the_address_to_the_headline(
    db: SQLAlchemy,
) -> None:
    make_doctor()
    answer_id = _draft_from_question(db, "Why does my skin flake in winter?")
    _save(db, answer_id, slug="winter-flakes")
    assert _save(db, answer_id, slug="").slug_placeholder
    assert _publish(db, answer_id).slug == "why-does-my-skin-flake-in-winter"
    assert _old_slugs(db) == {}  # neither address was ever public


def test_a_headline_without_letters_cannot_be_published_without_a_slug(db: SQLAlchemy) -> None:
    make_doctor()
    answer_id = _draft_from_question(db, "Why?")
    _save(db, answer_id, question="???")
    with pytest.raises(EditorialError, match="has no letters or digits"):
        publish_answer_now(answer_id, _stored(db, answer_id).version)
    db.session.rollback()
    assert _stored(db, answer_id).status is AnswerStatus.DRAFT
    assert db.session.scalars(sa.select(OutboxMessage)).all() == []


def test_scheduling_settles_the_address_the_asker_is_sent_later(db: SQLAlchemy) -> None:
    make_doctor()
    answer_id = _draft_from_question(db, "Can I wax after retinol?")
    at = utcnow() + timedelta(days=2)
    schedule_answer(answer_id, at, _stored(db, answer_id).version)
    db.session.commit()
    assert _stored(db, answer_id).slug == "can-i-wax-after-retinol"

    assert len(notify_answered_questions(now=at + timedelta(minutes=1))) == 1
    mail = db.session.scalars(sa.select(OutboxMessage)).one()
    assert "http://shop.test/answers/can-i-wax-after-retinol" in mail.body_text


def test_publishing_again_after_unpublishing_keeps_the_address(db: SQLAlchemy) -> None:
    make_doctor()
    answer_id = _draft_from_question(db, "Is SPF 30 enough?")
    _publish(db, answer_id)
    unpublish_answer_at_version(answer_id, _stored(db, answer_id).version)
    db.session.commit()
    _save(db, answer_id, question="Is SPF 50 better than SPF 30?")
    assert _publish(db, answer_id).slug == "is-spf-30-enough"


def test_renaming_a_published_answer_keeps_each_old_slug_for_it(db: SQLAlchemy) -> None:
    answer = make_answer("Is SPF 30 enough?", slug="spf-30")
    db.session.commit()
    _save(db, answer.id, slug="spf-30-enough")
    _save(db, answer.id, slug="is-spf-30-enough")
    assert _old_slugs(db) == {"spf-30": answer.id, "spf-30-enough": answer.id}

    # Back to an old slug: it is current again, and no longer an old one.
    _save(db, answer.id, slug="spf-30")
    assert _old_slugs(db) == {"spf-30-enough": answer.id, "is-spf-30-enough": answer.id}


def test_emptying_a_published_answers_slug_makes_it_from_the_headline_and_keeps_the_old(
    db: SQLAlchemy,
) -> None:
    answer = make_answer("Is SPF 30 enough?", slug="spf-30")
    db.session.commit()
    assert _save(db, answer.id, slug="").slug == "is-spf-30-enough"
    assert _old_slugs(db) == {"spf-30": answer.id}


def test_a_typed_slug_another_answer_holds_is_refused(db: SQLAlchemy) -> None:
    make_answer(slug="taken")
    answer = make_answer(slug="mine")
    db.session.commit()
    with pytest.raises(FieldError, match="Another answer already uses the slug taken"):
        _save(db, answer.id, slug="taken")
    db.session.rollback()
    assert _stored(db, answer.id).slug == "mine"
    assert _old_slugs(db) == {}


# What visitors see


def test_each_old_address_is_a_301_to_the_current_one(client: FlaskClient, db: SQLAlchemy) -> None:
    answer = make_answer("Is SPF 30 enough?", slug="spf-30")
    db.session.commit()
    _save(db, answer.id, slug="spf-30-enough")
    _save(db, answer.id, slug="is-spf-30-enough")

    for old in ("spf-30", "spf-30-enough"):
        response = client.get(f"/answers/{old}")
        assert response.status_code == 301
        assert response.headers["Location"] == "/answers/is-spf-30-enough"
    assert client.get("/answers/is-spf-30-enough").status_code == 200
    kept = client.get("/answers/spf-30?utm_source=mail&utm_medium=email")
    assert kept.headers["Location"] == "/answers/is-spf-30-enough?utm_source=mail&utm_medium=email"


def test_an_old_slug_never_hides_the_answer_that_holds_it_now(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    first = make_answer("Is SPF 30 enough?", slug="spf")
    db.session.commit()
    _save(db, first.id, slug="spf-30")
    second = make_answer("What does SPF mean?", slug="spf")
    db.session.commit()

    page = client.get("/answers/spf")
    assert page.status_code == 200
    assert "What does SPF mean?" in page.get_data(as_text=True)
    assert client.get("/answers/spf-30").status_code == 200

    # The last answer to leave the address takes its redirect.
    _save(db, second.id, slug="spf-meaning")
    moved = client.get("/answers/spf")
    assert (moved.status_code, moved.headers["Location"]) == (301, "/answers/spf-meaning")


def test_an_old_address_of_an_answer_taken_off_the_site_is_404(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    answer = make_answer("Is SPF 30 enough?", slug="spf-30")
    db.session.commit()
    _save(db, answer.id, slug="spf-30-enough")
    unpublish_answer_at_version(answer.id, _stored(db, answer.id).version)
    db.session.commit()
    assert client.get("/answers/spf-30").status_code == 404
    assert client.get("/answers/spf-30-enough").status_code == 404


def test_the_feed_and_the_sitemap_list_only_current_addresses(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    answer = make_answer("Is SPF 30 enough?", slug="spf-30")
    db.session.commit()
    _save(db, answer.id, slug="spf-30-enough")
    _save(db, answer.id, slug="is-spf-30-enough")

    for url in ("/answers/feed.xml", "/sitemap.xml"):
        xml = client.get(url).get_data(as_text=True)
        assert "http://shop.test/answers/is-spf-30-enough<" in xml, url
        assert "/answers/spf-30<" not in xml, url
        assert "/answers/spf-30-enough<" not in xml, url
