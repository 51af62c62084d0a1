"""The reader-questions inbox as editors use it: list, filter, sort, start an answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from werkzeug.test import TestResponse

from shop.accounts.models import StaffRole, StaffUser
from shop.admin.audit import entries
from shop.admin.models import AuditEntry
from shop.core.models import utcnow
from shop.editorial.models import Answer, AnswerStatus, QuestionStatus, ReaderQuestion
from shop.editorial.questions import start_answer_from_question
from tests.factories import make_doctor, make_question
from tests.fixtures_mail import SmtpServer
from tests.fixtures_staff import sign_in
from tests.html import csrf_token, injected_markup, visible_text
from tests.sql import counted_selects

MakeStaff = Callable[..., StaffUser]
XSS = '<script>alert("x")</script><img src=x onerror="alert(1)">'


@pytest.fixture
def editor(client: FlaskClient, make_staff: MakeStaff) -> StaffUser:
    user = make_staff("ed@example.com", StaffRole.EDITOR)
    assert sign_in(client, "ed@example.com")[0] == 303
    return user


def _token(client: FlaskClient, question_id: int) -> str:
    return csrf_token(client.get(f"/admin/questions/{question_id}"))


def _status_of(db: SQLAlchemy, question_id: int) -> QuestionStatus:
    db.session.expire_all()
    found = db.session.get(ReaderQuestion, question_id)
    assert found is not None
    return found.status


def test_visitors_are_sent_to_sign_in(client: FlaskClient, db: SQLAlchemy) -> None:
    q = make_question()
    db.session.commit()
    for url in ("/admin/questions/", f"/admin/questions/{q.id}"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/login?next=")


def test_fulfilment_staff_are_refused(
    client: FlaskClient,
    db: SQLAlchemy,
    make_staff: MakeStaff,
) -> None:
    q = make_question()
    db.session.commit()
    make_staff("ful@example.com", StaffRole.FULFILMENT)
    sign_in(client, "ful@example.com")
    assert client.get("/admin/questions/").status_code == 403
    assert client.get(f"/admin/questions/{q.id}").status_code == 403
    home = client.get("/admin/")
    assert "Reader questions" not in visible_text(home)


@pytest.mark.parametrize("role", [StaffRole.EDITOR, StaffRole.OWNER])
def test_editors_and_owners_open_the_inbox(
    client: FlaskClient,
    db: SQLAlchemy,
    make_staff: MakeStaff,
    role: StaffRole,
) -> None:
    q = make_question(name="Pat", question="Is retinol safe?")
    db.session.commit()
    make_staff("someone@example.com", role)
    sign_in(client, "someone@example.com")
    inbox = client.get("/admin/questions/")
    assert inbox.status_code == 200
    assert "Pat reader@example.com Is retinol safe? new" in visible_text(inbox)
    assert f'href="/admin/questions/{q.id}"' in inbox.get_data(as_text=True)
    assert client.get(f"/admin/questions/{q.id}").status_code == 200
    assert "Reader questions" in visible_text(client.get("/admin/"))


def test_the_inbox_filters_by_status_counts_and_lists_newest_first(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    old = make_question(question="Old new question?", name=None)
    old.created_at = utcnow() - timedelta(days=2)
    make_question(question="Fresh new question?")
    make_question(question="Buy cheap pills", status=QuestionStatus.SPAM)
    make_question(question="Off topic", status=QuestionStatus.DECLINED)
    long_text = "A" * 139 + "BCDEF"
    make_question(question=long_text, status=QuestionStatus.DECLINED)
    db.session.commit()

    text = visible_text(client.get("/admin/questions/"))
    assert "New (2)" in text
    assert "Spam (1)" in text
    assert "Declined (2)" in text
    assert "Answered (0)" in text
    assert "All (5)" in text
    assert text.index("Fresh new question?") < text.index("Old new question?")
    assert "— reader@example.com Old new question?" in text
    assert "Buy cheap pills" not in text

    spam = visible_text(client.get("/admin/questions/?status=spam"))
    assert "Buy cheap pills" in spam
    assert "Fresh new question?" not in spam

    declined = visible_text(client.get("/admin/questions/?status=declined"))
    assert "A" * 139 + "B…" in declined
    assert "BCDEF" not in declined

    everything = visible_text(client.get("/admin/questions/?status=all"))
    for words in ("Old new", "Fresh new", "Buy cheap", "Off topic"):
        assert words in everything


def test_the_inbox_pages_by_fifty_with_a_fixed_number_of_queries(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    for n in range(3):
        make_question(question=f"Question {n}?")
    db.session.commit()
    with counted_selects(db) as few:
        assert client.get("/admin/questions/").status_code == 200
    for n in range(3, 55):
        make_question(question=f"Question {n}?")
    db.session.commit()
    with counted_selects(db) as many:
        first = client.get("/admin/questions/")
    assert len(many) == len(few)
    assert "Page 1 of 2" in visible_text(first)
    second = visible_text(client.get("/admin/questions/?page=2"))
    assert "Question 4?" in second
    assert "Question 54?" not in second
    assert client.get("/admin/questions/?page=3").status_code == 404


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("status=archived", "The status filter must be one of"),
        ("page=0", "The page number must be a whole number"),
        ("page=two", "The page number must be a whole number"),
    ],
)
def test_a_bad_filter_or_page_is_a_400_that_says_why(
    client: FlaskClient, editor: StaffUser, query: str, says: str
) -> None:
    response = client.get(f"/admin/questions/?{query}")
    assert response.status_code == 400
    assert says in visible_text(response)


def test_a_question_is_escaped_on_both_pages(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    q = make_question(name=XSS, question=f"Line one\n{XSS}\nLine three")
    db.session.commit()
    for url in ("/admin/questions/", f"/admin/questions/{q.id}"):
        html = client.get(url).get_data(as_text=True)
        assert injected_markup(html) == []
        assert "&lt;script&gt;" in html
    detail = client.get(f"/admin/questions/{q.id}").get_data(as_text=True)
    assert "Line one\n&lt;script&gt;" in detail  # line breaks kept for pre-line


def test_an_unknown_question_is_404(client: FlaskClient, editor: StaffUser) -> None:
    assert client.get("/admin/questions/999").status_code == 404
    token = csrf_token(client.get("/admin/"))
    posted = client.post(
        "/admin/questions/999/status", data={"csrf_token": token, "status": "spam"}
    )
    assert posted.status_code == 404
    assert client.post("/admin/questions/999/answer", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize(
    ("start", "target", "button"),
    [
        (QuestionStatus.NEW, QuestionStatus.SPAM, "Mark as spam"),
        (QuestionStatus.NEW, QuestionStatus.DECLINED, "Decline"),
        (QuestionStatus.SPAM, QuestionStatus.NEW, "Back to new"),
    ],
)
def test_sorting_a_question_changes_its_status_and_is_audited(
    client: FlaskClient,
    db: SQLAlchemy,
    editor: StaffUser,
    start: QuestionStatus,
    target: QuestionStatus,
    button: str,
) -> None:
    q = make_question(status=start)
    db.session.commit()
    page = client.get(f"/admin/questions/{q.id}")
    assert button in visible_text(page)

    response = client.post(
        f"/admin/questions/{q.id}/status",
        data={"csrf_token": csrf_token(page), "status": target.value},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/questions/{q.id}"
    assert _status_of(db, q.id) is target
    [entry] = entries("reader_question", q.id)
    assert (entry.action, entry.actor_id, entry.actor_email) == (
        "question.status",
        editor.id,
        "ed@example.com",
    )
    assert entry.before == {"status": start.value}
    assert entry.after == {"status": target.value}
    assert f"Question #{q.id} is now {target.value}." in visible_text(
        client.get(response.headers["Location"])
    )


def test_answer_this_starts_a_linked_draft_that_stays_private(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    doctor = make_doctor()
    text = "Why does my skin flake in winter? I moisturise twice a day.\nIt still stings."
    q = make_question(name="Sam", question=text)
    db.session.commit()

    response = client.post(
        f"/admin/questions/{q.id}/answer", data={"csrf_token": _token(client, q.id)}
    )

    assert response.status_code == 303
    db.session.expire_all()
    question = db.session.get(ReaderQuestion, q.id)
    assert question is not None
    assert question.answer is not None
    draft = question.answer
    assert draft.status is AnswerStatus.DRAFT
    assert draft.published_at is None
    assert draft.slug_placeholder  # a stand-in: the address is made when it is published
    assert draft.question == "Why does my skin flake in winter?"
    assert draft.letter == f"{text}\n\n— Sam"
    assert draft.doctor_id == doctor.id
    assert question.status is QuestionStatus.NEW
    [entry] = entries("reader_question", q.id)
    assert entry.action == "question.answer"
    assert entry.actor_email == "ed@example.com"
    assert entry.after == {"answer_id": draft.id}

    # "Answer this" opens the new draft in the answer editor, which shows the address to be.
    assert response.headers["Location"] == f"/admin/answers/{draft.id}"
    opened = client.get(response.headers["Location"])
    editor_page = visible_text(opened)
    assert f"Draft answer started from question #{q.id}." in editor_page
    assert "Draft. Readers cannot see it." in editor_page
    assert (
        "Address when published: http://shop.test/answers/why-does-my-skin-flake-in-winter"
    ) in editor_page
    assert draft.slug not in opened.get_data(as_text=True)  # the stand-in is never shown
    page = visible_text(client.get(f"/admin/questions/{q.id}"))
    assert draft.slug not in page
    assert "no address until it is published, status draft" in page
    assert "Not public yet." in page
    assert "Answer this" not in page
    assert client.get(f"/answers/{draft.slug}").status_code == 404

    again = client.post(
        f"/admin/questions/{q.id}/answer", data={"csrf_token": _token(client, q.id)}
    )
    assert again.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 1
    assert "This question already has an answer." in visible_text(
        client.get(f"/admin/questions/{q.id}")
    )


def test_a_long_question_becomes_a_short_headline_that_asks(db: SQLAlchemy) -> None:
    make_doctor()
    q = make_question(name=None, question="word " * 100)
    answer = start_answer_from_question(q.id)
    assert len(answer.question) <= 120
    assert answer.question.startswith("Word word")
    assert answer.question.endswith("word?")
    assert answer.letter == ("word " * 100).strip()


def _version_on(page: TestResponse) -> str:
    found = re.search(r'name="version" type="hidden" value="(\d+)"', page.get_data(as_text=True))
    assert found is not None, "the editor has no version field"
    return found.group(1)


def test_answer_this_then_publish_puts_the_answer_and_the_mail_at_the_headline_address(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, smtp_server: SmtpServer
) -> None:
    doctor = make_doctor()
    q = make_question(
        "asker@example.com",
        "Dear doctor, my cheeks sting after washing. Why does my skin sting after cleansing?",
    )
    db.session.commit()
    started = client.post(
        f"/admin/questions/{q.id}/answer", data={"csrf_token": _token(client, q.id)}
    )
    editor_url = started.headers["Location"]
    opened = client.get(editor_url)
    html = opened.get_data(as_text=True)
    assert 'value="Why does my skin sting after cleansing?"' in html  # a question
    assert re.search(r'name="slug" [^>]*value=""', html)  # the slug is left untouched

    # The editor writes the answer, leaving the slug field as it came, and publishes.
    saved = client.post(
        editor_url,
        data={
            "csrf_token": csrf_token(opened),
            "version": _version_on(opened),
            "question": "Why does my skin sting after cleansing?",
            "slug": "",
            "letter": "My cheeks sting after washing.",
            "body": "Your cleanser is too harsh.",
            "bottom_line": "Switch to a gentle cleanser.",
            "doctor_id": str(doctor.id),
            "reviewed_by_id": "",
            "reviewed_on": "",
            "seo_description": "",
        },
    )
    assert saved.status_code == 303
    placeholder = db.session.scalars(sa.select(Answer.slug)).one()
    page = client.get(editor_url)
    published = client.post(
        f"{editor_url}/publish",
        data={"csrf_token": csrf_token(page), "version": _version_on(page)},
    )

    assert published.status_code == 303
    final = "why-does-my-skin-sting-after-cleansing"
    assert f"The answer is published at /answers/{final}." in visible_text(client.get(editor_url))
    assert client.get(f"/answers/{final}").status_code == 200
    assert client.get(f"/answers/{placeholder}").status_code == 404
    [mail] = smtp_server.messages
    assert mail["To"] == "asker@example.com"
    text = mail.get_content()
    assert re.search(rf"http://shop\.test/answers/{final}\s", text)
    assert "draft-" not in text


def test_get_changes_nothing(client: FlaskClient, db: SQLAlchemy, editor: StaffUser) -> None:
    make_doctor()
    q = make_question()
    db.session.commit()
    assert client.get(f"/admin/questions/{q.id}/status?status=spam").status_code == 405
    assert client.get(f"/admin/questions/{q.id}/answer").status_code == 405
    client.get(f"/admin/questions/{q.id}")
    client.get("/admin/questions/?status=all")
    assert _status_of(db, q.id) is QuestionStatus.NEW
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_posts_without_csrf_are_refused(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    make_doctor()
    q = make_question()
    db.session.commit()
    assert (
        client.post(f"/admin/questions/{q.id}/status", data={"status": "spam"}).status_code == 400
    )
    assert client.post(f"/admin/questions/{q.id}/answer").status_code == 400
    assert _status_of(db, q.id) is QuestionStatus.NEW
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


@pytest.mark.parametrize("value", ["archived", "answered", ""])
def test_a_bad_status_value_is_a_400_and_changes_nothing(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, value: str
) -> None:
    q = make_question()
    db.session.commit()
    response = client.post(
        f"/admin/questions/{q.id}/status",
        data={"csrf_token": _token(client, q.id), "status": value},
    )
    assert response.status_code == 400
    assert "That status change was refused" in visible_text(response)
    assert _status_of(db, q.id) is QuestionStatus.NEW
    assert entries("reader_question", q.id) == []
