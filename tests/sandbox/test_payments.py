"""Paying: the hosted pay page, the control API's customer, delayed payments and refunds."""

from __future__ import annotations

import re

import pytest
import stripe

from tests.fixtures_stripe import StripeSandbox, http
from tests.sandbox.helpers import SUBTOTAL, loose_refund, session_params

CARD_FORM = {
    "email": "ana@example.com",
    "name": "Ana Lima",
    "line1": "12 Rue Test",
    "city": "Montreal",
    "postal_code": "H2X 1Y4",
    "country": "CA",
    "shipping_option": "1",
    "card_number": "4242 4242 4242 4242",
    "card_expiry": "12 / 34",
    "card_cvc": "123",
}


def test_pay_page_shows_the_order(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())
    assert session.url is not None

    page = http("GET", session.url)

    assert page.status == 200
    assert "Barrier Repair Serum 30 ml" in page.text
    assert "$49.00" in page.text
    assert "$73.95" in page.text  # 67.00 + standard shipping 6.95
    assert 'value="ana@example.com"' in page.text
    countries = re.findall(r'<option value="([A-Z]{2})"', page.text)
    assert countries == ["US", "CA"]
    assert "Express" in page.text
    assert 'href="http://shop.test/cart"' in page.text
    assert 'type="submit">Pay $73.95' in page.text


def test_paying_with_4242_completes_the_session(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())
    assert session.url is not None

    answer = http("POST", session.url, form=CARD_FORM)

    assert answer.status == 303
    assert answer.headers["Location"] == (f"http://shop.test/checkout/done?session_id={session.id}")
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert paid.status == "complete"
    assert paid.payment_status == "paid"
    assert paid.amount_total == SUBTOTAL + 1500  # express
    assert paid.shipping_cost is not None
    assert paid.shipping_cost.amount_total == 1500
    assert paid.url is None
    data = paid.to_dict()
    assert data["total_details"]["amount_shipping"] == 1500
    customer = data["customer_details"]
    assert (customer["email"], customer["name"]) == ("ana@example.com", "Ana Lima")
    assert customer["address"]["country"] == "CA"
    shipping = data["collected_information"]["shipping_details"]
    assert shipping["name"] == "Ana Lima"
    assert shipping["address"]["line1"] == "12 Rue Test"
    assert shipping["address"]["postal_code"] == "H2X 1Y4"

    pi = paid.payment_intent
    assert isinstance(pi, stripe.PaymentIntent)
    assert pi.id.startswith("pi_")
    assert pi.status == "succeeded"
    assert pi.amount == pi.amount_received == SUBTOTAL + 1500
    assert pi.metadata.to_dict() == {"order_id": "17"}
    assert str(pi.latest_charge).startswith("ch_")
    same = stripe_client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]})
    assert isinstance(same.latest_charge, stripe.Charge)
    assert same.latest_charge.payment_method_details is not None
    assert same.latest_charge.payment_method_details.card is not None
    assert same.latest_charge.payment_method_details.card.last4 == "4242"
    assert stripe_sandbox.event_types() == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    done_page = http("GET", session.url)
    assert "already paid" in done_page.text


def test_declined_card_keeps_the_session_open(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())
    assert session.url is not None

    declined = http("POST", session.url, form=CARD_FORM | {"card_number": "4000000000000002"})

    assert declined.status == 402
    assert "Your card was declined." in declined.text
    assert 'value="Ana Lima"' in declined.text  # what was typed stays
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"

    wrong = http("POST", session.url, form=CARD_FORM | {"card_number": "4111 1111 1111 1112"})
    assert wrong.status == 402
    assert "Your card number is incorrect." in wrong.text

    paid = http("POST", session.url, form=CARD_FORM)
    assert paid.status == 303
    again = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert again.payment_status == "paid"


def test_missing_fields_are_named_and_typing_is_kept(stripe_client: stripe.StripeClient) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())
    assert session.url is not None

    page = http(
        "POST",
        session.url,
        form={"email": "ana@", "name": "Ana Lima", "card_number": "4242", "country": "FR"},
    )

    assert page.status == 400
    for message in (
        "Enter an email address like name@example.com.",
        "Enter the first line of your address.",
        "Your card number is incomplete.",
        "Enter the expiry date as MM / YY.",
        "Enter the 3 or 4 digit security code.",
        "Choose a country from the list.",
    ):
        assert message in page.text
    assert 'value="ana@"' in page.text
    assert 'aria-invalid="true" aria-describedby="line1-error"' in page.text


def test_expired_pay_page_links_back(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())
    assert session.url is not None
    stripe_sandbox.expire(session.id)

    page = http("GET", session.url)

    assert "This checkout has expired" in page.text
    assert 'href="http://shop.test/cart"' in page.text
    refused = http("POST", session.url, form=CARD_FORM)
    assert "This checkout has expired" in refused.text
    assert stripe_sandbox.event_types() == ["checkout.session.expired"]


