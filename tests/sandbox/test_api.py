"""The sandbox's API through real stripe-python: sessions, validation, idempotency, auth."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe

from stripe_sandbox.core import default_shared_dir
from tests.conftest import skip_or_fail
from tests.fixtures_stripe import StripeSandbox, http
from tests.sandbox.helpers import CANCEL_URL, SUBTOTAL, SUCCESS_URL, session_params


def test_create_and_retrieve_session(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k1"})

    assert session.id.startswith("cs_test_")
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.url == f"{stripe_sandbox.url}/pay/{session.id}"
    assert session.currency == "usd"
    assert session.amount_subtotal == SUBTOTAL
    assert session.amount_total == SUBTOTAL + 695  # the first shipping option until one is chosen
    assert session.to_dict()["total_details"]["amount_shipping"] == 695
    assert session.shipping_cost is not None
    assert session.shipping_cost.amount_total == 695
    assert [o.shipping_amount for o in session.shipping_options] == [695, 1500]
    assert session.to_dict()["metadata"] == {"order_id": "17"}
    assert session.client_reference_id == "order-17"
    assert session.customer_email == "ana@example.com"
    assert session.payment_intent is None  # made when the customer pays, as in the current API
    assert session.customer_details is None
    assert session.success_url == SUCCESS_URL
    assert session.cancel_url == CANCEL_URL

    again = stripe_client.v1.checkout.sessions.retrieve(session.id, {"expand": ["line_items"]})
    assert again.id == session.id
    assert again.line_items is not None
    lines = again.line_items.data
    assert [(li.description, li.quantity, li.amount_total) for li in lines] == [
        ("Barrier Repair Serum 30 ml", 2, 4900),
        ("Gentle Cleanser", 1, 1800),
    ]
    assert lines[0].price is not None
    assert lines[0].price.unit_amount == 2450

    page = stripe_client.v1.checkout.sessions.line_items.list(session.id, {"limit": 1})
    assert [li.description for li in page.data] == ["Barrier Repair Serum 30 ml"]
    assert page.has_more is True

    logged = stripe_sandbox.requests(path="/v1/checkout/sessions")
    assert logged[0]["idempotency_key"] == "k1"
    assert logged[0]["stripe_version"] == stripe.api_version
    assert logged[0]["status"] == 200
    assert logged[0]["params"]["line_items"][0]["price_data"]["unit_amount"] == "2450"


def test_expire_session(stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())

    expired = stripe_client.v1.checkout.sessions.expire(session.id)

    assert expired.status == "expired"
    assert expired.url is None
    assert stripe_sandbox.event_types() == ["checkout.session.expired"]
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.checkout.sessions.expire(session.id)
    assert 'Only Checkout Sessions with a status in ["open"] can be expired' in str(
        info.value.user_message
    )
    assert info.value.http_status == 400


def test_clock_expires_sessions_past_expires_at(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())

    moved = stripe_sandbox.control("POST", "clock", {"advance": 46 * 60})

    assert moved["expired"] == 1
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    assert stripe_sandbox.event_types() == ["checkout.session.expired"]


@pytest.mark.parametrize(
    ("change", "param", "message"),
    [
        (
            {
                "line_items": [
                    {
                        "price_data": {
                            "currency": "usd",
                            "unit_amout": 100,
                            "product_data": {"name": "x"},
                        },
                        "quantity": 1,
                    }
                ]
            },
            "line_items[0][price_data][unit_amout]",
            "Received unknown parameter: line_items[0][price_data][unit_amout]",
        ),
        (
            {"mode": "paymnt"},
            "mode",
            "Invalid mode: must be one of payment, setup, or subscription",
        ),
        (
            {"shipping_address_collection": {"allowed_countries": ["XX"]}},
            "shipping_address_collection[allowed_countries][0]",
            "must be one of",
        ),
        ({"expires_at": "soon"}, "expires_at", "Invalid integer: soon"),
        ({"expires_at": int(time.time()) + 29 * 60}, "expires_at", "at least 30 minutes"),
        ({"expires_at": int(time.time()) + 25 * 3600}, "expires_at", "less than 24 hours"),
        ({"client_reference_id": "x" * 201}, "client_reference_id", "at most 200 characters"),
        ({"metadata": {f"k{i}": "v" for i in range(51)}}, "metadata", "at most 50 keys"),
        ({"metadata": {"k" * 41: "v"}}, "metadata[" + "k" * 41 + "]", "at most 40 characters"),
        ({"metadata": {"k": "v" * 501}}, "metadata[k]", "at most 500 characters"),
        ({"line_items": []}, "line_items", "`line_items` is required in `payment` mode"),
        ({"success_url": None}, "success_url", "Missing required param: success_url."),
        ({"mode": None}, "mode", "Missing required param: mode."),
        ({"customer_email": "not-an-email"}, "customer_email", "Invalid email address"),
        (
            {
                "shipping_options": [
                    {
                        "shipping_rate_data": {
                            "display_name": "EU",
                            "type": "fixed_amount",
                            "fixed_amount": {"amount": 500, "currency": "eur"},
                        }
                    }
                ]
            },
            "shipping_options[0][shipping_rate_data][fixed_amount][currency]",
            "must match the currency",
        ),
    ],
)
def test_bad_session_params_are_refused(
    stripe_client: stripe.StripeClient, change: dict[str, Any], param: str, message: str
) -> None:
    if default_shared_dir() is None and (
        "unknown parameter" in message or "must be one of" in message
    ):
        # Unknown parameters and enums are known only from Stripe's spec files.
        skip_or_fail("../shared/stripe (or $STRIPE_SHARED_DIR) is not there")
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.checkout.sessions.create(session_params(**change))

    assert info.value.http_status == 400
    assert info.value.param == param
    assert message in str(info.value.user_message)


def test_two_currencies_are_refused(stripe_client: stripe.StripeClient) -> None:
    params = session_params(shipping_options=[])
    params["line_items"][1]["price_data"]["currency"] = "eur"

    with pytest.raises(stripe.InvalidRequestError, match="same currency"):
        stripe_client.v1.checkout.sessions.create(params)


def test_idempotent_replay_returns_the_same_session(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    params = session_params()
    first = stripe_client.v1.checkout.sessions.create(params, {"idempotency_key": "order-17-a"})
    second = stripe_client.v1.checkout.sessions.create(params, {"idempotency_key": "order-17-a"})

    assert second.id == first.id
    assert second.to_dict() == first.to_dict()
    listed = stripe_client.v1.checkout.sessions.list()
    assert [s.id for s in listed.data] == [first.id]
    assert [r["outcome"] for r in stripe_sandbox.requests(path="/v1/checkout/sessions")] == [
        "ok",
        "replayed",
        "ok",
    ]


def test_reusing_a_key_with_other_params_is_an_idempotency_error(
    stripe_client: stripe.StripeClient,
) -> None:
    stripe_client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k"})

    with pytest.raises(stripe.IdempotencyError) as info:
        stripe_client.v1.checkout.sessions.create(
            session_params(client_reference_id="order-18"), {"idempotency_key": "k"}
        )
    assert info.value.http_status == 400
    assert "same parameters" in str(info.value.user_message)


def test_missing_or_live_key_is_an_authentication_error(stripe_sandbox: StripeSandbox) -> None:
    missing = http("GET", f"{stripe_sandbox.url}/v1/checkout/sessions")
    assert missing.status == 401
    assert missing.json()["error"]["type"] == "authentication_error"

    live = stripe.StripeClient("sk_live_nope", base_addresses={"api": stripe_sandbox.url})
    with pytest.raises(stripe.AuthenticationError):
        live.v1.checkout.sessions.list()
    assert [r["status"] for r in stripe_sandbox.requests()] == [401, 401]


def test_unknown_url_and_unknown_ids(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    unknown = stripe_sandbox.api("GET", "/v1/customers")
    assert unknown.status == 404
    assert unknown.json()["error"]["message"].startswith(
        "Unrecognized request URL (GET: /v1/customers)"
    )

    update = stripe_sandbox.api(
        "POST", "/v1/checkout/sessions/cs_test_x", form={"metadata[a]": "b"}
    )
    assert update.status == 404

    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert info.value.http_status == 404
    assert info.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError, match="No such payment_intent"):
        stripe_client.v1.payment_intents.retrieve("pi_nope")


def test_expand_of_an_unknown_field_is_refused(stripe_client: stripe.StripeClient) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())

    with pytest.raises(stripe.InvalidRequestError, match="cannot be expanded"):
        stripe_client.v1.checkout.sessions.retrieve(session.id, {"expand": ["customer"]})


def test_response_headers(stripe_sandbox: StripeSandbox) -> None:
    result = stripe_sandbox.api("GET", "/v1/checkout/sessions")

    assert result.status == 200
    assert result.headers["Request-Id"].startswith("req_")
    assert result.headers["Content-Type"] == "application/json"
