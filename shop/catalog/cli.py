"""`flask --app shop catalog ...`: export the catalogue as CSV and import it back."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from shop.catalog.transfer import MAX_IMPORT_BYTES, CatalogImportError, export_rows, import_catalog
from shop.core.csvout import output_option, write_csv
from shop.extensions import db

catalog_cli = AppGroup("catalog", help="Export and import the catalogue as CSV.")


@catalog_cli.command("export")
@output_option
def export_command(output: Path | None) -> None:
    """Write the catalogue as CSV, one row per variant."""
    count = write_csv(export_rows(), output)
    if output is not None:
        click.echo(f"Exported {count} variants to {output}.", err=True)


@catalog_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Import a CSV file, creating or updating by SKU.

    Every row is checked first; if any is refused, nothing changes. The file has the
    columns of `catalog export`; stock_allocated and unknown columns are ignored. A tax_code
    column, when there is one, sets each product's Stripe tax code (blank: the shop default).
    """
    with file.open("rb") as handle:
        # One byte past the limit is enough for the service to refuse an oversized file.
        data = handle.read(MAX_IMPORT_BYTES + 1)
    try:
        result = import_catalog(data, currency=current_app.config["SHOP_CURRENCY"])
        db.session.commit()
    except CatalogImportError as exc:
        db.session.rollback()
        for line, reason in exc.problems:
            click.echo(f"line {line}: {reason}", err=True)
        click.echo(exc.message, err=True)
        raise SystemExit(1) from None
    except sa.exc.IntegrityError:
        # Someone else created the same SKU, slug or name while this import ran.
        db.session.rollback()
        current_app.logger.warning("catalog import hit a conflict", exc_info=True)
        click.echo(
            "The catalogue changed while importing; nothing was changed. Try again.", err=True
        )
        raise SystemExit(1) from None
    except BaseException:
        db.session.rollback()
        raise
    click.echo(result.summary())
