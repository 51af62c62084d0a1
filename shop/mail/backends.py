"""Where a message goes: an SMTP server, or .eml files for development.

Only this module imports `smtplib`. It turns the server's answers into the shop's own
`MailDeliveryError`, which says whether trying again later could help.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Protocol

_OUTBOX_ID = re.compile(r"<outbox-(\d+)@")


class MailDeliveryError(Exception):
    """A message could not be handed over; `permanent` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class MailBackend(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand one message over, or raise `MailDeliveryError`."""


def build_email(
    *,
    outbox_id: int,
    sender: str,
    to: str,
    subject: str,
    body_text: str,
    body_html: str | None,
    date: datetime,
) -> EmailMessage:
    """Build the message for one outbox row: plain text, with an HTML alternative if given."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(
        date.astimezone(UTC) if date.tzinfo else date.replace(tzinfo=UTC)
    )
    # The same row always gets the same Message-ID, so a resend after a crash is
    # recognisable as the same message (and mail clients thread it as one).
    message["Message-ID"] = f"<outbox-{outbox_id}@{_domain_of(sender)}>"
    message.set_content(body_text)
    if body_html is not None:
        message.add_alternative(body_html, subtype="html")
    return message


def _domain_of(address: str) -> str:
    _, addr = parseaddr(address)
    domain = addr.rpartition("@")[2].strip()
    return domain or "localhost"


@dataclass(frozen=True)
class SmtpBackend:
    """Send through an SMTP server, one connection per message."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    use_ssl: bool = False
    timeout: float = 10

    def send(self, message: EmailMessage) -> None:
        """Send `message`, translating every failure into `MailDeliveryError`."""
        where = f"{self.host}:{self.port}"
        try:
            with self._connect() as smtp:
                if self.use_tls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            answers = [f"{code} {_text(reply)}" for code, reply in exc.recipients.values()]
            # Refused for good only if every recipient was refused with a 5xx answer.
            permanent = all(code >= 500 for code, _ in exc.recipients.values())
            raise MailDeliveryError(
                f"Recipient refused by {where}: {'; '.join(answers)}", permanent=permanent
            ) from exc
        except smtplib.SMTPDataError as exc:
            raise MailDeliveryError(
                f"Message refused by {where}: {exc.smtp_code} {_text(exc.smtp_error)}",
                permanent=exc.smtp_code >= 500,
            ) from exc
        except smtplib.SMTPConnectError as exc:
            raise MailDeliveryError(
                f"{where} would not take a connection: {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            # The sender refused, a failed login, a HELO problem: the server or the shop's
            # settings are at fault, not this message, so it waits for them to be fixed.
            raise MailDeliveryError(
                f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise MailDeliveryError(f"{where} closed the connection: {exc}") from exc
        except smtplib.SMTPException as exc:
            raise MailDeliveryError(f"SMTP error with {where}: {exc}") from exc
        except TimeoutError as exc:
            raise MailDeliveryError(f"{where} did not answer in time") from exc
        except ConnectionRefusedError as exc:
            raise MailDeliveryError(f"Could not connect to {where}: connection refused") from exc
        except OSError as exc:
            raise MailDeliveryError(f"Could not talk to {where}: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        if self.use_ssl:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)


@dataclass(frozen=True)
class FileBackend:
    """Write each message as an .eml file (development: `make run` needs no mail server)."""

    directory: Path

    def send(self, message: EmailMessage) -> None:
        """Write `message` to `<directory>/<UTC timestamp>-<outbox id>.eml`."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        match = _OUTBOX_ID.match(str(message.get("Message-ID", "")))
        name = f"{stamp}-{match.group(1) if match else 'message'}.eml"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a reader never sees half a message.
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(message.as_bytes())
                os.replace(tmp, self.directory / name)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise MailDeliveryError(f"Could not write to {self.directory}: {exc}") from exc


def backend_from_config(config: Mapping[str, Any]) -> MailBackend:
    """Return the backend MAIL_BACKEND names, set up from the MAIL_* settings."""
    kind = config.get("MAIL_BACKEND")
    if kind == "file":
        return FileBackend(Path(config["MAIL_FILE_DIR"]))
    if kind == "smtp":
        return SmtpBackend(
            host=str(config["MAIL_SERVER"]),
            port=int(config["MAIL_PORT"]),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=bool(config.get("MAIL_USE_SSL")),
            timeout=float(config.get("MAIL_TIMEOUT") or 10),
        )
    raise ValueError(f'MAIL_BACKEND must be "file" or "smtp", got {kind!r}')


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())
