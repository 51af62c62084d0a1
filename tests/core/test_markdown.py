"""Markdown from staff renders as formatted text and can never carry script."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from shop.core.markdown import render_markdown


def test_headings_lists_emphasis_and_links_render() -> None:
    html = render_markdown("## Why\n\n- **Gentle** on skin\n- see [the guide](/products/)\n")
    assert "<h2>Why</h2>" in html
    assert "<li><strong>Gentle</strong> on skin</li>" in html
    assert '<a href="/products/">the guide</a>' in html


def test_external_links_get_noopener_and_internal_links_do_not() -> None:
    html = render_markdown("[out](https://example.org/x) and [in](/answers/)")
    assert '<a href="https://example.org/x" rel="noopener noreferrer">out</a>' in html
    assert '<a href="/answers/">in</a>' in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        '![img](x" onerror="alert(1))',
        "<svg onload=alert(1)>",
    ],
)
def test_script_never_gets_through(source: str) -> None:
    elements = _elements(str(render_markdown(source)))
    tags = {tag for tag, _ in elements}
    assert tags.isdisjoint({"script", "iframe", "svg", "img", "style", "object", "embed"})
    for _, attrs in elements:
        assert not [name for name, _ in attrs if name.startswith("on") or name == "style"]
        hrefs = [value or "" for name, value in attrs if name in ("href", "src")]
        assert not [h for h in hrefs if h.strip().lower().startswith("javascript:")]


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every element the browser would build from `html`, with its attributes."""
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_empty_source_renders_nothing() -> None:
    assert render_markdown("") == ""
    assert render_markdown(None) == ""
