"""`flask mail send-pending`: what it prints and how it exits."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.mail.models import MailStatus, OutboxMessage
from shop.mail.services import queue_raw
from tests.fixtures_mail import SmtpServer, free_port


def _queue(db: SQLAlchemy, *addresses: str) -> None:
    for address in addresses:
        queue_raw(address, "Hello", "Body.\n", kind="test")
    db.session.commit()


def _statuses(db: SQLAlchemy) -> dict[str, MailStatus]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(OutboxMessage.to_address, OutboxMessage.status))
    return dict(rows.all())


def test_send_pending_reports_what_it_did(
    db: SQLAlchemy, runner: FlaskCliRunner, smtp_server: SmtpServer
) -> None:
    smtp_server.refused.add("gone@example.com")
    smtp_server.deferred.add("busy@example.com")
    _queue(db, "ann@example.com", "bo@example.com", "gone@example.com", "busy@example.com")

    result = runner.invoke(args=["mail", "send-pending"])

    assert result.exit_code == 0, result.output
    assert result.output == "Mail: 2 sent, 1 will be retried, 1 failed.\n"
    assert len(smtp_server.messages) == 2
    assert _statuses(db)["busy@example.com"] == MailStatus.QUEUED


def test_send_pending_with_nothing_to_do(db: SQLAlchemy, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0, result.output
    assert result.output == "Mail: 0 sent, 0 will be retried, 0 failed.\n"


def test_send_pending_exits_0_when_the_server_is_down(
    app: Flask, db: SQLAlchemy, runner: FlaskCliRunner
) -> None:
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    _queue(db, "ann@example.com")

    result = runner.invoke(args=["mail", "send-pending"])

    assert result.exit_code == 0, result.output
    assert result.output == "Mail: 0 sent, 1 will be retried, 0 failed.\n"
    assert _statuses(db) == {"ann@example.com": MailStatus.QUEUED}


def test_send_pending_respects_the_limit(
    db: SQLAlchemy, runner: FlaskCliRunner, smtp_server: SmtpServer
) -> None:
    _queue(db, "a@example.com", "b@example.com", "c@example.com")

    result = runner.invoke(args=["mail", "send-pending", "--limit", "2"])

    assert result.output == "Mail: 2 sent, 0 will be retried, 0 failed.\n"
    assert len(smtp_server.messages) == 2
    assert runner.invoke(args=["mail", "send-pending", "--limit", "0"]).exit_code == 2


def test_send_pending_exits_1_on_an_unexpected_error(
    app: Flask, db: SQLAlchemy, runner: FlaskCliRunner
) -> None:
    _queue(db, "ann@example.com")
    app.config["MAIL_BACKEND"] = "carrier-pigeon"

    result = runner.invoke(args=["mail", "send-pending"])

    assert result.exit_code == 1
    assert "unexpected error" in result.output
    assert _statuses(db) == {"ann@example.com": MailStatus.QUEUED}


def test_watch_repeats_until_interrupted(
    db: SQLAlchemy,
    runner: FlaskCliRunner,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _queue(db, "ann@example.com")
    rounds: list[float] = []

    def sleep(seconds: float) -> None:
        # Between rounds, more mail arrives; the third pause is the operator's Ctrl+C.
        rounds.append(seconds)
        if len(rounds) == 1:
            _queue(db, "bo@example.com")
        if len(rounds) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr("shop.mail.cli.time.sleep", sleep)

    result = runner.invoke(args=["mail", "send-pending", "--watch", "0.5"])

    assert result.exit_code == 0, result.output
    assert rounds == [0.5, 0.5, 0.5]
    assert result.output.splitlines() == [
        "Mail: sending what is due every 0.5 s; Ctrl+C stops.",
        "Mail: 1 sent, 0 will be retried, 0 failed.",
        "Mail: 1 sent, 0 will be retried, 0 failed.",
        "Mail: stopped.",
    ]
    assert len(smtp_server.messages) == 2
