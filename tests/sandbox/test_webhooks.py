"""Webhooks: Stripe's signature, retries, and held, reordered, doubled or late deliveries."""

from __future__ import annotations

import json

import pytest
import stripe

from tests.fixtures_stripe import StripeSandbox, WebhookReceiver
from tests.sandbox.helpers import session_params


@pytest.fixture
def hooked(stripe_sandbox: StripeSandbox, webhook_receiver: WebhookReceiver) -> StripeSandbox:
    """The sandbox sending checkout.session.* events to the receiver."""
    stripe_sandbox.set_webhook_url(webhook_receiver.url)
    stripe_sandbox.webhooks(enabled_events=["checkout.session.*"])
    return stripe_sandbox


def _sessions(client: stripe.StripeClient, count: int) -> list[str]:
    return [client.v1.checkout.sessions.create(session_params()).id for _ in range(count)]


def test_signature_is_accepted_by_stripe_python(
    hooked: StripeSandbox, webhook_receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    session_id = _sessions(stripe_client, 1)[0]
    hooked.pay(session_id)
    hooked.wait_for_webhooks()

    [delivery] = webhook_receiver.received
    event = stripe.Webhook.construct_event(delivery.body, delivery.signature, hooked.webhook_secret)

    assert event.type == "checkout.session.completed"
    assert event.data.object.id == session_id
    assert event.data.object.payment_status == "paid"
    assert event.livemode is False
    assert event.api_version == stripe.api_version
    assert event.id.startswith("evt_")
    assert delivery.headers["Content-Type"].startswith("application/json")
    assert delivery.headers["User-Agent"].startswith("Stripe/")
    stored = stripe_client.v1.events.retrieve(event.id)
    assert stored.type == event.type
    assert stored.pending_webhooks == 0
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.body, delivery.signature, "whsec_wrong")
    reserialised = json.dumps(json.loads(delivery.body)).encode()
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(reserialised, delivery.signature, hooked.webhook_secret)


def test_events_record_the_request_that_caused_them(
    hooked: StripeSandbox, webhook_receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    session_id = _sessions(stripe_client, 1)[0]
    stripe_client.v1.checkout.sessions.expire(session_id, options={"idempotency_key": "exp-1"})
    hooked.wait_for_webhooks()

    [event] = webhook_receiver.events()
    assert event["type"] == "checkout.session.expired"
    assert event["request"]["idempotency_key"] == "exp-1"
    assert event["request"]["id"] == hooked.requests(method="POST")[-1]["id"]


def test_failed_deliveries_are_retried_and_recorded(
    hooked: StripeSandbox, webhook_receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    webhook_receiver.fail_next(500, 503)
    session_id = _sessions(stripe_client, 1)[0]
    hooked.expire(session_id)
    hooked.wait_for_webhooks()

    [event] = hooked.events()
    assert [a["status"] for a in event["attempts"]] == [500, 503, 200]
    assert event["delivered"] is True
    statuses = [r.status for r in webhook_receiver.received]
    assert statuses == [500, 503, 200]
    bodies = {r.body for r in webhook_receiver.received}
    assert len(bodies) == 1  # the same event each time


def test_unreachable_endpoint_gives_up_after_the_retries(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    stripe_sandbox.set_webhook_url("http://127.0.0.1:9/stripe/webhook")
    session_id = _sessions(stripe_client, 1)[0]
    stripe_sandbox.expire(session_id)
    stripe_sandbox.wait_for_webhooks()

    [event] = stripe_sandbox.events()
    attempts = event["attempts"]
    assert len(attempts) == 4  # the first try and three retries
    assert all(a["status"] is None and a["error"] for a in attempts)
    assert event["delivered"] is False


def test_hold_then_flush_in_reverse(
    hooked: StripeSandbox, webhook_receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    hooked.webhooks(mode="hold")
    first, second = _sessions(stripe_client, 2)
    hooked.pay(first)
    hooked.expire(second)
    hooked.wait_for_webhooks()
    assert webhook_receiver.received == []
    sent = [e for e in hooked.events() if e["sent_to_endpoint"]]
    assert [e["held"] for e in sent] == [True, True]

    assert hooked.flush(order="reverse") == 2
    hooked.wait_for_webhooks()

    received = [(e["type"], e["data"]["object"]["id"]) for e in webhook_receiver.events()]
    assert received == [("checkout.session.expired", second), ("checkout.session.completed", first)]


def test_flush_twice_and_duplicate_mode(
    hooked: StripeSandbox, webhook_receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    hooked.webhooks(mode="hold")
    first, second = _sessions(stripe_client, 2)
    hooked.expire(first)
    hooked.flush(times=2)
    hooked.wait_for_webhooks()
    hooked.webhooks(mode="duplicate")
    hooked.expire(second)
    hooked.wait_for_webhooks()

    ids = [e["data"]["object"]["id"] for e in webhook_receiver.events()]
    assert ids == [first, first, second, second]
    assert len({e["id"] for e in webhook_receiver.events()}) == 2


def test_redeliver_one_event_late(
    hooked: StripeSandbox, webhook_receiver: WebhookReceiver, stripe_client: stripe.StripeClient
) -> None:
    session_id = _sessions(stripe_client, 1)[0]
    hooked.pay(session_id)
    hooked.wait_for_webhooks()
    [completed] = hooked.events(type="checkout.session.completed")

    hooked.control("POST", f"events/{completed['id']}/deliver")
    hooked.wait_for_webhooks()

    assert [e["id"] for e in webhook_receiver.events()] == [completed["id"], completed["id"]]
    assert len(hooked.events(type="checkout.session.completed")[0]["attempts"]) == 2


def test_all_event_types_by_default(
    stripe_sandbox: StripeSandbox,
    webhook_receiver: WebhookReceiver,
    stripe_client: stripe.StripeClient,
) -> None:
    stripe_sandbox.set_webhook_url(webhook_receiver.url)
    session_id = _sessions(stripe_client, 1)[0]
    stripe_sandbox.pay(session_id)
    stripe_sandbox.wait_for_webhooks()

    assert webhook_receiver.types() == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]


def test_events_without_a_url_are_kept_not_sent(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    session_id = _sessions(stripe_client, 1)[0]
    stripe_sandbox.expire(session_id)

    [event] = stripe_sandbox.events()
    assert event["sent_to_endpoint"] is False
    assert event["attempts"] == []
    assert event["event"]["pending_webhooks"] == 0
    refused = stripe_sandbox.control("POST", f"events/{event['id']}/deliver", expect=409)
    assert "No webhook URL" in refused["error"]["message"]
