"""`flask --app shop search ...`: look after the search index."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from shop.extensions import db
from shop.search.services import reindex

search_cli = AppGroup("search", help="The site search index.")


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index from every product and answer (after bulk loads or upgrades)."""
    try:
        result = reindex()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    click.echo(f"Indexed {result.products} products and {result.answers} answers.")
