"""`flask --app shop ...` command groups; each calls services and commits once."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """Attach every command group to the app."""
    from shop.accounts.cli import staff_cli
    from shop.catalog.cli import catalog_cli
    from shop.demo.cli import demo_cli
    from shop.links.cli import links_cli
    from shop.links.cli_report import report_cli
    from shop.mail.cli import mail_cli
    from shop.orders.cli import orders_cli
    from shop.promotions.cli import promotions_cli
    from shop.search.cli import search_cli

    app.cli.add_command(catalog_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(links_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(orders_cli)
    app.cli.add_command(promotions_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(report_cli)
    app.cli.add_command(staff_cli)
