"""The Content-Security-Policy in a real browser: every page sends it, nothing the shop needs is
blocked by it (the `page` fixture fails on any block), and script slipped into a page does
not run."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import DESKTOP, DemoShop
from tests.e2e.test_accessibility import admin_tour, buying_tour, storefront_tour


def _policies(page: Any, shop: DemoShop) -> dict[str, str]:
    """The policy of every shop document the page loads, by URL."""
    seen: dict[str, str] = {}

    def response(answer: Any) -> None:
        if answer.request.resource_type == "document" and answer.url.startswith(shop.url):
            seen[answer.url] = answer.headers.get("content-security-policy", "")

    page.on("response", response)
    return seen


def test_every_page_sends_a_policy_without_inline_script(demo_shop: DemoShop, page: Any) -> None:
    seen = _policies(page, demo_shop)
    names = list(storefront_tour(demo_shop, page))
    names += list(buying_tour(demo_shop, page))
    names += list(admin_tour(demo_shop, page))
    assert len(names) > 10
    assert len(seen) > 10
    for url, policy in seen.items():
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives.get("script-src") == "'self'", url
        assert "'unsafe-inline'" not in policy, url
        assert "'unsafe-eval'" not in policy, url
        assert directives.get("frame-ancestors") == "'none'", url
        assert directives.get("object-src") == "'none'", url


def test_script_slipped_into_a_page_does_not_run(demo_shop: DemoShop, browser: Any) -> None:
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text))
        page.goto(demo_shop.url + "/")
        ran = page.evaluate(
            """() => {
                const s = document.createElement('script');
                s.textContent = 'window.injected = true';
                document.body.append(s);
                const img = document.createElement('img');
                img.setAttribute('onerror', 'window.handler = true');
                img.src = '/no-such-image.png';
                document.body.append(img);
                return new Promise(done => setTimeout(
                    () => done([window.injected === true, window.handler === true]), 500));
            }"""
        )
        assert ran == [False, False]
        assert any("Content Security Policy" in text for text in blocked)
    finally:
        context.close()
