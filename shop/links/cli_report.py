"""`flask --app shop report answers [--since DATE] [--output FILE]`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from shop.core.csvout import output_option, write_csv
from shop.links.reports import report_rows

report_cli = AppGroup("report", help="Reports for staff.")


@report_cli.command("answers")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only from this day.")
@output_option
def answers_command(since: datetime | None, output: Path | None) -> None:
    """Per answer: views, clicks to products, add-to-carts, orders, assisted orders, revenue
    and the revenue of its reader codes (both net of tax, after discounts and refunds)."""
    rows = report_rows(current_app.config["SHOP_CURRENCY"], since.date() if since else None)
    count = write_csv(rows, output)
    if output is not None:
        click.echo(f"Wrote {count} answers to {output}.", err=True)
