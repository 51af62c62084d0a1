"""The answer editor as editors use it: write, preview, save, publish, schedule, unpublish."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from werkzeug.test import TestResponse

from shop.accounts.models import StaffRole, StaffUser
from shop.admin.audit import entries
from shop.admin.models import AuditEntry
from shop.core.models import utcnow
from shop.editorial.models import Answer, AnswerStatus, Doctor, QuestionStatus, ReaderQuestion
from shop.editorial.queries import public_answer
from shop.mail.models import OutboxMessage
from tests.factories import make_answer, make_concern, make_doctor, make_question, make_topic
from tests.fixtures_staff import sign_in
from tests.html import csrf_token, injected_markup, visible_text

MakeStaff = Callable[..., StaffUser]
STALE = (
    "This answer was changed by someone else after you opened it; nothing was saved. "
    "Here is the current version."
)


@pytest.fixture
def editor(client: FlaskClient, make_staff: MakeStaff) -> StaffUser:
    user = make_staff("ed@example.com", StaffRole.EDITOR)
    assert sign_in(client, "ed@example.com")[0] == 303
    return user


@pytest.fixture
def doctor(db: SQLAlchemy) -> Doctor:
    found = make_doctor("Miriam Hale")
    db.session.commit()
    return found


def _fields(doctor_id: int, /, **changes: Any) -> dict[str, Any]:
    return {
        "question": "Is niacinamide good for oily skin?",
        "slug": "",
        "letter": "Dear doctor,\r\n\r\nMy skin shines by noon.\r\n\r\n— Shiny",
        "body": "## Yes\r\n\r\nIt helps with **oil**.",
        "bottom_line": "Try 5% niacinamide.\r\nGive it eight weeks.\r\n",
        "doctor_id": str(doctor_id),
        "reviewed_by_id": "",
        "reviewed_on": "",
        "seo_description": "",
        **changes,
    }


def _version_on(page: TestResponse) -> str:
    found = re.search(r'name="version" type="hidden" value="(\d+)"', page.get_data(as_text=True))
    assert found is not None, "the editor has no version field"
    return found.group(1)


def _edit(client: FlaskClient, answer_id: int, **changes: Any) -> TestResponse:
    """Open the editor, change some fields, and save."""
    page = client.get(f"/admin/answers/{answer_id}")
    stored = _stored(answer_id)
    data = _fields(
        stored.doctor_id,
        question=stored.question,
        slug=stored.slug,
        letter=stored.letter,
        body=stored.body,
        seo_description=stored.seo_description or "",
        bottom_line="\n".join(stored.bottom_line),
        csrf_token=csrf_token(page),
        version=_version_on(page),
    )
    return client.post(f"/admin/answers/{answer_id}", data={**data, **changes})


def _act(client: FlaskClient, answer_id: int, action: str, **data: str) -> TestResponse:
    """Press a status button on the editor (publish, schedule, unpublish)."""
    page = client.get(f"/admin/answers/{answer_id}")
    return client.post(
        f"/admin/answers/{answer_id}/{action}",
        data={"csrf_token": csrf_token(page), "version": _version_on(page), **data},
    )


def _stored(answer_id: int) -> Answer:
    from shop.extensions import db

    db.session.expire_all()
    found = db.session.get(Answer, answer_id)
    assert found is not None
    return found


def _count(db: SQLAlchemy, model: type[Any]) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _draft(db: SQLAlchemy, **kwargs: Any) -> Answer:
    kwargs.setdefault("body", "## What helps\n\nGentle cleansing and daily sunscreen.")
    answer = make_answer(status=AnswerStatus.DRAFT, **kwargs)
    db.session.commit()
    return answer


# Access


def test_visitors_are_sent_to_sign_in(client: FlaskClient, db: SQLAlchemy) -> None:
    answer = _draft(db)
    for url in ("/admin/answers/new", f"/admin/answers/{answer.id}"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/login?next=")
    token = csrf_token(client.get("/ask"))
    response = client.post(
        f"/admin/answers/{answer.id}/publish", data={"csrf_token": token, "version": "1"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")
    assert _stored(answer.id).status is AnswerStatus.DRAFT


def test_fulfilment_staff_are_refused(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    answer = _draft(db)
    make_staff("ful@example.com", StaffRole.FULFILMENT)
    sign_in(client, "ful@example.com")
    assert client.get("/admin/answers/new").status_code == 403
    assert client.get(f"/admin/answers/{answer.id}").status_code == 403
    token = csrf_token(client.get("/ask"))
    refused = client.post(
        f"/admin/answers/{answer.id}/publish", data={"csrf_token": token, "version": "1"}
    )
    assert refused.status_code == 403
    assert _stored(answer.id).status is AnswerStatus.DRAFT
    assert "New answer" not in visible_text(client.get("/admin/"))


@pytest.mark.parametrize("role", [StaffRole.EDITOR, StaffRole.OWNER])
def test_editors_and_owners_open_the_editor(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff, role: StaffRole
) -> None:
    answer = _draft(db, question="Why do I flake?")
    make_staff("someone@example.com", role)
    sign_in(client, "someone@example.com")
    assert client.get("/admin/answers/new").status_code == 200
    page = client.get(f"/admin/answers/{answer.id}")
    assert page.status_code == 200
    assert "Why do I flake?" in page.get_data(as_text=True)
    assert "New answer" in visible_text(client.get("/admin/"))


def test_an_unknown_answer_is_404(client: FlaskClient, editor: StaffUser) -> None:
    assert client.get("/admin/answers/999999").status_code == 404


# Writing


def test_a_new_answer_is_saved_as_a_draft_and_audited(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, doctor: Doctor
) -> None:
    concern = make_concern("Oiliness")
    topic = make_topic("Ingredients")
    db.session.commit()
    page = client.get("/admin/answers/new")
    assert "Oiliness" in visible_text(page)

    response = client.post(
        "/admin/answers/new",
        data=_fields(
            doctor.id,
            csrf_token=csrf_token(page),
            concern_ids=[str(concern.id)],
            topic_ids=[str(topic.id)],
        ),
    )

    assert response.status_code == 303
    answer = db.session.scalars(sa.select(Answer)).one()
    assert response.headers["Location"] == f"/admin/answers/{answer.id}"
    assert answer.slug_placeholder  # the address is made from the headline at publish
    assert answer.status is AnswerStatus.DRAFT
    assert answer.letter == "Dear doctor,\n\nMy skin shines by noon.\n\n— Shiny"
    assert answer.body == "## Yes\n\nIt helps with **oil**."
    assert answer.bottom_line == ["Try 5% niacinamide.", "Give it eight weeks."]
    assert [c.id for c in answer.concerns] == [concern.id]
    assert [t.id for t in answer.topics] == [topic.id]
    [entry] = entries("answer", answer.id)
    assert (entry.action, entry.actor_id, entry.actor_email) == (
        "answer.create",
        editor.id,
        "ed@example.com",
    )
    assert entry.after is not None
    assert entry.after["slug"] == answer.slug
    assert entry.after["status"] == "draft"

    text = visible_text(client.get(response.headers["Location"]))
    assert "Draft saved. Readers cannot see it until you publish it." in text
    assert "Draft. Readers cannot see it." in text
    assert (
        "Address when published: http://shop.test/answers/is-niacinamide-good-for-oily-skin "
        "(made from the headline when you publish)"
    ) in text
    assert client.get(f"/answers/{answer.slug}").status_code == 404
    assert client.get("/answers/is-niacinamide-good-for-oily-skin").status_code == 404


def _too_many_points() -> str:
    return "\n".join(f"Point {n}" for n in range(9))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"question": "   "}, "Enter the question."),
        ({"question": "Q" * 301}, "Keep the question to 300 characters or fewer."),
        ({"slug": "Bad Slug!"}, "A slug is lowercase letters, digits and single dashes"),
        ({"slug": "taken"}, "Another answer already uses the slug taken."),
        ({"doctor_id": ""}, "Choose the doctor who answers."),
        ({"doctor_id": "99999"}, "Not a valid choice"),
        ({"bottom_line": "\n".join(f"Point {n}" for n in range(9))}, "8 points or fewer"),
        ({"bottom_line": "x" * 301}, "Keep each point to 300 characters or fewer."),
        ({"reviewed_on": "2999-01-01"}, "The review date cannot be in the future."),
        ({"reviewed_on": "yesterday"}, "Not a valid date value."),
        ({"seo_description": "d" * 321}, "Keep the description to 320 characters or fewer."),
        ({"body": "b" * 50_001}, "Keep the answer to 50,000 characters or fewer."),
        ({"topic_ids": ["99999"]}, "is not a valid choice"),
    ],
)
def test_bad_input_is_refused_with_a_message(
    client: FlaskClient,
    db: SQLAlchemy,
    editor: StaffUser,
    doctor: Doctor,
    changes: dict[str, Any],
    message: str,
) -> None:
    _draft(db, slug="taken")
    page = client.get("/admin/answers/new")
    response = client.post(
        "/admin/answers/new", data=_fields(doctor.id, csrf_token=csrf_token(page), **changes)
    )
    assert response.status_code == 400
    text = visible_text(response)
    assert "The answer was not saved" in text
    assert message in text
    assert _count(db, Answer) == 1
    assert _count(db, AuditEntry) == 0


def test_without_any_doctor_the_editor_says_to_add_one(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    page = client.get("/admin/answers/new")
    data = _fields(0, csrf_token=csrf_token(page), doctor_id="")
    response = client.post("/admin/answers/new", data=data)
    assert response.status_code == 400
    assert "Add a doctor before writing an answer." in visible_text(response)


def test_preview_renders_the_markdown_and_saves_nothing(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, doctor: Doctor
) -> None:
    body = "## What helps\n\n- **Gentle** cleansing\n\n<script>alert(1)</script>"
    page = client.get("/admin/answers/new")
    response = client.post(
        "/admin/answers/new",
        data=_fields(doctor.id, csrf_token=csrf_token(page), body=body, preview="1"),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    preview = html.split('id="body-preview"', 1)[1]
    assert "<h2>What helps</h2>" in preview
    assert "<strong>Gentle</strong>" in preview
    assert "This is a preview of what you entered; nothing has been saved." in visible_text(html)
    assert [p for p in injected_markup(html) if "/static/js/admin-preview." not in p] == []
    assert _count(db, Answer) == 0

    answer = _draft(db, body="Old body")
    before = _stored(answer.id).version
    edited = _edit(client, answer.id, body="## New heading", preview="1")
    assert edited.status_code == 200
    assert "<h2>New heading</h2>" in edited.get_data(as_text=True)
    stored = _stored(answer.id)
    assert (stored.body, stored.version) == ("Old body", before)
    assert _count(db, AuditEntry) == 0


def test_the_editor_offers_live_preview_to_javascript(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    answer = _draft(db, body="Some **bold** advice")
    html = client.get(f"/admin/answers/{answer.id}").get_data(as_text=True)
    assert 'data-preview-target="body-preview"' in html
    assert '<div id="body-preview" class="md-preview' in html
    assert 'aria-live="polite"' in html
    assert re.search(r'src="/static/js/admin-preview\.[0-9a-f]{12}\.js" defer', html)
    assert "<strong>bold</strong>" in html.split('id="body-preview"', 1)[1]


def test_editing_saves_a_new_version_and_audits_what_changed(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    answer = _draft(db, slug="old-slug", question="Old question?")
    reviewer = make_doctor("Ann Lee")
    db.session.commit()
    version = _stored(answer.id).version

    response = _edit(
        client,
        answer.id,
        question="New question?",
        reviewed_by_id=str(reviewer.id),
        reviewed_on="2025-03-01",
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/answers/{answer.id}"
    stored = _stored(answer.id)
    assert stored.question == "New question?"
    assert stored.slug == "old-slug"
    assert stored.reviewed_by_id == reviewer.id
    assert stored.version == version + 1
    [entry] = entries("answer", answer.id)
    assert entry.action == "answer.edit"
    assert entry.before == {
        "question": "Old question?",
        "reviewed_by_id": None,
        "reviewed_on": None,
    }
    assert entry.after == {
        "question": "New question?",
        "reviewed_by_id": reviewer.id,
        "reviewed_on": "2025-03-01",
    }
    text = visible_text(client.get(f"/admin/answers/{answer.id}"))
    assert "Saved." in text
    assert "ed@example.com" in text
    assert "changed question, reviewed_by_id, reviewed_on" in text


def test_a_stale_edit_is_refused_with_409_and_the_first_save_kept(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, make_staff: MakeStaff
) -> None:
    answer = _draft(db, question="First version?")
    make_staff("other@example.com", StaffRole.EDITOR)
    other = client.application.test_client()
    sign_in(other, "other@example.com")

    # Both open the editor, then both save.
    mine = client.get(f"/admin/answers/{answer.id}")
    theirs = other.get(f"/admin/answers/{answer.id}")
    base = _fields(answer.doctor_id, slug=answer.slug)
    first = other.post(
        f"/admin/answers/{answer.id}",
        data={
            **base,
            "question": "Their version?",
            "csrf_token": csrf_token(theirs),
            "version": _version_on(theirs),
        },
    )
    assert first.status_code == 303
    second = client.post(
        f"/admin/answers/{answer.id}",
        data={
            **base,
            "question": "My version?",
            "body": "My unsaved body",
            "csrf_token": csrf_token(mine),
            "version": _version_on(mine),
        },
    )

    assert second.status_code == 409
    text = visible_text(second)
    assert STALE in text
    assert 'value="Their version?"' in second.get_data(as_text=True)
    assert "My unsaved body" in text  # shown so it can be copied, not saved
    assert _version_on(second) == str(_stored(answer.id).version)
    assert _stored(answer.id).question == "Their version?"
    [entry] = entries("answer", answer.id)
    assert entry.actor_email == "other@example.com"

    # Saving again from the page the 409 showed works.
    third = client.post(
        f"/admin/answers/{answer.id}",
        data={
            **base,
            "question": "My version?",
            "csrf_token": csrf_token(second),
            "version": _version_on(second),
        },
    )
    assert third.status_code == 303
    assert _stored(answer.id).question == "My version?"


def test_a_stale_status_action_is_refused_with_409(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    answer = _draft(db)
    page = client.get(f"/admin/answers/{answer.id}")
    assert _edit(client, answer.id, question="Changed meanwhile?").status_code == 303
    response = client.post(
        f"/admin/answers/{answer.id}/publish",
        data={"csrf_token": csrf_token(page), "version": _version_on(page)},
    )
    assert response.status_code == 409
    assert STALE in visible_text(response)
    assert _stored(answer.id).status is AnswerStatus.DRAFT


# Status


def test_publishing_puts_it_on_the_site_and_tells_the_asker(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    answer = _draft(db, slug="oily-noon", question="Why is my skin oily by noon?")
    asked = make_question("asker@example.com", answer=answer)
    db.session.commit()
    assert client.get("/answers/oily-noon").status_code == 404

    response = _act(client, answer.id, "publish")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/answers/{answer.id}"
    page = client.get(f"/admin/answers/{answer.id}")
    assert client.get("/answers/oily-noon").status_code == 200
    assert "Why is my skin oily by noon?" in visible_text(client.get("/answers/"))
    stored = _stored(answer.id)
    assert stored.status is AnswerStatus.PUBLISHED
    assert stored.published_at is not None
    question = db.session.get(ReaderQuestion, asked.id)
    assert question is not None
    assert question.status is QuestionStatus.ANSWERED
    mail = db.session.scalars(sa.select(OutboxMessage)).one()
    assert mail.to_address == "asker@example.com"
    [entry] = entries("answer", answer.id)
    assert entry.action == "answer.publish"
    assert entry.before == {"status": "draft", "published_at": None}
    assert entry.after is not None
    assert entry.after["status"] == "published"

    text = visible_text(page)
    assert "The answer is published at /answers/oily-noon." in text
    assert "Published on" in text
    assert "Address: http://shop.test/answers/oily-noon" in text
    html = page.get_data(as_text=True)
    assert 'href="/answers/oily-noon"' in html
    assert f'href="/admin/links/answers/{answer.id}"' in html
    assert "Products in this answer" in text
    assert "Publish now" not in text


@pytest.mark.parametrize(
    ("field", "empty", "problem"),
    [("body", "", "the answer's body is empty"), ("bottom_line", [], "the bottom line is empty")],
)
def test_an_incomplete_answer_is_not_published(
    client: FlaskClient,
    db: SQLAlchemy,
    editor: StaffUser,
    field: str,
    empty: object,
    problem: str,
) -> None:
    answer = make_answer(status=AnswerStatus.DRAFT, slug="unfinished")
    setattr(answer, field, empty)
    db.session.commit()
    response = _act(client, answer.id, "publish")
    assert response.status_code == 400
    text = visible_text(response)
    assert "The answer's status was not changed" in text
    assert f"The answer was not published: {problem}." in text
    assert _stored(answer.id).status is AnswerStatus.DRAFT
    assert client.get("/answers/unfinished").status_code == 404
    assert _count(db, AuditEntry) == 0


def test_a_scheduled_answer_waits_for_its_time(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    answer = _draft(db, slug="next-week", question="Can I wax after retinol?")
    at = (utcnow() + timedelta(days=7)).replace(second=0, microsecond=0)

    page = client.get(f"/admin/answers/{answer.id}")
    assert "Goes live on (date and time, UTC)" in visible_text(page)
    assert "Times are in UTC" in visible_text(page)
    response = _act(client, answer.id, "schedule", go_live=at.strftime("%Y-%m-%dT%H:%M"))

    assert response.status_code == 303
    text = visible_text(client.get(f"/admin/answers/{answer.id}"))
    stored = _stored(answer.id)
    assert stored.status is AnswerStatus.SCHEDULED
    assert client.get("/answers/next-week").status_code == 404
    assert "Can I wax after retinol?" not in visible_text(client.get("/answers/"))
    assert public_answer("next-week", now=at - timedelta(minutes=1)) is None
    assert public_answer("next-week", now=at + timedelta(minutes=1)) is not None
    [entry] = entries("answer", answer.id)
    assert entry.action == "answer.schedule"
    assert entry.after == {"status": "scheduled", "published_at": at.isoformat()}

    when = at.strftime("%Y-%m-%d %H:%M")
    assert f"The answer is scheduled to go live on {when} UTC." in text
    assert f"Scheduled. Goes live on {when} UTC" in text
    assert "Unpublish" in text


@pytest.mark.parametrize(
    ("go_live", "message"),
    [
        ("", "Enter the date and time the answer should go live."),
        ("next tuesday", "Not a valid datetime value."),
        ("an hour ago", "Choose a moment in the future."),
    ],
)
def test_a_schedule_needs_a_future_moment(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, go_live: str, message: str
) -> None:
    answer = _draft(db)
    if go_live == "an hour ago":
        go_live = (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = _act(client, answer.id, "schedule", go_live=go_live)
    assert response.status_code == 400
    assert message in visible_text(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert _stored(answer.id).status is AnswerStatus.DRAFT


def test_unpublishing_takes_it_off_the_site_at_once(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    answer = make_answer(slug="was-public", question="Is SPF 30 enough?")
    db.session.commit()
    assert client.get("/answers/was-public").status_code == 200

    response = _act(client, answer.id, "unpublish")

    assert response.status_code == 303
    text = visible_text(client.get(f"/admin/answers/{answer.id}"))
    assert client.get("/answers/was-public").status_code == 404
    assert "Is SPF 30 enough?" not in visible_text(client.get("/answers/"))
    assert _stored(answer.id).status is AnswerStatus.DRAFT
    [entry] = entries("answer", answer.id)
    assert (entry.action, entry.before, entry.after) == (
        "answer.unpublish",
        {"status": "published", "published_at": entry.before["published_at"]},  # type: ignore[index]
        {"status": "draft", "published_at": entry.before["published_at"]},  # type: ignore[index]
    )
    assert "The answer is back to draft and no longer on the site." in text
    assert "Draft. Readers cannot see it." in text


# Nothing changes by accident


def test_get_changes_nothing(client: FlaskClient, db: SQLAlchemy, editor: StaffUser) -> None:
    answer = _draft(db)
    version = _stored(answer.id).version
    for action in ("publish", "schedule", "unpublish"):
        assert client.get(f"/admin/answers/{answer.id}/{action}").status_code == 405
    client.get(f"/admin/answers/{answer.id}?question=Changed&version=1")
    client.get("/admin/answers/new?question=Created")
    stored = _stored(answer.id)
    assert (stored.status, stored.version) == (AnswerStatus.DRAFT, version)
    assert _count(db, Answer) == 1
    assert _count(db, AuditEntry) == 0


def test_posts_without_csrf_are_refused(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, doctor: Doctor
) -> None:
    answer = _draft(db)
    assert client.post("/admin/answers/new", data=_fields(doctor.id)).status_code == 400
    for action in ("publish", "unpublish"):
        response = client.post(f"/admin/answers/{answer.id}/{action}", data={"version": "1"})
        assert response.status_code == 400
    assert _stored(answer.id).status is AnswerStatus.DRAFT
    assert _count(db, Answer) == 1


def test_answer_this_opens_the_new_draft_in_the_editor(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, doctor: Doctor
) -> None:
    q = make_question(name="Sam", question="Why do my cheeks sting? It burns.")
    db.session.commit()
    token = csrf_token(client.get(f"/admin/questions/{q.id}"))
    response = client.post(f"/admin/questions/{q.id}/answer", data={"csrf_token": token})
    draft = db.session.scalars(sa.select(Answer)).one()
    assert response.headers["Location"] == f"/admin/answers/{draft.id}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="Why do my cheeks sting?"' in html
    assert "Why do my cheeks sting? It burns.\n\n— Sam</textarea>" in html


# Addresses


def test_a_slug_the_editor_types_is_kept_and_each_rename_keeps_the_old_address(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, doctor: Doctor
) -> None:
    page = client.get("/admin/answers/new")
    created = client.post(
        "/admin/answers/new",
        data=_fields(doctor.id, csrf_token=csrf_token(page), slug="oily-by-noon"),
    )
    answer_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert "Address when published: http://shop.test/answers/oily-by-noon (the slug you chose)" in (
        visible_text(client.get(f"/admin/answers/{answer_id}"))
    )
    assert _act(client, answer_id, "publish").status_code == 303
    assert client.get("/answers/oily-by-noon").status_code == 200

    assert _edit(client, answer_id, slug="oily-skin-by-noon").status_code == 303
    assert _edit(client, answer_id, slug="why-is-my-skin-oily-by-noon").status_code == 303

    for old in ("oily-by-noon", "oily-skin-by-noon"):
        moved = client.get(f"/answers/{old}")
        assert moved.status_code == 301
        assert moved.headers["Location"] == "/answers/why-is-my-skin-oily-by-noon"
    assert client.get("/answers/why-is-my-skin-oily-by-noon").status_code == 200
    text = visible_text(client.get(f"/admin/answers/{answer_id}"))
    assert "Address: http://shop.test/answers/why-is-my-skin-oily-by-noon" in text
    old_list = text.split("Old addresses that send readers here:", 1)[1]
    assert old_list.index("/answers/oily-skin-by-noon") < old_list.index("/answers/oily-by-noon")
    assert "the old address keeps working and sends readers to the new one" in text
    renames = [e for e in entries("answer", answer_id) if e.action == "answer.edit"]
    assert [e.after for e in renames] == [
        {"slug": "why-is-my-skin-oily-by-noon"},
        {"slug": "oily-skin-by-noon"},
    ]


def test_a_headline_without_letters_is_refused_at_publishing_with_a_reason(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, doctor: Doctor
) -> None:
    page = client.get("/admin/answers/new")
    created = client.post(
        "/admin/answers/new", data=_fields(doctor.id, csrf_token=csrf_token(page), question="???")
    )
    answer_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert "No address yet: the headline has no letters or digits" in visible_text(
        client.get(f"/admin/answers/{answer_id}")
    )
    response = _act(client, answer_id, "publish")
    assert response.status_code == 400
    assert "The answer's address could not be made" in visible_text(response)
    assert _stored(answer_id).status is AnswerStatus.DRAFT
