"""The spec checks: form decoding, request typing, and responses valid against Stripe's schemas."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import stripe

from stripe_sandbox.core import default_shared_dir
from stripe_sandbox.errors import ParamError
from stripe_sandbox.fixtures import FIXTURES_FILE
from stripe_sandbox.formdata import decode_form, listify
from stripe_sandbox.spec import Spec
from tests.conftest import skip_or_fail
from tests.fixtures_stripe import StripeSandbox
from tests.sandbox.helpers import session_params

SHARED = default_shared_dir()
MISSING = "../shared/stripe (or $STRIPE_SHARED_DIR) is not there"
CREATE = "/v1/checkout/sessions"


@pytest.fixture
def needs_shared_dir() -> None:
    """Skip without Stripe's spec files; in CI (SHOP_REQUIRE_SERVICES=1) fail instead."""
    if SHARED is None:
        skip_or_fail(MISSING)


needs_shared = pytest.mark.usefixtures("needs_shared_dir")


@pytest.fixture(scope="module")
def spec() -> Spec:
    if SHARED is None:
        skip_or_fail(MISSING)
    assert SHARED is not None
    return Spec.load(SHARED)


def test_decode_nested_form() -> None:
    pairs = [
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][quantity]", "2"),
        ("line_items[1][quantity]", "1"),
        ("metadata[order_id]", "17"),
        ("expand[]", "line_items"),
        ("expand[]", "payment_intent"),
    ]

    decoded = decode_form(pairs)

    assert listify(decoded) == {
        "line_items": [{"price_data": {"currency": "usd"}, "quantity": "2"}, {"quantity": "1"}],
        "metadata": {"order_id": "17"},
        "expand": ["line_items", "payment_intent"],
    }


def test_decode_refuses_a_value_and_a_hash_under_one_name() -> None:
    with pytest.raises(ParamError):
        decode_form([("metadata", "x"), ("metadata[a]", "b")])


@needs_shared
def test_coercion_types_the_params(spec: Spec) -> None:
    raw = decode_form(
        [
            ("mode", "payment"),
            ("success_url", "http://x.test/ok"),
            ("expires_at", "1800000000"),
            ("line_items[0][quantity]", "2"),
            ("line_items[0][price_data][unit_amount]", "2450"),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][product_data][name]", "Serum"),
            ("metadata[order_id]", "17"),
            ("phone_number_collection[enabled]", "false"),
        ]
    )

    params = spec.coerce_request("POST", CREATE, raw)

    assert params["expires_at"] == 1800000000
    assert params["line_items"] == [
        {
            "quantity": 2,
            "price_data": {
                "unit_amount": 2450,
                "currency": "usd",
                "product_data": {"name": "Serum"},
            },
        }
    ]
    assert params["phone_number_collection"] == {"enabled": False}
    assert params["metadata"] == {"order_id": "17"}


@needs_shared
@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("unit_amout", "1")], "Received unknown parameter: unit_amout"),
        ([("mode", "paymnt")], "Invalid mode: must be one of payment, setup, or subscription"),
        ([("phone_number_collection[enabled]", "maybe")], "Invalid boolean: maybe"),
        ([("line_items[0][quantity]", "two")], "Invalid integer: two"),
        ([("line_items", "x")], "Invalid array: line_items"),
        (
            [("phone_number_collection[colour]", "x")],
            "unknown parameter: phone_number_collection[colour]",
        ),
        (
            [("line_items[0][price_data][product_data][description]", "x")],
            "Missing required param: line_items[0][price_data][product_data][name].",
        ),
    ],
)
def test_coercion_refuses_like_stripe(
    spec: Spec, pairs: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(ParamError) as info:
        spec.coerce_request("POST", CREATE, decode_form([("success_url", "http://x"), *pairs]))
    assert message in info.value.message


@needs_shared
def test_refund_amount_abc_is_refused(spec: Spec) -> None:
    with pytest.raises(ParamError, match="Invalid integer: abc"):
        spec.coerce_request("POST", "/v1/refunds", {"amount": "abc"})
    assert spec.coerce_request("POST", "/v1/refunds", {"metadata": ""}) == {"metadata": ""}


@needs_shared
@pytest.mark.parametrize(
    ("resource", "schema"),
    [
        ("checkout.session", "checkout.session"),
        ("refund", "refund"),
        ("payment_intent", "payment_intent"),
        ("charge", "charge"),
        ("event", "event"),
        ("item", "item"),
    ],
)
def test_upstream_fixtures_pass_the_validator(spec: Spec, resource: str, schema: str) -> None:
    assert SHARED is not None
    fixtures = json.loads((SHARED / FIXTURES_FILE).read_text())["resources"]
    assert spec.validate_object(schema, fixtures[resource]) == []


@needs_shared
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"status": "bogus"}, "status: 'bogus' is not one of"),
        ({"amount_total": "12"}, "amount_total: expected integer"),
        ({"livemode": None}, "livemode: null is not allowed"),
        ({"customer_details": {"email": 3}}, "customer_details[email]: expected string"),
    ],
)
def test_validator_catches_wrong_objects(spec: Spec, change: dict[str, Any], expected: str) -> None:
    assert SHARED is not None
    fixtures = json.loads((SHARED / FIXTURES_FILE).read_text())["resources"]
    broken = copy.deepcopy(fixtures["checkout.session"]) | change

    errors = spec.validate_object("checkout.session", broken)

    assert any(expected in e for e in errors), errors
    missing_id = {k: v for k, v in fixtures["checkout.session"].items() if k != "id"}
    assert "id: required" in spec.validate_object("checkout.session", missing_id)


@needs_shared
def test_every_object_the_sandbox_returns_matches_the_schema(
    spec: Spec, stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())
    open_raw = stripe_sandbox.api("GET", f"/v1/checkout/sessions/{session.id}").json()
    stripe_sandbox.pay(session.id)
    paid = stripe_sandbox.api(
        "GET",
        f"/v1/checkout/sessions/{session.id}?expand[]=line_items"
        "&expand[]=payment_intent.latest_charge&expand[]=payment_intent",
    ).json()
    pi_id = paid["payment_intent"]["id"]
    refund = stripe_sandbox.api(
        "POST", "/v1/refunds", form={"payment_intent": pi_id, "amount": "100"}
    )
    expired = stripe_client.v1.checkout.sessions.create(session_params())
    stripe_sandbox.expire(expired.id)
    objects: list[tuple[str, Any]] = [
        ("checkout.session", open_raw),
        ("checkout.session", paid),
        ("payment_intent", paid["payment_intent"]),
        ("charge", paid["payment_intent"]["latest_charge"]),
        ("refund", refund.json()),
        ("item", paid["line_items"]["data"][0]),
    ]
    objects += [("event", e["event"]) for e in stripe_sandbox.events()]
    objects += [
        (e["event"]["data"]["object"]["object"], e["event"]["data"]["object"])
        for e in stripe_sandbox.events()
    ]

    for name, obj in objects:
        assert spec.validate_object(name, obj) == [], (name, obj.get("id"))
    assert not _example_values(paid), "fixture example values leaked into a response"


def _example_values(obj: Any) -> list[Any]:
    """Return values that only the upstream examples have (made-up amounts and texts)."""
    found: list[Any] = []
    if isinstance(obj, dict):
        for value in obj.values():
            found += _example_values(value)
    elif isinstance(obj, list):
        for value in obj:
            found += _example_values(value)
    elif obj in (
        "message",
        "obj_123",
        1555417355,
        1234567890,
        "example@example.com",
        "Jenny Rosen",
    ):
        found.append(obj)
    return found
