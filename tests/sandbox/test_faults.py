"""Faults: the sandbox fails as Stripe sometimes does, and stripe-python reacts as in production."""

from __future__ import annotations

import time

import pytest
import stripe

from tests.fixtures_stripe import StripeSandbox
from tests.sandbox.helpers import session_params

SESSIONS = "/v1/checkout/sessions"


def test_error_500_is_an_api_error(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    stripe_sandbox.fault(SESSIONS, "error_500")

    with pytest.raises(stripe.APIError) as info:
        stripe_client.v1.checkout.sessions.create(session_params())
    assert info.value.http_status == 500

    stripe_client.v1.checkout.sessions.create(session_params())  # only the next one failed
    assert [r["status"] for r in stripe_sandbox.requests(path=SESSIONS)] == [500, 200]


def test_timeout_is_a_connection_error(stripe_sandbox: StripeSandbox) -> None:
    stripe_sandbox.fault(SESSIONS, "timeout", seconds=3)
    client = stripe_sandbox.client(timeout=0.5)

    with pytest.raises(stripe.APIConnectionError):
        client.v1.checkout.sessions.create(session_params())


def test_reset_is_a_connection_error(stripe_sandbox: StripeSandbox) -> None:
    stripe_sandbox.fault(SESSIONS, "reset")
    client = stripe_sandbox.client()

    with pytest.raises(stripe.APIConnectionError):
        client.v1.checkout.sessions.create(session_params())
    # The server drops the connection before it files the request in its log: wait for it.
    deadline = time.monotonic() + 3
    while not (logged := stripe_sandbox.requests(path=SESSIONS)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert logged[0]["outcome"] == "reset"


def test_retries_after_a_failure_that_happened_after_the_work(
    stripe_sandbox: StripeSandbox,
) -> None:
    """The session was made but the answer was lost; the retry's key returns the same one."""
    stripe_sandbox.fault(SESSIONS, "error_500", stage="after")
    client = stripe_sandbox.client(max_network_retries=2)

    session = client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k-17"})

    logged = stripe_sandbox.requests(path=SESSIONS)
    assert [(r["status"], r["idempotency_key"]) for r in logged] == [(500, "k-17"), (200, "k-17")]
    assert logged[1]["outcome"] == "replayed"
    assert [s.id for s in client.v1.checkout.sessions.list().data] == [session.id]


def test_faults_match_method_and_path_glob_and_can_be_cleared(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())
    stripe_sandbox.fault("/v1/checkout/sessions/*", method="GET", count=2)

    for _ in range(2):
        with pytest.raises(stripe.APIError):
            stripe_client.v1.checkout.sessions.retrieve(session.id)
    stripe_client.v1.checkout.sessions.retrieve(session.id)

    stripe_sandbox.fault("*", method="*", count=5)
    assert len(stripe_sandbox.control("GET", "faults")["data"]) == 1
    stripe_sandbox.control("DELETE", "faults")
    stripe_client.v1.checkout.sessions.retrieve(session.id)


def test_bad_fault_is_refused(stripe_sandbox: StripeSandbox) -> None:
    answer = stripe_sandbox.control("POST", "faults", {"mode": "explode"}, expect=400)

    assert "mode must be one of" in answer["error"]["message"]
