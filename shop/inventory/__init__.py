"""Stock: what is on hand, what open checkouts hold, and every change with its reason."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Have a stock change bump the page cache's version: product pages show availability."""
    from shop.core.pagecache import watch_tables
    from shop.inventory.models import StockRecord

    watch_tables(app, StockRecord.__tablename__)
