"""`flask --app shop links ...`: suggestions and checks for staff. Both only read."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from shop.links.lifecycle import (
    answers_recommending_unavailable,
    answers_without_products,
    products_without_answers,
)
from shop.links.suggestions import answer_id_for_slug, suggest_products_for_answers

links_cli = AppGroup("links", help="Suggest and check the products answers recommend.")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@links_cli.command("suggest")
@click.option(
    "--answer",
    "slug",
    metavar="SLUG",
    default=None,
    help="Only this answer (drafts too); by default every public answer.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 100),
    default=10,
    show_default=True,
    help="Suggestions per answer.",
)
def suggest_command(slug: str | None, limit: int) -> None:
    """Print products worth linking to answers, and why; the ones mentioned come first."""
    answer_ids = None
    if slug is not None:
        answer_id = answer_id_for_slug(slug)
        if answer_id is None:
            raise click.BadParameter(f"there is no answer {slug!r}.", param_hint="--answer")
        answer_ids = [answer_id]
    found = suggest_products_for_answers(answer_ids, limit)
    for item in found:
        click.echo(f"{item.question} ({item.slug})")
        for s in item.suggestions:
            click.echo(f"  + {s.product_name} ({s.product_slug}): {'; '.join(s.reasons)}")
        if not item.suggestions:
            click.echo("  (nothing to suggest)")
    total = sum(len(item.suggestions) for item in found)
    helped = sum(1 for item in found if item.suggestions)
    click.echo(f"{_count(total, 'suggestion')} for {helped} of {_count(len(found), 'answer')}.")


@links_cli.command("check")
def check_command() -> None:
    """List answers recommending unavailable products, answers without products, and
    active products without answers."""
    unavailable = answers_recommending_unavailable()
    click.echo(f"Answers recommending products that cannot be bought: {len(unavailable)}")
    for link in unavailable:
        draft = "" if link.public else " [not public]"
        click.echo(
            f"  {link.product_name} ({link.product_slug}) is {link.why}; "
            f"recommended in {link.answer_slug}{draft}"
        )
    lonely = answers_without_products()
    click.echo(f"Public answers without products: {len(lonely)}")
    for answer in lonely:
        click.echo(f"  {answer.slug}: {answer.question}")
    unloved = products_without_answers()
    click.echo(f"Active products no answer recommends: {len(unloved)}")
    for product in unloved:
        click.echo(f"  {product.name} ({product.slug})")
