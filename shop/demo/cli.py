"""`flask --app shop demo load`: fill an empty shop with the demo catalogue."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from shop.demo.loader import load_curated, load_synthetic, shop_is_empty
from shop.extensions import db

demo_cli = AppGroup("demo", help="Demo data for trying the shop and for benchmarks.")


@demo_cli.command("load")
@click.option(
    "--products",
    "products",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="Grow the catalogue to this many products with generated ones (for benchmarks).",
)
def load_command(products: int | None) -> None:
    """Load the demo shop into an empty database (does nothing if products exist)."""
    if not shop_is_empty():
        click.echo("The shop already has products; demo data was not loaded.")
        return
    media_root = Path(current_app.config["MEDIA_ROOT"])
    currency = current_app.config["SHOP_CURRENCY"]
    try:
        curated = load_curated(media_root, currency, limit=products)
        click.echo(
            f"Loaded {curated.products} products ({curated.variants} sizes) from {curated.brands} "
            f"brands in {curated.categories} categories, {curated.concerns} skin concerns."
        )
        if products is not None and products > curated.products:
            with click.progressbar(
                length=products - curated.products,
                label="Generating products",
                file=sys.stderr,
            ) as bar:
                synthetic = load_synthetic(products, media_root, currency, progress=bar.update)
            click.echo(f"Generated {synthetic.products} products ({synthetic.variants} sizes).")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"Images written to {media_root}.")
