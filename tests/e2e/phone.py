"""What the phone tests share: a name with one word too long for a phone's line, the check that
a page does not scroll sideways, and a wide font that makes any such word wider still."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import Shots

# A real shop gets names like this; the ingredient is one word too long for a phone's line.
LONG_NAME = (
    "Niacinamide 10% + Zinc Balancing Serum with Tetrahexyldecylascorbate, Panthenol and "
    "Hyaluronic Acid for Oily, Combination and Breakout-Prone Skin"
)

# The page's widths, and what sticks out past the screen (outside a box that scrolls itself).
WIDTHS = """(screen) => {
  const inScroller = (el) => {
    for (let n = el.parentElement; n && n !== document.body; n = n.parentElement) {
      if (getComputedStyle(n).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (!box.width || inScroller(el)) continue;
    const name = `${el.tagName.toLowerCase()}.${el.className}`;
    if (box.right > screen + 0.5) wide.push(`${name} ends at ${Math.round(box.right)}px`);
    else if (el.scrollWidth > el.clientWidth + 1) wide.push(`${name}: its text sticks out`);
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    wide: wide.slice(0, 10),
  };
}"""

# Wider than any font a visitor's phone may pick for the shop's: monospace ("monospace" twice
# keeps the browser from shrinking it to 13px) with wide letter spacing.
WIDE_FONT = (
    "\n*, *::before, *::after { font-family: monospace, monospace !important; "
    "letter-spacing: .25em !important; }\n"
)


def fit_problems(page: Any, name: str) -> list[str]:
    """Say how the page fails to fit the phone's screen, if it does."""
    screen = page.viewport_size["width"]
    seen = page.evaluate(WIDTHS, screen)
    # A phone shrinks a page that is too wide to fit (its layout viewport grows), so
    # `scrollWidth <= innerWidth` alone would pass an overflowing page.
    if seen["innerWidth"] != screen:
        return [f"{name}: the page is too wide and was zoomed out: {seen}"]
    if seen["scrollWidth"] > seen["innerWidth"]:
        return [f"{name}: the page scrolls sideways: {seen}"]
    return []


def assert_fits_the_phone(page: Any, shots: Shots, name: str) -> None:
    """Screenshot the page and assert it does not scroll sideways on the phone."""
    shots(page, name)
    problems = fit_problems(page, name)
    assert not problems, problems[0]
    search = page.get_by_role("searchbox")
    if search.count():
        expect(search).to_be_in_viewport(ratio=1)


def use_wide_font(page: Any) -> None:
    """Serve the shop's stylesheet to this page with `WIDE_FONT` at its end.

    Appended to the stylesheet itself, the rule obeys the shop's Content-Security-Policy
    (which refuses inline styles) and applies from the first paint of every page."""

    def widen(route: Any) -> None:
        response = route.fetch()
        # The body is handed over decoded: drop what described the encoded one.
        headers = {
            key: value
            for key, value in response.headers.items()
            if key.lower() not in ("content-encoding", "content-length", "etag")
        }
        route.fulfill(response=response, headers=headers, body=response.text() + WIDE_FONT)

    page.route(re.compile(r"/static/css/shop\.[^/]*css$"), widen)


def assert_wide_font_applied(page: Any) -> None:
    """Assert the page is drawn in `WIDE_FONT`, so a test cannot pass by missing it."""
    spacing = page.evaluate("() => getComputedStyle(document.querySelector('h1')).letterSpacing")
    assert spacing not in ("normal", "0px"), f"the wide font is not applied: {spacing}"
