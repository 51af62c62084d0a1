"""Queue mail in the caller's transaction; send it afterwards, retrying until it goes.

`queue_mail` and `queue_raw` only add an outbox row and flush: the message exists exactly
when the work that caused it is committed, and is never sent from inside that work.
`send_pending` and `deliver` send what is due, each in three steps with its own commits:

1. claim: mark the due rows `locked_until = now + 5 min` and commit, so a second sender
   (another cron run, a request's `deliver`) leaves them alone;
2. send each message with no transaction open, so a slow mail server never holds locks;
3. record the outcome and commit, one message at a time.

Delivery is at least once: if the process dies after the server accepted a message but
before its "sent" commit, the lock runs out and the message is sent again (with the
same Message-ID, so it is recognisable as a resend). Never losing a message is worth
the rare duplicate.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, render_template
from jinja2 import Template, TemplateNotFound

from shop.core.models import utcnow
from shop.extensions import db
from shop.mail.backends import MailBackend, MailDeliveryError, backend_from_config, build_email
from shop.mail.models import MailStatus, OutboxMessage

logger = logging.getLogger("shop.mail")

# How long a sender may hold a claimed message before another may take it over.
CLAIM_DURATION = timedelta(minutes=5)
# How long one run may spend sending before it hands the rest of its batch back, well
# inside CLAIM_DURATION.
SEND_BUDGET = timedelta(minutes=3)
# Retry delays double from FIRST_RETRY up to MAX_RETRY; after MAX_ATTEMPTS the message
# fails (1 min, 2, 4 ... 6 h: about a day of trying before giving up).
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
MAX_ATTEMPTS = 12
MAX_ERROR_LENGTH = 500
MAX_ADDRESS_LENGTH = 254
MAX_SUBJECT_LENGTH = 300


# Jobs that turn due events into queued mail (such as "your answer is out" once a scheduled
# answer's time comes). `mail send-pending` runs them before sending, so a production setup
# needs one scheduled command, not one per domain. Each takes no arguments and only flushes.
PRODUCERS_KEY = "shop.mail_producers"


def register_mail_producer(app: Flask, producer: Callable[[], object]) -> None:
    """Have `mail send-pending` run `producer` (and commit) before it sends."""
    app.extensions.setdefault(PRODUCERS_KEY, []).append(producer)


def run_mail_producers() -> None:
    """Run every registered producer, each in its own committed unit of work."""
    for producer in current_app.extensions.get(PRODUCERS_KEY, []):
        try:
            producer()
            db.session.commit()
        except Exception:
            db.session.rollback()
            logger.exception("mail: producer %s failed", getattr(producer, "__name__", producer))


@dataclass
class SendReport:
    """How many messages one sending run sent, left queued for a retry, and gave up on."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed

    def summary(self) -> str:
        """Return the one-line summary the CLI prints."""
        return f"Mail: {self.sent} sent, {self.retried} will be retried, {self.failed} failed."


@dataclass(frozen=True)
class _Claimed:
    """What sending needs from a claimed row, read before the claim's commit expires it."""

    id: int
    kind: str
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    attempts: int
    created_at: datetime
    locked_until: datetime


