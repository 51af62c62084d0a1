"""`flask --app shop orders ...`: settle expired checkouts, export orders."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from shop.core.csvout import output_option, write_csv
from shop.orders.queries import export_rows
from shop.payments.settle import release_expired_orders

orders_cli = AppGroup("orders", help="Orders: expired checkouts and exports.")


@orders_cli.command("release-expired")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
def release_expired_command(limit: int) -> None:
    """Settle pending orders whose checkout expired: ask Stripe, then release or fulfil."""
    settled = release_expired_orders(limit=limit)
    click.echo(f"Settled {settled} expired checkout(s).")


@orders_cli.command("export")
@output_option
def export_command(output: Path | None) -> None:
    """Write every order as CSV: number, status, money, times, lines, attributed answer."""
    count = write_csv(export_rows(), output)
    if output is not None:
        click.echo(f"Exported {count} orders to {output}.", err=True)
