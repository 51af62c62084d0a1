"""The outbox: queued with the caller's work, sent through real SMTP, never lost."""

from __future__ import annotations

import email
import email.policy
import logging
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask
from flask_sqlalchemy import SQLAlchemy

from shop.core.models import utcnow
from shop.mail.models import MailStatus, OutboxMessage
from shop.mail.services import (
    MAX_ATTEMPTS,
    SendReport,
    as_utc,
    deliver,
    queue_mail,
    queue_raw,
    retry_delay,
    send_pending,
)
from tests.fixtures_mail import SmtpServer, free_port

SENDER = "Dr. Hale's Shop <shop@drhale.test>"


@pytest.fixture(autouse=True)
def _sender(app: Flask) -> None:
    app.config["MAIL_DEFAULT_SENDER"] = SENDER


@pytest.fixture
def email_templates(app: Flask, tmp_path: Path) -> Path:
    """A folder of test-only mail templates, found as `email/<name>` like the real ones."""
    folder = tmp_path / "test_templates"
    (folder / "email").mkdir(parents=True)
    app.register_blueprint(Blueprint("mail_test_templates", __name__, template_folder=str(folder)))
    return folder / "email"


def _queue(db: SQLAlchemy, to: str = "ann@example.com", **kwargs: str) -> OutboxMessage:
    message = queue_raw(
        to,
        kwargs.get("subject", "Your question reached us"),
        kwargs.get("body_text", "Thank you for asking.\n"),
        kind=kwargs.get("kind", "question_ack"),
        body_html=kwargs.get("body_html"),
    )
    db.session.commit()
    return message


def _statuses(db: SQLAlchemy) -> dict[str, MailStatus]:
    rows = db.session.execute(sa.select(OutboxMessage.to_address, OutboxMessage.status))
    return dict(rows.all())


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    # Over SMTP lines end in CRLF.
    return str(part.get_content()).replace("\r\n", "\n")


def test_queued_mail_waits_until_it_is_sent(db: SQLAlchemy, smtp_server: SmtpServer) -> None:
    message = _queue(db)
    assert smtp_server.messages == []
    assert (message.status, message.attempts, message.sent_at) == (MailStatus.QUEUED, 0, None)

    assert send_pending() == SendReport(sent=1)
    assert len(smtp_server.messages) == 1
    assert message.status == MailStatus.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.locked_until is None
    assert send_pending() == SendReport()
    assert len(smtp_server.messages) == 1


def test_the_message_that_arrives_has_headers_and_both_parts(
    db: SQLAlchemy, smtp_server: SmtpServer
) -> None:
    message = _queue(
        db,
        to="ann@example.com",
        subject="Your order   is\non its way",
        body_text="Hello Ann,\nyour parcel left today.\n",
        body_html="<p>Hello Ann,<br>your parcel left <b>today</b>.</p>",
    )
    send_pending()

    [received] = smtp_server.messages
    assert received["From"].addresses[0].addr_spec == "shop@drhale.test"
    assert received["From"].addresses[0].display_name == "Dr. Hale's Shop"
    assert received["To"] == "ann@example.com"
    assert received["Subject"] == "Your order is on its way"
    assert received["Message-ID"] == f"<outbox-{message.id}@drhale.test>"
    assert received["Date"].datetime is not None
    assert _text(received) == "Hello Ann,\nyour parcel left today.\n"
    html = received.get_body(("html",))
    assert isinstance(html, EmailMessage)
    assert "<b>today</b>" in html.get_content()
    assert smtp_server.handler.envelopes == [("shop@drhale.test", ["ann@example.com"])]


def test_text_only_message_has_no_html_part(db: SQLAlchemy, smtp_server: SmtpServer) -> None:
    _queue(db, body_text="Plain words.\n")
    send_pending()
    [received] = smtp_server.messages
    assert not received.is_multipart()
    assert received.get_body(("html",)) is None
    assert _text(received) == "Plain words.\n"


def test_queue_mail_renders_text_and_optional_html_templates(
    app: Flask, db: SQLAlchemy, email_templates: Path
) -> None:
    (email_templates / "_test_note.txt").write_text("Hello {{ name }}, from {{ shop_name }}.\n")
    (email_templates / "_test_note.html").write_text("<p>Hello {{ name }}</p>\n")
    (email_templates / "_test_plain.txt").write_text("Only text for {{ name }}.\n")

    # With only an app context, as in a CLI command.
    both = queue_mail("ann@example.com", "Hi", "_test_note", kind="test", name="Ann & <Bo>")
    # And inside a request.
    with app.test_request_context("/"):
        plain = queue_mail("bo@example.com", "Hi", "_test_plain", kind="test", name="Bo")
    db.session.commit()

    # Text is not HTML-escaped; the HTML part is.
    assert both.body_text == f"Hello Ann & <Bo>, from {app.config['SHOP_NAME']}."
    assert both.body_html == "<p>Hello Ann &amp; &lt;Bo&gt;</p>"
    assert plain.body_text == "Only text for Bo."
    assert plain.body_html is None
    assert (both.kind, both.status) == ("test", MailStatus.QUEUED)


