"""`flask --app shop mail ...`: send the outbox (from cron, or as a small worker)."""

from __future__ import annotations

import logging
import time

import click
from flask.cli import AppGroup

from shop.mail.services import SendReport, run_mail_producers, send_pending

logger = logging.getLogger("shop.mail")

mail_cli = AppGroup("mail", help="Outgoing mail: the outbox.")


@mail_cli.command("send-pending")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Send at most this many messages per run.",
)
@click.option(
    "--watch",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Keep running, sending what is due every SECONDS, until interrupted.",
)
def send_pending_command(limit: int, watch: float | None) -> None:
    """Queue what is due (e.g. "your answer is out"), then send the queued mail that is due.

    Failed sends stay queued and are retried later.

    Exits with 0 when messages were left for a retry (the mail server being away is
    normal); 1 only when something unexpected stopped the run.
    """
    if watch is None:
        try:
            run_mail_producers()
            report = send_pending(limit=limit)
        except Exception:
            logger.exception("mail: send-pending stopped by an unexpected error")
            click.echo("Mail: stopped by an unexpected error (see the log).", err=True)
            raise SystemExit(1) from None
        click.echo(report.summary())
        return
    click.echo(f"Mail: sending what is due every {watch:g} s; Ctrl+C stops.")
    try:
        while True:
            report = _watch_round(limit)
            # A full batch means more may be waiting: go again without sleeping.
            if report.total < limit:
                time.sleep(watch)
    except KeyboardInterrupt:
        click.echo("Mail: stopped.")


def _watch_round(limit: int) -> SendReport:
    """Run one round of the watcher; an error is logged and the watcher carries on."""
    try:
        run_mail_producers()
        report = send_pending(limit=limit)
    except Exception:
        # A database restart or a passing fault must not end a long-running worker.
        logger.exception("mail: send-pending round failed; trying again")
        return SendReport()
    if report.total:
        click.echo(report.summary())
    return report
