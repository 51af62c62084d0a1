"""`flask --app shop demo load`: fill an empty shop with the demo catalogue and column."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from shop.accounts.services import create_staff
from shop.demo.editorial import load_editorial, load_synthetic_answers
from shop.demo.loader import load_curated, load_synthetic, shop_is_empty
from shop.extensions import db
from shop.search.services import reindex

demo_cli = AppGroup("demo", help="Demo data for trying the shop and for benchmarks.")

# Staff accounts for trying the admin on a development machine; never made in production.
DEMO_STAFF = (
    ("owner@demo.shop", "owner"),
    ("editor@demo.shop", "editor"),
    ("fulfilment@demo.shop", "fulfilment"),
)
DEMO_STAFF_PASSWORD = "skin-shop-demo"  # noqa: S105 - documented demo credential


def _with_progress(
    label: str, length: int, work: Callable[[Callable[[int], None]], object]
) -> None:
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        work(bar.update)


@demo_cli.command("load")
@click.option(
    "--products",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="Grow the catalogue to this many products with generated ones (for benchmarks).",
)
@click.option(
    "--answers",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="Grow the column to this many answers with generated ones (for benchmarks).",
)
def load_command(products: int | None, answers: int | None) -> None:
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
        column = load_editorial(media_root)
        if current_app.config["SHOP_ENV"] != "production":
            for email, role in DEMO_STAFF:
                create_staff(email, DEMO_STAFF_PASSWORD, role)
            click.echo(
                "Demo staff (sign in at /admin/login, password "
                f"{DEMO_STAFF_PASSWORD!r}): " + ", ".join(e for e, _ in DEMO_STAFF) + "."
            )
        click.echo(
            f"Loaded {column['answers']} answers by {column['doctors']} doctors in "
            f"{column['topics']} editorial topics, {column['links']} product recommendations, "
            f"and {column['questions']} reader questions."
        )
        if products is not None and products > curated.products:
            _with_progress(
                "Generating products",
                products - curated.products,
                lambda step: load_synthetic(products, media_root, currency, progress=step),
            )
            click.echo(f"Grew the catalogue to {products} products.")
        if answers is not None and answers > column["answers"]:
            _with_progress(
                "Generating answers",
                answers - column["answers"],
                lambda step: load_synthetic_answers(answers, progress=step),
            )
            click.echo(f"Grew the column to {answers} answers.")
        reindex()  # the bulk inserts above bypass the ORM events that index as they go
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"Images written to {media_root}.")
