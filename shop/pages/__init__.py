"""The shop's own pages (contact, shipping and returns, privacy, terms, about the doctor):
Markdown staff edit in the admin, linked from every page's footer and listed in the sitemap."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the shop's own pages."""
    init_pages(app)


def init_pages(app: Flask) -> None:
    """Serve the pages at /pages/<slug> and give the footer its links."""
    from shop.pages.queries import footer_pages
    from shop.pages.views import bp

    app.register_blueprint(bp)
    app.jinja_env.globals["footer_pages"] = footer_pages
