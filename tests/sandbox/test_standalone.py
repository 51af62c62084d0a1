"""The sandbox without ../shared/stripe (skeleton objects, basic checks) and its command line."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from tests.fixtures_stripe import StripeSandbox, http
from tests.sandbox.helpers import SUBTOTAL, loose_refund, promotion_code, session_params

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bare_sandbox() -> Iterator[StripeSandbox]:
    """A sandbox started with no shared dir."""
    stripe.enable_telemetry = False
    sandbox = StripeSandbox(shared_dir=None)
    yield sandbox
    sandbox.close()


def test_runs_without_the_shared_dir(bare_sandbox: StripeSandbox) -> None:
    client = bare_sandbox.client()
    assert bare_sandbox.validates is False

    session = client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "bare"})
    bare_sandbox.pay(session.id, shipping_option=1)
    paid = client.v1.checkout.sessions.retrieve(
        session.id, {"expand": ["line_items", "payment_intent"]}
    )

    assert paid.status == "complete"
    assert paid.payment_status == "paid"
    assert paid.amount_total == SUBTOTAL + 1500
    data = paid.to_dict()
    assert data["metadata"] == {"order_id": "17"}
    assert data["customer_details"]["email"] == "ana@example.com"
    assert data["collected_information"]["shipping_details"]["address"]["country"] == "US"
    assert paid.line_items is not None
    assert paid.line_items.data[0].price is not None
    assert paid.line_items.data[0].price.unit_amount == 2450
    assert isinstance(paid.payment_intent, stripe.PaymentIntent)
    refund = client.v1.refunds.create({"payment_intent": paid.payment_intent.id, "amount": 500})
    assert refund.status == "succeeded"
    bare_sandbox.close_clients()


def test_basic_checks_without_the_spec(bare_sandbox: StripeSandbox) -> None:
    client = bare_sandbox.client()

    with pytest.raises(stripe.InvalidRequestError, match="Invalid mode"):
        client.v1.checkout.sessions.create(session_params(mode="paymnt"))
    with pytest.raises(stripe.InvalidRequestError, match="Invalid integer: abc"):
        client.v1.refunds.create(loose_refund(payment_intent="pi_x", amount="abc"))
    # Unknown parameters pass: only the spec file knows every parameter.
    client.v1.checkout.sessions.create(session_params(unit_amout=5))
    bare_sandbox.close_clients()


def test_codes_and_tax_without_the_shared_dir(bare_sandbox: StripeSandbox) -> None:
    client = bare_sandbox.client()
    promo = promotion_code(client, "BARE10", coupon={"percent_off": 10}, max_redemptions=1)
    session = client.v1.checkout.sessions.create(
        session_params(discounts=[{"promotion_code": promo.id}], automatic_tax={"enabled": True})
    )

    paid = bare_sandbox.pay(session.id, address={"country": "CA", "state": "ON"})["session"]

    assert paid["total_details"] == {
        "amount_discount": 670,
        "amount_shipping": 695,
        "amount_tax": 784,
    }
    assert paid["amount_total"] == SUBTOTAL - 670 + 695 + 784  # (6700 - 670) * 13% = 783.9
    assert client.v1.promotion_codes.retrieve(promo.id).times_redeemed == 1
    with pytest.raises(stripe.InvalidRequestError, match="maximum number of redemptions"):
        client.v1.checkout.sessions.create(session_params(discounts=[{"promotion_code": promo.id}]))
    with pytest.raises(stripe.InvalidRequestError, match="Invalid boolean: maybe"):
        bare_sandbox.client().v1.checkout.sessions.create(
            session_params(allow_promotion_codes="maybe")
        )
    bare_sandbox.close_clients()


def test_command_line_serves_and_says_where(tmp_path: Path) -> None:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "stripe_sandbox", "--port", "0", "--shared-dir", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Stripe sandbox listening on http://127.0.0.1:")
        assert "basic parameter checks only" in line
        url = line.split()[4]
        index = http("GET", url + "/")
        assert index.status == 200
        assert index.json()["validates_against_spec"] is False
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
