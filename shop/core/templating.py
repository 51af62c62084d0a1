"""Jinja filters and globals: money, Markdown, availability words, canonical and pager URLs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, request, url_for
from markupsafe import Markup

from shop.core.markdown import render_markdown
from shop.core.money import format_major, format_money

# Query parameters that only change the presentation; canonical URLs leave their defaults out.
DEFAULT_ARGS = {"page": "1", "sort": "featured"}


def money(amount: int | None, currency: str | None = None) -> str:
    """Format minor units for the shop's locale; empty for a missing amount."""
    if amount is None:
        return ""
    return format_money(
        amount, currency or current_app.config["SHOP_CURRENCY"], current_app.config["SHOP_LOCALE"]
    )


def availability(available: int) -> tuple[str, str]:
    """Return the words and a CSS modifier for how many units can be bought."""
    if available <= 0:
        return "Sold out", "sold-out"
    if available <= current_app.config["SHOP_LOW_STOCK_THRESHOLD"]:
        return f"Only {available} left", "low"
    return "In stock", "in-stock"


def _clean_args(args: dict[str, list[str]]) -> list[tuple[str, str]]:
    pairs = []
    for key in sorted(args):
        for value in sorted(set(args[key])):
            if value == "" or DEFAULT_ARGS.get(key) == value:
                continue
            pairs.append((key, value))
    return pairs


def canonical_url(endpoint: str | None = None, keep: tuple[str, ...] = (), **values: Any) -> str:
    """Return this page's absolute URL on SHOP_BASE_URL, keeping only the `keep` query args."""
    base = current_app.config["SHOP_BASE_URL"]
    if endpoint is None:
        endpoint = request.endpoint or "catalog.home"
        values = {**(request.view_args or {}), **values}
    path = url_for(endpoint, **values)
    query = ""
    if keep and request:
        args = {k: v for k, v in request.args.to_dict(flat=False).items() if k in keep}
        pairs = _clean_args(args)
        query = "?" + urlencode(pairs) if pairs else ""
    return f"{base}{path}{query}"


def absolute_url(endpoint: str, **values: Any) -> str:
    """Return an absolute URL on SHOP_BASE_URL (for sitemaps, feeds and mail)."""
    return str(current_app.config["SHOP_BASE_URL"]) + url_for(endpoint, **values)


def url_with(**changes: Any) -> str:
    """Return the current URL with some query args changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    pairs = _clean_args(args)
    path = url_for(request.endpoint or "catalog.home", **(request.view_args or {}))
    return path + ("?" + urlencode(pairs) if pairs else "")


def register_templating(app: Flask) -> None:
    """Install the filters, globals and the shop-wide template context."""
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["major"] = format_major
    app.jinja_env.filters["media_url"] = lambda path: absolute_url("media", filename=path)
    app.jinja_env.globals.update(
        availability=availability,
        canonical_url=canonical_url,
        absolute_url=absolute_url,
        url_with=url_with,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def shop_context() -> dict[str, Any]:
        from shop.catalog.queries import categories

        def nav_categories() -> Any:
            return categories()

        return {
            "shop_name": app.config["SHOP_NAME"],
            "nav_categories": nav_categories,
            "current_year": datetime.now(UTC).year,
        }

    @app.template_filter("jsonld")
    def jsonld(data: Any) -> Markup:
        """Serialise structured data for a <script type="application/ld+json"> block."""
        import json

        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        # "</" would close the script element early; escape it the way JSON allows.
        return Markup(text.replace("</", "<\\/"))  # noqa: S704 - JSON, not HTML
