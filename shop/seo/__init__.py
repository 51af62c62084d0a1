"""What search engines read: the sitemap and robots.txt."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the sitemap and robots.txt."""
    from shop.seo.views import bp

    app.register_blueprint(bp)
