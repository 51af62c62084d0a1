"""The demo shop: `flask --app shop demo load` fills an empty shop with sample content."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the `demo` commands."""
    from shop.demo.cli import demo_cli

    app.cli.add_command(demo_cli)