def test_control_pay_and_declines(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())

    declined = stripe_sandbox.pay(session.id, card="4000000000000002", expect=402)
    assert declined["error"]["decline_code"] == "generic_decline"
    paid = stripe_sandbox.pay(session.id, email="bo@example.com", shipping_option=0)

    assert paid["redirect"].endswith(session.id)
    assert paid["session"]["customer_details"]["email"] == "bo@example.com"
    assert paid["session"]["amount_total"] == SUBTOTAL + 695
    again = stripe_sandbox.pay(session.id, expect=400)
    assert "already complete" in again["error"]["message"]
    assert stripe_sandbox.event_types().count("payment_intent.payment_failed") == 1


@pytest.mark.parametrize(
    ("outcome", "payment_status", "event"),
    [
        ("succeeded", "paid", "checkout.session.async_payment_succeeded"),
        ("failed", "unpaid", "checkout.session.async_payment_failed"),
    ],
)
def test_delayed_payment(
    stripe_sandbox: StripeSandbox,
    stripe_client: stripe.StripeClient,
    outcome: str,
    payment_status: str,
    event: str,
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())

    pending = stripe_sandbox.pay(session.id, **{"async": True})["session"]
    assert (pending["status"], pending["payment_status"]) == ("complete", "unpaid")
    assert stripe_sandbox.events(type="checkout.session.completed")

    settled = stripe_sandbox.control("POST", f"sessions/{session.id}/async", {"outcome": outcome})

    assert (settled["status"], settled["payment_status"]) == ("complete", payment_status)
    assert stripe_sandbox.event_types()[-1] == event
    assert stripe_sandbox.events(type=event)[0]["event"]["data"]["object"]["id"] == session.id


def _paid_intent(stripe_sandbox: StripeSandbox, client: stripe.StripeClient) -> str:
    session = client.v1.checkout.sessions.create(session_params(shipping_options=[]))
    stripe_sandbox.pay(session.id)
    pi = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    assert isinstance(pi, str)
    return pi


def test_full_refund(stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient) -> None:
    pi = _paid_intent(stripe_sandbox, stripe_client)

    refund = stripe_client.v1.refunds.create(
        {"payment_intent": pi, "reason": "requested_by_customer", "metadata": {"order_id": "17"}},
        {"idempotency_key": "refund-17"},
    )

    assert refund.id.startswith("re_")
    assert refund.status == "succeeded"
    assert refund.amount == SUBTOTAL
    assert refund.payment_intent == pi
    assert stripe_client.v1.refunds.retrieve(refund.id).amount == SUBTOTAL
    charge_event = stripe_sandbox.events(type="charge.refunded")[0]["event"]
    assert charge_event["data"]["object"]["amount_refunded"] == SUBTOTAL
    assert charge_event["data"]["object"]["refunded"] is True
    assert charge_event["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}
    assert charge_event["request"]["idempotency_key"] == "refund-17"
    assert stripe_sandbox.events(type="refund.created")
    with pytest.raises(stripe.InvalidRequestError, match="already been refunded"):
        stripe_client.v1.refunds.create({"payment_intent": pi})


def test_partial_refunds_and_over_refund(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    pi = _paid_intent(stripe_sandbox, stripe_client)

    first = stripe_client.v1.refunds.create({"payment_intent": pi, "amount": 2450})
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.refunds.create({"payment_intent": pi, "amount": SUBTOTAL})
    second = stripe_client.v1.refunds.create({"payment_intent": pi, "amount": SUBTOTAL - 2450})

    assert (first.amount, second.amount) == (2450, SUBTOTAL - 2450)
    assert info.value.param == "amount"
    assert "greater than unrefunded amount on charge ($42.50)" in str(info.value.user_message)
    charge = stripe_client.v1.payment_intents.retrieve(pi, {"expand": ["latest_charge"]})
    assert isinstance(charge.latest_charge, stripe.Charge)
    assert charge.latest_charge.amount_refunded == SUBTOTAL
    assert charge.latest_charge.refunded is True


def test_bad_refund_params(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    pi = _paid_intent(stripe_sandbox, stripe_client)

    with pytest.raises(stripe.InvalidRequestError, match="Invalid integer: abc"):
        stripe_client.v1.refunds.create(loose_refund(payment_intent=pi, amount="abc"))
    with pytest.raises(stripe.InvalidRequestError, match="Invalid reason"):
        stripe_client.v1.refunds.create(loose_refund(payment_intent=pi, reason="changed_mind"))
    with pytest.raises(stripe.InvalidRequestError, match="No such payment_intent"):
        stripe_client.v1.refunds.create({"payment_intent": "pi_nope"})


def test_pending_refund_can_fail(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    pi = _paid_intent(stripe_sandbox, stripe_client)
    stripe_sandbox.control("POST", "refunds/mode", {"status": "pending"})

    refund = stripe_client.v1.refunds.create({"payment_intent": pi, "amount": 1000})
    assert refund.status == "pending"
    failed = stripe_sandbox.control("POST", f"refunds/{refund.id}/settle", {"status": "failed"})

    assert failed["status"] == "failed"
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "failed"
    assert stripe_sandbox.event_types()[-3:] == [
        "refund.updated",
        "charge.refund.updated",
        "refund.failed",
    ]
    again = stripe_client.v1.refunds.create({"payment_intent": pi})
    assert again.amount == SUBTOTAL  # the failed refund gave its amount back
