"""Asking the doctor: validated, CSRF-protected, rate-limited, and never lost."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.editorial.models import QuestionStatus, ReaderQuestion
from shop.mail.models import OutboxMessage
from shop.mail.services import send_pending
from tests.fixtures_mail import SmtpServer, free_port
from tests.html import csrf_token, injected_markup, visible_text

GOOD = {
    "name": "Jo",
    "email": "jo@example.com",
    "question": "Does azelaic acid help with rosacea redness on the cheeks?",
    "consent": "y",
}


def _post(client: FlaskClient, **overrides: str | None) -> tuple[int, str]:
    token = csrf_token(client.get("/ask"))
    data = {**GOOD, **overrides, "csrf_token": token}
    response = client.post("/ask", data={k: v for k, v in data.items() if v is not None})
    return response.status_code, response.get_data(as_text=True)


def _questions(db: SQLAlchemy) -> list[ReaderQuestion]:
    return list(db.session.scalars(sa.select(ReaderQuestion)))


def test_a_question_is_stored_and_both_mails_arrive(
    client: FlaskClient, db: SQLAlchemy, smtp_server: SmtpServer, app: Flask
) -> None:
    token = csrf_token(client.get("/ask"))
    response = client.post("/ask", data={**GOOD, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/ask/thanks")
    assert "your question has reached us" in visible_text(client.get("/ask/thanks"))

    [stored] = _questions(db)
    assert stored.email == "jo@example.com"
    assert stored.status is QuestionStatus.NEW
    assert stored.consent is True

    received = {m["To"]: m for m in smtp_server.messages}
    assert set(received) == {"jo@example.com", app.config["MAIL_STAFF_ADDRESS"]}
    ack = received["jo@example.com"]
    assert ack["Subject"] == "We received your question"
    assert "Does azelaic acid help with rosacea" in ack.get_content()
    notice = received[app.config["MAIL_STAFF_ADDRESS"]]
    assert f"#{stored.id}" in notice["Subject"]
    assert "jo@example.com" in notice.get_content()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"question": ""}, "Write your question."),
        ({"question": "Too short"}, "Your question must be 10 to 5,000 characters."),
        ({"question": "x" * 5001}, "Your question must be 10 to 5,000 characters."),
        ({"email": "not-an-email"}, "Enter an email address like name@example.com."),
        ({"email": ""}, "Enter your email so we can tell you when the doctor answers."),
        ({"consent": None}, "Please tick the box so we may store your question."),
        ({"website": "http://spam.example"}, "This form looked automated."),
        ({"name": "n" * 101}, "Field cannot be longer than 100 characters."),
    ],
)
def test_bad_input_gives_the_form_back_with_a_message_and_keeps_the_text(
    client: FlaskClient, db: SQLAlchemy, overrides: dict[str, str | None], message: str
) -> None:
    status, html = _post(client, **overrides)
    assert status == 400
    text = visible_text(html)
    assert "Please check your question" in text
    assert message in text
    kept = overrides.get("question", GOOD["question"]) or ""
    if len(kept) < 200:
        assert kept in html  # what the reader typed is still in the form
    assert _questions(db) == []


def test_a_post_without_the_csrf_token_is_refused(client: FlaskClient, db: SQLAlchemy) -> None:
    response = client.post("/ask", data=GOOD)
    assert response.status_code == 400
    assert "This form expired" in visible_text(response)
    assert _questions(db) == []


def test_the_eleventh_question_from_one_address_gets_a_friendly_429(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    for n in range(10):
        status, _ = _post(client, question=f"Question number {n} about my dry skin")
        assert status == 303
    status, html = _post(client, question="Question number eleven about my skin")
    assert status == 429
    assert "You have sent several requests in a short time" in visible_text(html)
    assert len(_questions(db)) == 10


def test_rate_limits_can_be_switched_off_for_a_scan(
    db: SQLAlchemy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RATELIMIT_ENABLED=0 (what `make attack` sets): the eleventh question goes through."""
    from tests.conftest import make_app

    monkeypatch.setenv("RATELIMIT_ENABLED", "0")
    url = str(db.engine.url.render_as_string(hide_password=False))
    unlimited = make_app(url, tmp_path / "unlimited")
    try:
        statuses = [
            _post(unlimited.test_client(), question=f"Unlimited question number {n}")[0]
            for n in range(11)
        ]
    finally:
        with unlimited.app_context():
            db.engine.dispose()
    assert statuses == [303] * 11


def test_xss_in_a_question_is_escaped_when_the_form_comes_back(
    client: FlaskClient, db: SQLAlchemy
) -> None:
    status, html = _post(client, question="<script>alert(1)</script> is this safe?", email="bad")
    assert status == 400
    assert injected_markup(html) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_smtp_down_stores_the_question_and_mail_goes_out_when_it_returns(
    app: Flask, client: FlaskClient, db: SQLAlchemy
) -> None:
    server = SmtpServer(port=free_port())  # not started: the mail server is down
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER=server.host, MAIL_PORT=server.port)
    status, _ = _post(client)
    assert status == 303  # the reader is not bothered by our mail trouble
    assert len(_questions(db)) == 1
    waiting = list(db.session.scalars(sa.select(OutboxMessage)))
    assert {m.status for m in waiting} == {"queued"}
    assert all(m.last_error for m in waiting)

    with server:
        from datetime import timedelta

        from shop.core.models import utcnow

        report = send_pending(now=utcnow() + timedelta(minutes=5))
        assert report.sent == 2
        assert {m["To"] for m in server.messages} == {
            "jo@example.com",
            app.config["MAIL_STAFF_ADDRESS"],
        }


def test_with_redis_the_limit_is_shared_by_every_app_process(
    app: Flask, db: SQLAlchemy, tmp_path: Path
) -> None:
    """Two app instances (two gunicorn workers, say) count one reader's questions together."""
    import os
    import uuid

    from tests.conftest import make_app, skip_or_fail

    redis_url = os.environ.get("SHOP_TEST_REDIS_URL")
    if not redis_url:
        skip_or_fail(
            "The Redis rate-limit test needs SHOP_TEST_REDIS_URL (redis://127.0.0.1:6379/0)"
        )
        return
    settings = {"RATELIMIT_STORAGE_URI": redis_url, "ASK_RATE_LIMIT": "3 per hour"}
    url = str(db.engine.url.render_as_string(hide_password=False))
    workers = [make_app(url, tmp_path / f"w{n}", **settings) for n in range(2)]
    clients = [w.test_client() for w in workers]
    # A reader address of this test's own, so parallel runs sharing the Redis never meet.
    reader = uuid.uuid4().bytes
    for c in clients:
        c.environ_base["REMOTE_ADDR"] = f"10.{reader[0]}.{reader[1]}.{reader[2]}"
    statuses = []
    try:
        for n in range(4):
            status, _ = _post(clients[n % 2], question=f"Shared limit question number {n}")
            statuses.append(status)
    finally:
        for worker in workers:
            with worker.app_context():
                db.engine.dispose()
    assert statuses == [303, 303, 303, 429]
