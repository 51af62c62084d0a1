"""The cart: lines of product sizes kept in the database, found by a token in the session.

`register_cart(app)` adds the cart's pages and the `cart_count()` template global that
the header uses to show how many items the cart holds.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def register_cart(app: Flask) -> None:
    """Install the cart's blueprint and the header's `cart_count`."""
    from shop.cart.views import bp, cart_count

    app.register_blueprint(bp)

    @app.context_processor
    def cart_context() -> dict[str, Any]:
        return {"cart_count": cart_count}
