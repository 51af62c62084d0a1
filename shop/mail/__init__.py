"""Outgoing mail through an outbox: written in the caller's transaction, sent afterwards.

A message is a row in `outbox_messages`, added by `queue_mail` / `queue_raw` in the same
transaction as whatever caused it, so it exists exactly when that work was committed.
`send_pending` (the `flask mail send-pending` command) and `deliver` (right after a
request's commit) send it; a failed send stays queued with its error and is retried
with growing delays, so nothing is lost while the mail server is down.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the `mail` commands (packages register their producers themselves)."""
    from shop.mail.cli import mail_cli

    app.cli.add_command(mail_cli)