def test_queue_raw_refuses_unusable_addresses(db: SQLAlchemy) -> None:
    for bad in ("", "no-at-sign", "ann@example.com\r\nBcc: eve@example.com", "a@" + "b" * 260):
        with pytest.raises(ValueError, match="email address"):
            queue_raw(bad, "Hi", "Body", kind="test")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_mail_queued_in_a_rolled_back_transaction_never_exists(
    db: SQLAlchemy, smtp_server: SmtpServer
) -> None:
    queue_raw("ann@example.com", "Order confirmed", "Thanks!", kind="order_paid")
    db.session.rollback()

    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert send_pending() == SendReport()
    assert smtp_server.messages == []


def test_smtp_down_keeps_the_message_queued_with_a_readable_error(
    app: Flask, db: SQLAlchemy
) -> None:
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    message = _queue(db)
    now = utcnow()

    assert send_pending(now=now) == SendReport(retried=1)
    assert message.status == MailStatus.QUEUED
    assert message.attempts == 1
    assert message.last_error is not None
    assert "connection refused" in message.last_error.lower()
    assert f"127.0.0.1:{app.config['MAIL_PORT']}" in message.last_error
    assert as_utc(message.next_attempt_at) == now + timedelta(minutes=1)
    assert message.locked_until is None
    assert message.sent_at is None


def test_mail_goes_exactly_once_when_the_server_comes_back(
    db: SQLAlchemy, smtp_server: SmtpServer
) -> None:
    message = _queue(db)
    smtp_server.stop()
    now = utcnow()
    assert send_pending(now=now) == SendReport(retried=1)

    smtp_server.start()
    # Not due yet: the backoff is respected even though the server is back.
    assert send_pending(now=now + timedelta(seconds=30)) == SendReport()
    assert smtp_server.messages == []

    assert send_pending(now=now + timedelta(minutes=1, seconds=1)) == SendReport(sent=1)
    assert send_pending(now=now + timedelta(days=1)) == SendReport()
    assert [m["Message-ID"] for m in smtp_server.messages] == [f"<outbox-{message.id}@drhale.test>"]
    assert message.status == MailStatus.SENT
    assert message.attempts == 2


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [
        (1, timedelta(minutes=1)),
        (2, timedelta(minutes=2)),
        (3, timedelta(minutes=4)),
        (9, timedelta(minutes=256)),
        (10, timedelta(hours=6)),
        (11, timedelta(hours=6)),
        (100, timedelta(hours=6)),
    ],
)
def test_retry_delay_doubles_up_to_six_hours(attempts: int, delay: timedelta) -> None:
    assert retry_delay(attempts) == delay


def test_a_message_fails_after_the_last_attempt(app: Flask, db: SQLAlchemy) -> None:
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    message = _queue(db)
    now = utcnow()
    for attempt in range(1, MAX_ATTEMPTS):
        assert send_pending(now=now) == SendReport(retried=1)
        assert message.attempts == attempt
        now = as_utc(message.next_attempt_at)

    assert send_pending(now=now) == SendReport(failed=1)
    assert message.status == MailStatus.FAILED
    assert message.attempts == MAX_ATTEMPTS
    assert message.last_error is not None
    assert send_pending(now=now + timedelta(days=30)) == SendReport()


def test_a_5xx_refusal_fails_the_message_and_others_still_go(
    db: SQLAlchemy, smtp_server: SmtpServer
) -> None:
    smtp_server.refused.add("nobody@example.com")
    refused = _queue(db, to="nobody@example.com")
    _queue(db, to="ann@example.com")

    assert send_pending() == SendReport(sent=1, failed=1)
    assert _statuses(db) == {
        "nobody@example.com": MailStatus.FAILED,
        "ann@example.com": MailStatus.SENT,
    }
    assert refused.last_error is not None
    assert "550" in refused.last_error
    assert "Mailbox unavailable" in refused.last_error
    assert [m["To"] for m in smtp_server.messages] == ["ann@example.com"]


def test_a_4xx_refusal_is_retried(db: SQLAlchemy, smtp_server: SmtpServer) -> None:
    smtp_server.deferred.add("busy@example.com")
    message = _queue(db, to="busy@example.com")
    now = utcnow()

    assert send_pending(now=now) == SendReport(retried=1)
    assert message.status == MailStatus.QUEUED
    assert message.last_error is not None
    assert "451" in message.last_error

    smtp_server.deferred.clear()
    assert send_pending(now=now + timedelta(minutes=2)) == SendReport(sent=1)
    assert len(smtp_server.messages) == 1


