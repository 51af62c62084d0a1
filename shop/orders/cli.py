"""`flask --app shop orders ...`: settle expired checkouts, export orders."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from shop.checkout.services import release_expired_orders
from shop.orders.queries import export_rows

orders_cli = AppGroup("orders", help="Orders: expired checkouts and exports.")


@orders_cli.command("release-expired")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
def release_expired_command(limit: int) -> None:
    """Settle pending orders whose checkout expired: ask Stripe, then release or fulfil."""
    settled = release_expired_orders(limit=limit)
    click.echo(f"Settled {settled} expired checkout(s).")


@orders_cli.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the CSV to this file instead of standard output.",
)
def export_command(output: Path | None) -> None:
    """Write every order as CSV: number, status, money, times, lines, attributed answer."""
    if output is not None:
        with output.open("w", encoding="utf-8", newline="") as out:
            count = sum(1 for _ in map(csv.writer(out).writerow, export_rows())) - 1
        click.echo(f"Exported {count} orders to {output}.", err=True)
        return
    writer = csv.writer(sys.stdout)
    for row in export_rows():
        writer.writerow(row)
