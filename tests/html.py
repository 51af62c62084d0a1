"""Read pages the way a visitor sees them: visible text, product cards, links."""

from __future__ import annotations

import html as htmllib
import re
from html.parser import HTMLParser

from werkzeug.test import TestResponse


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(response: TestResponse | str) -> str:
    """The page's text as a reader sees it, whitespace collapsed."""
    html = response if isinstance(response, str) else response.get_data(as_text=True)
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


def card_titles(response: TestResponse) -> list[str]:
    """Names of the products shown as cards, in page order."""
    html = response.get_data(as_text=True)
    return [visible_text(m) for m in re.findall(r'<h3 class="card-title">(.*?)</h3>', html, re.S)]


def link_hrefs(response: TestResponse, rel: str) -> list[str]:
    """hrefs of <link rel=...> or <a rel=...> elements."""
    html = response.get_data(as_text=True)
    found = re.findall(rf'<(?:link|a) rel="{rel}" href="([^"]+)"', html) + re.findall(
        rf'<a href="([^"]+)" rel="{rel}"', html
    )
    return [htmllib.unescape(href) for href in found]


def breadcrumbs(response: TestResponse) -> list[str]:
    """The breadcrumb trail's labels, from home to the current page."""
    html = response.get_data(as_text=True)
    nav = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S)
    if nav is None:
        return []
    return [visible_text(item) for item in re.findall(r"<li>(.*?)</li>", nav.group(0), re.S)]


def csrf_token(response: TestResponse | str) -> str:
    """The CSRF token a form on this page would send."""
    html = response if isinstance(response, str) else response.get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'type="hidden" name="csrf_token" value="([^"]+)"', html
    )
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


def json_ld(response: TestResponse) -> list[object]:
    """Every JSON-LD block on the page, parsed."""
    import json

    html = response.get_data(as_text=True)
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))
        self._in_script = tag == "script" and ("type", "application/ld+json") not in attrs

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text.append(data)


def injected_markup(html: str) -> list[str]:
    """Problems a browser would run: executable scripts, on* handlers, javascript: URLs."""
    parser = _Elements()
    parser.feed(html)
    problems = []
    for tag, attrs in parser.found:
        if tag == "script" and ("type", "application/ld+json") not in attrs:
            problems.append(f"<script {attrs}>")
        if tag in ("iframe", "object", "embed"):
            problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                problems.append(f"<{tag} {name}={value}>")
    return problems
