"""The sandbox's pay page in a real browser: a code applied, the tax worked out as the address
changes (the page's small script), then paid."""

from __future__ import annotations

from typing import Any

import stripe

from tests.fixtures_stripe import StripeSandbox
from tests.sandbox.helpers import promotion_code, session_params


def test_customer_applies_a_code_and_sees_the_tax_before_paying(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient, page: Any
) -> None:
    promotion_code(stripe_client, "GLOW15")
    session = stripe_client.v1.checkout.sessions.create(
        session_params(allow_promotion_codes=True, automatic_tax={"enabled": True})
    )
    assert session.url is not None
    page.goto(session.url)
    assert page.locator("#totals").inner_text().count("Enter your address to calculate") == 1

    page.fill("#name", "Ana Lima")
    page.select_option("#country", "US")
    page.fill("#line1", "1 Market St")
    page.fill("#city", "San Francisco")
    page.fill("#postal_code", "94105")
    page.fill("#promotion_code", "nope")
    page.click("text=Apply")
    assert "This code is invalid." in page.locator("#promotion_code-error").inner_text()
    assert page.input_value("#city") == "San Francisco"

    page.fill("#promotion_code", "glow15")
    page.click("text=Apply")
    totals = page.locator("#totals")
    assert "GLOW15" in totals.inner_text()
    assert "\u2212$10.05" in totals.inner_text()

    page.fill("#state", "CA")
    page.locator("#state").dispatch_event("change")
    page.wait_for_function("document.getElementById('totals').innerText.includes('California')")
    assert "Tax (California, 7.25%)" in totals.inner_text()
    assert "$4.13" in totals.inner_text()
    assert page.locator("#pay-button").inner_text() == "Pay $68.03"
    assert page.input_value("#name") == "Ana Lima"  # no reload: what was typed stays

    page.fill("#card_number", "4242 4242 4242 4242")
    page.fill("#card_expiry", "12 / 34")
    page.fill("#card_cvc", "123")
    page.route("http://shop.test/**", lambda route: route.fulfill(body="Thank you"))
    page.click("#pay-button")
    page.wait_for_url(f"http://shop.test/checkout/done?session_id={session.id}")

    done = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert done.status == "complete"
    assert done.amount_total == 6803
    assert done.to_dict()["total_details"]["amount_tax"] == 413
