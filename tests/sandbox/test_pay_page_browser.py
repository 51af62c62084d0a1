"""The pay page in a real browser: a code applied, the tax worked out as the address changes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from tests.conftest import skip_or_fail
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, context_page
from tests.fixtures_stripe import StripeSandbox
from tests.sandbox.helpers import promotion_code, session_params


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright, as the browser journeys use it."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        skip_or_fail(f"The browser tests need Chromium at {CHROMIUM} (apt install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("The browser tests need Playwright for Python (pip install playwright)")
        return
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def tab(chromium: Any) -> Iterator[Any]:
    """A desktop page that fails the test on any JavaScript error."""
    yield from context_page(chromium, viewport=DESKTOP)


def test_customer_applies_a_code_and_sees_the_tax_before_paying(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient, tab: Any
) -> None:
    promotion_code(stripe_client, "GLOW15")
    session = stripe_client.v1.checkout.sessions.create(
        session_params(allow_promotion_codes=True, automatic_tax={"enabled": True})
    )
    assert session.url is not None
    tab.goto(session.url)
    assert tab.locator("#totals").inner_text().count("Enter your address to calculate") == 1

    tab.fill("#name", "Ana Lima")
    tab.select_option("#country", "US")
    tab.fill("#line1", "1 Market St")
    tab.fill("#city", "San Francisco")
    tab.fill("#postal_code", "94105")
    tab.fill("#promotion_code", "nope")
    tab.click("text=Apply")
    assert "This code is invalid." in tab.locator("#promotion_code-error").inner_text()
    assert tab.input_value("#city") == "San Francisco"

    tab.fill("#promotion_code", "glow15")
    tab.click("text=Apply")
    totals = tab.locator("#totals")
    assert "GLOW15" in totals.inner_text()
    assert "\u2212$10.05" in totals.inner_text()

    tab.fill("#state", "CA")
    tab.locator("#state").dispatch_event("change")
    tab.wait_for_function("document.getElementById('totals').innerText.includes('California')")
    assert "Tax (California, 7.25%)" in totals.inner_text()
    assert "$4.13" in totals.inner_text()
    assert tab.locator("#pay-button").inner_text() == "Pay $68.03"
    assert tab.input_value("#name") == "Ana Lima"  # no reload: what was typed stays

    tab.fill("#card_number", "4242 4242 4242 4242")
    tab.fill("#card_expiry", "12 / 34")
    tab.fill("#card_cvc", "123")
    tab.route("http://shop.test/**", lambda route: route.fulfill(body="Thank you"))
    tab.click("#pay-button")
    tab.wait_for_url(f"http://shop.test/checkout/done?session_id={session.id}")

    done = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert done.status == "complete"
    assert done.amount_total == 6803
    assert done.to_dict()["total_details"]["amount_tax"] == 413
