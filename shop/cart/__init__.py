"""The cart: lines of product sizes kept in the database, found by a token in the session.

`init_app(app)` adds the cart's pages and the header's item count, `cart_badge()`: a page
hole (shop/core/pagecache.py), filled in per visitor even on a cached page.
"""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup


def init_app(app: Flask) -> None:
    """Install the cart's pages and the header's cart badge, and empty a cart once its order
    is paid."""
    from shop.cart.services import listen_to_orders
    from shop.cart.views import bp
    from shop.core.pagecache import add_page_hole

    app.register_blueprint(bp)
    add_page_hole(app, "cart_badge", cart_badge)
    listen_to_orders()


def cart_badge() -> Markup:
    """Return the header's "(2 items)" after Cart for this visitor; empty for an empty cart."""
    from shop.cart.views import cart_count

    n = cart_count()
    if not n:
        return Markup("")
    items = "item" if n == 1 else "items"
    return Markup(  # noqa: S704 - an integer and fixed words
        f' <span class="cart-count">({n}<span class="visually-hidden"> {items}</span>)</span>'
    )
