"""Stock: what is on hand, what open checkouts hold, and every change with its reason."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Have a stock change move the page cache's version on when it changes what pages say
    of the stock ("In stock", "Only 3 left", "Sold out"), and only then."""
    from shop.core.pagecache import add_commit_check
    from shop.inventory.faces import stock_faces_changed

    add_commit_check(app, stock_faces_changed)
