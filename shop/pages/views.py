"""The shop's own pages at /pages/<slug>, served through the page cache."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template

from shop.core.pagecache import cached
from shop.core.readonly import read_only_gets
from shop.pages import queries
from shop.pages.models import SLUG_MAX

bp = Blueprint("pages", __name__, url_prefix="/pages")
read_only_gets(bp)  # its GETs only read: they never wait for SQLite's write lock


@bp.get("/<slug>")
def page(slug: str) -> Response:
    """Show one of the shop's pages: contact, shipping and returns, privacy, terms, about."""
    return cached(lambda: _page(slug))


def _page(slug: str) -> str:
    found = queries.page_by_slug(slug) if len(slug) <= SLUG_MAX else None
    if found is None:
        abort(404, description="We could not find that page.")
    return render_template(
        "pages/page.html",
        page=found,
        description=queries.meta_description(found, current_app.config["SHOP_NAME"]),
    )
