"""Sitemap and robots.txt."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template

from shop.catalog import queries as catalog_queries
from shop.core.readonly import read_only_gets
from shop.editorial import queries as editorial_queries
from shop.pages import queries as pages_queries
from shop.seo import queries

bp = Blueprint("seo", __name__)
read_only_gets(bp)  # its GETs only read: they never wait for SQLite's write lock


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """List every public page a search engine should index, with its last change."""
    entries = queries.dated(
        catalog_queries.sitemap_entries()
        + editorial_queries.sitemap_entries()
        + pages_queries.sitemap_entries()
    )
    products_changed = queries.latest_product_change()
    answers_changed = queries.latest_answer_change()
    # The home page shows featured products and the latest answers; each index shows one.
    pages = [
        ("catalog.home", max((d for d in (products_changed, answers_changed) if d), default=None)),
        ("catalog.products", products_changed),
        ("editorial.answers", answers_changed),
    ]
    xml = render_template("seo/sitemap.xml", pages=pages, entries=entries)
    return Response(xml, mimetype="application/xml")


@bp.get("/robots.txt")
def robots() -> Response:
    """Allow the storefront, keep crawlers out of checkout and admin, and name the sitemap."""
    base = current_app.config["SHOP_BASE_URL"]
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /cart",
        "Disallow: /checkout",
        "Disallow: /orders/",
        "Disallow: /search",
        "Allow: /",
        "",
        f"Sitemap: {base}/sitemap.xml",
        "",
    ]
    return Response("\n".join(lines), mimetype="text/plain")
