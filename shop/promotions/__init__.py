"""Promotions: discount codes staff create (a Stripe coupon plus a promotion code each)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Watch the codes' table and install the `promotions` commands."""
    from shop.core.pagecache import watch_tables
    from shop.promotions.cli import promotions_cli
    from shop.promotions.models import Promotion

    # An answer's page offers its reader codes: a code made or ended shows at once.
    watch_tables(app, Promotion.__tablename__)
    app.cli.add_command(promotions_cli)
