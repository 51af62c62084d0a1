"""`flask --app shop demo load`: fill an empty shop with the demo catalogue and column."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from flask import current_app
from flask.cli import AppGroup

from shop.accounts.services import create_staff
from shop.demo.editorial import (
    LINKS_PER_ANSWER,
    load_editorial,
    load_synthetic_answers,
    load_synthetic_links,
    read_editorial,
)
from shop.demo.loader import DemoLoadError, load_curated, load_synthetic, shop_is_empty
from shop.demo.orders import ORDER_DAYS, OrderLoadResult, load_past_orders
from shop.demo.pages import load_pages
from shop.demo.promotions import load_promotions
from shop.extensions import db
from shop.orders.models import OrderStatus
from shop.search.services import reindex

demo_cli = AppGroup("demo", help="Demo data for trying the shop and for benchmarks.")

# Staff accounts for trying the admin on a development machine; never made in production.
DEMO_STAFF = (
    ("owner@demo.shop", "owner"),
    ("editor@demo.shop", "editor"),
    ("fulfilment@demo.shop", "fulfilment"),
)
DEMO_STAFF_PASSWORD = "skin-shop-demo"  # noqa: S105 - documented demo credential

T = TypeVar("T")
PAGES_LOADED = "Wrote the contact, shipping and returns, privacy, terms and about pages."


def _orders_summary(result: OrderLoadResult) -> str:
    by = result.statuses
    kept = sum(by.get(s, 0) for s in (OrderStatus.PAID, OrderStatus.FULFILLED))
    refunded = by.get(OrderStatus.REFUNDED, 0) + by.get(OrderStatus.PARTIALLY_REFUNDED, 0)
    unpaid = by.get(OrderStatus.CANCELLED, 0) + by.get(OrderStatus.EXPIRED, 0)
    return (
        f"Added {result.orders} past orders over the last {ORDER_DAYS} days ({kept} paid or "
        f"shipped, {refunded} refunded in full or part, {unpaid} cancelled or expired) with "
        f"{result.lines} lines; {result.credited} are credited to answers. Stock is unchanged."
    )


def _with_progress(label: str, length: int, work: Callable[[Callable[[int], None]], T]) -> T:
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        return work(bar.update)


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
@click.option(
    "--links",
    type=click.IntRange(1, 6_000_000),
    default=None,
    help="Grow the answers' product recommendations to this many links (1 to 6 per answer).",
)
@click.option(
    "--orders",
    type=click.IntRange(1, 10_000_000),
    default=None,
    help=f"Add past orders up to this many, over the last {ORDER_DAYS} days (stock untouched).",
)
def load_command(
    products: int | None, answers: int | None, links: int | None, orders: int | None
) -> None:
    """Load the demo shop into an empty database (does nothing if products exist)."""
    if links is not None:
        # Checked before the long steps, so a typo fails in a second, not after them.
        answer_total = max(answers or 0, len(read_editorial()["answers"]))
        if links > LINKS_PER_ANSWER * answer_total:
            raise click.BadParameter(
                f"{answer_total} answers hold at most {LINKS_PER_ANSWER * answer_total} links "
                f"({LINKS_PER_ANSWER} each); pass --answers {-(-links // LINKS_PER_ANSWER)} "
                "or more.",
                param_hint="--links",
            )
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
        load_pages()
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
        click.echo(PAGES_LOADED)
        codes = load_promotions(currency)
        click.echo(
            f"Added the promotion codes {' and '.join(codes)} (made at Stripe by "
            "`flask --app shop promotions sync`, which `make run` does when it starts)."
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
        if links is not None and links > column["links"]:
            made = _with_progress(
                "Generating links",
                links - column["links"],
                lambda step: load_synthetic_links(links, progress=step),
            )
            click.echo(
                f"Grew the product recommendations to {links} links "
                f"({made} generated, 1 to {LINKS_PER_ANSWER} per answer)."
            )
        if orders is not None:
            history = _with_progress(
                "Generating orders",
                orders,
                lambda step: load_past_orders(orders, currency, progress=step),
            )
            click.echo(_orders_summary(history))
        reindex()  # the bulk inserts above bypass the ORM events that index as they go
        db.session.commit()
    except DemoLoadError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc} Nothing was loaded.") from exc
    except Exception:
        db.session.rollback()
        raise
    where = (
        current_app.config.get("S3_BUCKET") if current_app.config["MEDIA_STORAGE"] == "s3" else None
    )
    click.echo(
        f"Images written to the bucket {where}." if where else f"Images written to {media_root}."
    )


@demo_cli.command("pages")
def pages_command() -> None:
    """Write the demo copy into the shop's own pages (replacing what they say now)."""
    try:
        load_pages()
        db.session.commit()
    except DemoLoadError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc} Nothing was written.") from exc
    click.echo(PAGES_LOADED)