def test_deliver_sends_only_the_given_messages(db: SQLAlchemy, smtp_server: SmtpServer) -> None:
    first = _queue(db, to="ann@example.com")
    _queue(db, to="bo@example.com")
    third = _queue(db, to="cy@example.com")

    assert deliver([first.id, third.id, first.id]) == SendReport(sent=2)
    assert sorted(m["To"] for m in smtp_server.messages) == ["ann@example.com", "cy@example.com"]
    assert _statuses(db)["bo@example.com"] == MailStatus.QUEUED
    assert deliver([]) == SendReport()


def test_deliver_never_raises_and_leaves_mail_queued(app: Flask, db: SQLAlchemy) -> None:
    message = _queue(db)
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    assert deliver([message.id]) == SendReport(retried=1)
    assert message.status == MailStatus.QUEUED

    app.config["MAIL_BACKEND"] = "carrier-pigeon"
    assert deliver([message.id]) == SendReport()
    assert message.status == MailStatus.QUEUED
    assert message.attempts == 1


def test_a_claimed_message_is_not_sent_twice(db: SQLAlchemy, smtp_server: SmtpServer) -> None:
    message = _queue(db)
    now = utcnow()
    # Another sender has claimed it and is sending it right now.
    message.locked_until = now + timedelta(minutes=5)
    db.session.commit()

    assert send_pending(now=now) == SendReport()
    assert deliver([message.id]) == SendReport()
    assert smtp_server.messages == []

    # That sender died: once its claim runs out, the message is taken over and sent.
    assert send_pending(now=now + timedelta(minutes=6)) == SendReport(sent=1)
    assert send_pending(now=now + timedelta(minutes=7)) == SendReport()
    assert len(smtp_server.messages) == 1


def test_postgresql_skips_rows_another_sender_is_claiming(
    backend: str, db: SQLAlchemy, smtp_server: SmtpServer
) -> None:
    if backend != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are PostgreSQL's")
    busy = _queue(db, to="busy@example.com")
    _queue(db, to="free@example.com")
    with db.engine.connect() as other:
        other.execute(
            sa.select(OutboxMessage.id).where(OutboxMessage.id == busy.id).with_for_update()
        )
        # Without SKIP LOCKED the claim would wait for the other sender; fail fast instead.
        db.session.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        assert send_pending() == SendReport(sent=1)
        other.rollback()
    assert [m["To"] for m in smtp_server.messages] == ["free@example.com"]
    assert send_pending() == SendReport(sent=1)


def test_file_backend_writes_a_readable_eml(app: Flask, db: SQLAlchemy, tmp_path: Path) -> None:
    folder = tmp_path / "outgoing" / "mail"
    app.config.update(MAIL_BACKEND="file", MAIL_FILE_DIR=str(folder))
    message = _queue(db, subject="Hello", body_text="Plain.\n", body_html="<p>Rich.</p>")

    assert send_pending() == SendReport(sent=1)
    [path] = folder.iterdir()
    assert path.name.endswith(f"-{message.id}.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Hello"
    assert parsed["To"] == "ann@example.com"
    assert _text(parsed) == "Plain.\n"
    assert message.status == MailStatus.SENT


def test_each_outcome_is_logged_without_the_body(
    db: SQLAlchemy, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_server.refused.add("nobody@example.com")
    sent = _queue(db, body_text="Private skin history.", kind="question_ack")
    failed = _queue(db, to="nobody@example.com", body_text="Private skin history.")
    with caplog.at_level(logging.INFO, logger="shop.mail"):
        send_pending()

    lines = [r.getMessage() for r in caplog.records if r.name == "shop.mail"]
    assert len(lines) == 2
    assert f"mail {sent.id} (question_ack) sent" in lines
    assert any(line.startswith(f"mail {failed.id} ") and "550" in line for line in lines)
    assert "Private" not in caplog.text


def test_a_run_that_outlasts_its_budget_hands_the_rest_back(
    db: SQLAlchemy, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _queue(db, to="ann@example.com")
    _queue(db, to="bo@example.com")
    # As if the server had been so slow that the claim is about to run out.
    monkeypatch.setattr("shop.mail.services.SEND_BUDGET", timedelta(seconds=-1))
    assert send_pending() == SendReport()
    assert smtp_server.messages == []
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.locked_until.is_not(None)))
        == 0
    )

    monkeypatch.undo()
    assert send_pending() == SendReport(sent=2)
