"""Sitemap and robots.txt."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template

from shop.catalog import queries as catalog_queries
from shop.editorial import queries as editorial_queries

bp = Blueprint("seo", __name__)


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """List every public page a search engine should index, with its last change."""
    entries = catalog_queries.sitemap_entries() + editorial_queries.sitemap_entries()
    xml = render_template("seo/sitemap.xml", entries=entries)
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
