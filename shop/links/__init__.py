"""The tie-ins: answers recommend products (with the doctor's note), and sales are credited
to the answers that led to them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the links' pages, the answers' counter buffer, the watched link table and the
    `links` and `report` commands."""
    from shop.core.pagecache import watch_tables
    from shop.links.cli import links_cli
    from shop.links.cli_report import report_cli
    from shop.links.models import AnswerProductLink
    from shop.links.stats import init_stats
    from shop.links.views import bp

    app.register_blueprint(bp)
    init_stats(app)
    watch_tables(app, AnswerProductLink.__tablename__)
    app.cli.add_command(links_cli)
    app.cli.add_command(report_cli)
