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