def as_utc(moment: datetime) -> datetime:
    """Return `moment` in UTC; a naive time (as SQLite returns) is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def retry_delay(attempts: int) -> timedelta:
    """Return how long to wait after the `attempts`-th failed attempt (1 min, 2, 4 ... 6 h)."""
    # Beyond 2**9 minutes the cap applies anyway; clamping keeps the numbers small.
    doublings = min(max(attempts - 1, 0), 10)
    return min(FIRST_RETRY * (1 << doublings), MAX_RETRY)


def queue_mail(to: str, subject: str, template: str, *, kind: str, **context: Any) -> OutboxMessage:
    """Render `email/<template>.txt` (and `.html` if it exists) and queue the message."""
    body_text = render_template(f"email/{template}.txt", **context)
    html_template = _optional_template(f"email/{template}.html")
    body_html = render_template(html_template, **context) if html_template else None
    return queue_raw(to, subject, body_text, kind=kind, body_html=body_html)


def queue_raw(
    to: str, subject: str, body_text: str, *, kind: str, body_html: str | None = None
) -> OutboxMessage:
    """Queue a message in the current transaction; it is sent after the caller commits."""
    to = to.strip()
    if not to or "@" not in to or len(to) > MAX_ADDRESS_LENGTH or _has_line_break(to):
        raise ValueError(f"Not a usable email address: {to!r}")
    # A subject is one line; user text in it must not be able to add headers.
    subject = " ".join(subject.split())
    if len(subject) > MAX_SUBJECT_LENGTH:
        subject = subject[: MAX_SUBJECT_LENGTH - 1] + "…"
    now = utcnow()
    message = OutboxMessage(
        to_address=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        kind=kind,
        status=MailStatus.QUEUED,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    db.session.add(message)
    db.session.flush()
    # Remember it, so the request that queued it can try to deliver it after its commit.
    g.setdefault("queued_mail_ids", []).append(message.id)
    return message


def deliver_queued_now() -> SendReport:
    """Try to send what this request or command queued (call after its commit)."""
    ids = g.pop("queued_mail_ids", [])
    return deliver(ids) if ids else SendReport()


def send_pending(limit: int = 100, now: datetime | None = None) -> SendReport:
    """Send up to `limit` due messages; commits its own work (call it with none pending)."""
    report = SendReport()
    _send_due(report, as_utc(now or utcnow()), limit, ids=None)
    return report


def deliver(ids: Iterable[int]) -> SendReport:
    """Send these queued messages now, if due; never raises, a failure leaves them queued.

    Call it right after the commit that queued them (it commits too).
    """
    report = SendReport()
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return report
    try:
        _send_due(report, utcnow(), len(wanted), ids=wanted)
    except Exception:
        # The caller's work is already committed; mail must not break it. Whatever was
        # claimed but not recorded is retried once its lock runs out.
        db.session.rollback()
        logger.exception("mail: delivering messages %s failed; they stay queued", wanted)
    return report


def _send_due(report: SendReport, now: datetime, limit: int, ids: list[int] | None) -> None:
    backend = backend_from_config(current_app.config)
    sender = str(current_app.config["MAIL_DEFAULT_SENDER"])
    claimed = _claim(now, limit, ids)
    started = time.monotonic()
    for position, message in enumerate(claimed):
        # A slow or hanging server could make a batch outlast its claim, and then another
        # sender may take the same messages: stop in time and hand the rest back.
        if time.monotonic() - started > SEND_BUDGET.total_seconds():
            _release(claimed[position:])
            break
        _send_one(backend, sender, message, now, report)


def _claim(now: datetime, limit: int, ids: list[int] | None) -> list[_Claimed]:
    """Lock due messages for this sender and commit the claim."""
    due = (
        OutboxMessage.status == MailStatus.QUEUED,
        OutboxMessage.next_attempt_at <= now,
        sa.or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now),
    )
    # Two statements on purpose. PostgreSQL: the SELECT locks the chosen rows and skips rows
    # another sender is claiming this instant instead of waiting (one UPDATE ... WHERE id IN
    # (SELECT ... LIMIT ... SKIP LOCKED) may run its subquery again and take more than
    # `limit`). SQLite renders no FOR UPDATE, but the UPDATE takes the database's write lock
    # and checks the conditions again, so two senders never both claim a row.
    chosen = (
        sa.select(OutboxMessage.id)
        .where(*due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        chosen = chosen.where(OutboxMessage.id.in_(ids))
    try:
        chosen_ids = db.session.scalars(chosen).all()
        # Nothing due: no UPDATE, so an idle sender never takes SQLite's write lock.
        claimed = _lock(chosen_ids, due, now + CLAIM_DURATION) if chosen_ids else []
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return claimed


def _lock(
    ids: Sequence[int], due: tuple[sa.ColumnElement[bool], ...], until: datetime
) -> list[_Claimed]:
    """Set `locked_until` on those of `ids` that are still due; return what sending needs."""
    claim = (
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), *due)
        .values(locked_until=until)
        .returning(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.to_address,
            OutboxMessage.subject,
            OutboxMessage.body_text,
            OutboxMessage.body_html,
            OutboxMessage.attempts,
            OutboxMessage.created_at,
        )
        .execution_options(synchronize_session=False)
    )
    claimed = [
        _Claimed(
            id=row.id,
            kind=row.kind,
            to_address=row.to_address,
            subject=row.subject,
            body_text=row.body_text,
            body_html=row.body_html,
            attempts=row.attempts,
            created_at=as_utc(row.created_at),
            locked_until=until,
        )
        for row in db.session.execute(claim)
    ]
    return sorted(claimed, key=lambda message: message.id)


def _release(unsent: list[_Claimed]) -> None:
    """Give back claims this sender will not use, so the next run can send those messages."""
    for message in unsent:
        _commit(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.locked_until == message.locked_until,
            )
            .values(locked_until=None)
        )
    logger.warning("mail: sending took too long; %d message(s) left for the next run", len(unsent))


def _send_one(
    backend: MailBackend, sender: str, claimed: _Claimed, now: datetime, report: SendReport
) -> None:
    """Send one claimed message (no transaction open) and commit what happened."""
    try:
        email = build_email(
            outbox_id=claimed.id,
            sender=sender,
            to=claimed.to_address,
            subject=claimed.subject,
            body_text=claimed.body_text,
            body_html=claimed.body_html,
            date=claimed.created_at,
        )
    except (ValueError, TypeError) as exc:
        # A message that cannot even be written out will never go.
        _record_failure(claimed, now, f"Could not build the message: {exc}", True, report)
        return
    try:
        backend.send(email)
    except MailDeliveryError as exc:
        _record_failure(claimed, now, exc.message, exc.permanent, report)
        return
    except Exception as exc:
        # Unknown trouble is treated as passing: the message waits and is tried again.
        logger.exception("mail %s (%s): unexpected error while sending", claimed.id, claimed.kind)
        _record_failure(claimed, now, f"{type(exc).__name__}: {exc}", False, report)
        return
    # The server has the message: record it whoever holds the lock by now.
    _commit(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == claimed.id)
        .values(
            status=MailStatus.SENT,
            attempts=claimed.attempts + 1,
            sent_at=now,
            locked_until=None,
            last_error=None,
        )
    )
    report.sent += 1
    logger.info("mail %s (%s) sent", claimed.id, claimed.kind)


def _record_failure(
    claimed: _Claimed, now: datetime, error: str, permanent: bool, report: SendReport
) -> None:
    attempts = claimed.attempts + 1
    error = error[:MAX_ERROR_LENGTH]
    give_up = permanent or attempts >= MAX_ATTEMPTS
    values: dict[str, Any] = {"attempts": attempts, "last_error": error, "locked_until": None}
    if give_up:
        values["status"] = MailStatus.FAILED
    else:
        values["next_attempt_at"] = now + retry_delay(attempts)
    # Only while this sender still holds the claim: if the lock ran out and another sender
    # took the message over, its outcome stands.
    _commit(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == claimed.id, OutboxMessage.locked_until == claimed.locked_until)
        .values(**values)
    )
    if give_up:
        report.failed += 1
        logger.error(
            "mail %s (%s) failed after %d attempt(s): %s", claimed.id, claimed.kind, attempts, error
        )
    else:
        report.retried += 1
        logger.warning(
            "mail %s (%s) attempt %d failed, retrying at %s: %s",
            claimed.id,
            claimed.kind,
            attempts,
            values["next_attempt_at"].isoformat(timespec="seconds"),
            error,
        )


def _commit(statement: sa.Update) -> None:
    try:
        db.session.execute(statement)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _optional_template(name: str) -> Template | None:
    """Return the template called `name`, or None when there is none."""
    try:
        return current_app.jinja_env.get_template(name)
    except TemplateNotFound as exc:
        # Only a missing `name` itself means "no HTML part"; a missing include is a bug.
        if exc.name != name:
            raise
        return None


def _has_line_break(text: str) -> bool:
    return any(char in text for char in "\r\n")
