"""Orders: what was bought (snapshotted), its money, and where it is in its life."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the orders' pages and the `orders` commands."""
    from shop.orders.cli import orders_cli
    from shop.orders.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(orders_cli)
