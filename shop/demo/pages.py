"""Write the demo shop's own pages (contact, shipping and returns, privacy, terms, about).

The copy lives in `pages.toml`, written for this project. Its {placeholders} are filled from
the column's first doctor in the editorial demo data and from the shop's settings, so the
about page names the doctor the column shows and the shipping page states what checkout
charges.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from babel import Locale
from flask import current_app

from shop.core.money import format_money
from shop.demo.editorial import read_editorial
from shop.demo.loader import DemoLoadError
from shop.pages.models import Page
from shop.pages.services import PageContent, write_page

PAGES_FILE = Path(__file__).with_name("pages.toml")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# How a country reads after "addresses in"; others take their name from the locale.
COUNTRY_PHRASES = {"US": "the United States", "GB": "the United Kingdom", "NL": "the Netherlands"}


def read_pages(path: Path = PAGES_FILE) -> list[dict[str, Any]]:
    """Read the demo pages' copy."""
    with path.open("rb") as fh:
        pages: list[dict[str, Any]] = tomllib.load(fh)["pages"]
    return pages


def _countries(codes: list[str], locale: str) -> str:
    names = Locale.parse(locale).territories
    phrases = [COUNTRY_PHRASES.get(c) or str(names.get(c, c)) for c in codes]
    if len(phrases) <= 1:
        return "".join(phrases) or "the countries checkout offers"
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _first_lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def placeholders(editorial: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, str]:
    """What the copy's {placeholders} stand for: the column's doctor and the shop's settings."""
    doctors = (editorial or read_editorial())["doctors"]
    if not doctors:
        raise DemoLoadError("The editorial demo data has no doctor for the about page.")
    doctor = doctors[0]
    config = current_app.config
    currency, locale = config["SHOP_CURRENCY"], config["SHOP_LOCALE"]
    return {
        "doctor_name": doctor["name"],
        "doctor_slug": doctor["slug"],
        "doctor_credentials": doctor["credentials"],
        "doctor_title": _first_lower(doctor["title"]),
        "doctor_practice": doctor.get("practice") or "her practice",
        "shop_name": config["SHOP_NAME"],
        "shipping_rate": format_money(int(config["SHOP_SHIPPING_FLAT_RATE"]), currency, locale),
        "free_shipping_over": format_money(
            int(config["SHOP_FREE_SHIPPING_OVER"]), currency, locale
        ),
        "shipping_countries": _countries(list(config["SHOP_SHIPPING_COUNTRIES"]), locale),
    }


def _fill(text: str, values: dict[str, str], slug: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise DemoLoadError(f"The demo page {slug} names an unknown placeholder {{{name}}}.")
        return values[name]

    return PLACEHOLDER.sub(one, text).strip()


def load_pages(
    pages: list[dict[str, Any]] | None = None, values: dict[str, str] | None = None
) -> list[Page]:
    """Write the demo copy into the shop's pages, creating any that are missing."""
    values = values if values is not None else placeholders()
    written = []
    for item in pages if pages is not None else read_pages():
        slug = item["slug"]
        content = PageContent(
            title=_fill(item["title"], values, slug),
            body_markdown=_fill(item["body"], values, slug),
            seo_description=_fill(item.get("description", ""), values, slug) or None,
        )
        written.append(write_page(slug, content))
    return written
