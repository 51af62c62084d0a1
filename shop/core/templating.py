"""Jinja filters and globals: money, Markdown, availability words, canonical and pager URLs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from flask import Flask, current_app, has_request_context, request, url_for
from markupsafe import Markup

from shop.core.markdown import render_markdown
from shop.core.money import format_major, format_money
from shop.core.registry import registry

# Query parameters that only change the presentation; canonical URLs leave their defaults out.
DEFAULT_ARGS = {"page": "1", "sort": "featured"}


def money(amount: int | None, currency: str | None = None) -> str:
    """Format minor units for the shop's locale; empty for a missing amount."""
    if amount is None:
        return ""
    return format_money(
        amount, currency or current_app.config["SHOP_CURRENCY"], current_app.config["SHOP_LOCALE"]
    )


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; every stored time is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def isodate(moment: datetime | date | None) -> str:
    """ISO 8601 for machines (feeds, JSON-LD, <time datetime>), in UTC."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return _as_utc(moment).isoformat(timespec="seconds").replace("+00:00", "Z")
    return moment.isoformat()


def longdate(moment: datetime | date | None) -> str:
    """A date for people, in the shop's locale: "November 25, 2026"."""
    if moment is None:
        return ""
    day = _as_utc(moment).date() if isinstance(moment, datetime) else moment
    return str(format_date(day, "long", locale=current_app.config["SHOP_LOCALE"]))


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
    """Return an absolute URL on SHOP_BASE_URL, in a request or not (sitemaps, feeds, mail)."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        # Mail is also written by CLI commands, where there is no request to build URLs from.
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return str(current_app.config["SHOP_BASE_URL"]) + path


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


def add_template_values(app: Flask, **values: Any) -> None:
    """Give every template these names (the header's `nav_categories`, ...)."""
    registry(app).template_values.update(values)


def register_templating(app: Flask) -> None:
    """Install the filters, globals and the shop-wide template context."""
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["major"] = format_major
    app.jinja_env.filters["isodate"] = isodate
    app.jinja_env.filters["longdate"] = longdate
    app.jinja_env.filters["media_url"] = lambda path: absolute_url("media", filename=path)
    app.jinja_env.globals.update(
        availability=availability,
        canonical_url=canonical_url,
        absolute_url=absolute_url,
        url_with=url_with,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    values = registry(app).template_values

    @app.context_processor
    def shop_context() -> dict[str, Any]:
        return {
            **values,
            "shop_name": app.config["SHOP_NAME"],
            "current_year": datetime.now(UTC).year,
        }

    @app.template_filter("jsonld")
    def jsonld(data: Any) -> Markup:
        """Serialise structured data for a <script type="application/ld+json"> block."""
        import json

        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        # "</" would close the script element early; escape it the way JSON allows.
        return Markup(text.replace("</", "<\\/"))  # noqa: S704 - JSON, not HTML
