"""Checkout: cart -> pending order (stock held) -> Stripe Checkout Session -> redirect."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the checkout's pages."""
    from shop.checkout.views import bp

    app.register_blueprint(bp)
