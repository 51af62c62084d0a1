"""Mail fixtures: a real SMTP server (aiosmtpd) that records what it receives.

`smtp_server` points the test app at a server on 127.0.0.1; the server can be stopped
and started again on the same port, so a test can take "the mail server" down and
bring it back. `free_port()` gives a port nothing listens on (mail server down).
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from shop.mail.models import OutboxMessage

HOST = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on (closed again at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class RecordingHandler:
    """aiosmtpd handler: keeps every message; refuses chosen recipients with 550 or 451."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refused: set[str] = set()
        self.deferred: set[str] = set()

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 Mailbox unavailable"
        if address in self.deferred:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        self.messages.append(message)
        return "250 Message accepted for delivery"


class SmtpServer:
    """A local SMTP server on a fixed port that can be stopped and started again."""

    def __init__(self, host: str = HOST, port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received so far, parsed."""
        return self.handler.messages

    @property
    def refused(self) -> set[str]:
        """Recipients refused for good (550)."""
        return self.handler.refused

    @property
    def deferred(self) -> set[str]:
        """Recipients refused for now (451)."""
        return self.handler.deferred

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Listen on the port, the same one every time (each start needs a new controller)."""
        if self._controller is not None:
            return
        controller = Controller(self.handler, hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening; connections are refused until `start()`."""
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[SmtpServer]:
    """A running SMTP server, with the app's mail settings pointing at it."""
    with SmtpServer() as server:
        app.config.update(
            MAIL_BACKEND="smtp",
            MAIL_SERVER=server.host,
            MAIL_PORT=server.port,
            MAIL_USE_TLS=False,
            MAIL_USE_SSL=False,
            MAIL_USERNAME=None,
            MAIL_PASSWORD=None,
            MAIL_TIMEOUT=5,
        )
        yield server


def queued_mail(db: SQLAlchemy, kind: str) -> list[tuple[str, str]]:
    """(to, text body) of every message of this kind in the outbox, oldest first."""
    found = [
        (m.to_address, m.body_text)
        for m in db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    ]
    db.session.rollback()
    return found
