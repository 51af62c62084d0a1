"""The cart: lines of product sizes kept in the database, found by a token in the session.

`register_cart(app)` adds the cart's pages; the header's item count is `cart_badge()`
(shop/core/pagecache.py), filled in per visitor even on a cached page.
"""

from __future__ import annotations

from flask import Flask


def register_cart(app: Flask) -> None:
    """Install the cart's blueprint, and empty a cart once its order is paid."""
    from shop.cart.services import listen_to_orders
    from shop.cart.views import bp

    app.register_blueprint(bp)
    listen_to_orders()
