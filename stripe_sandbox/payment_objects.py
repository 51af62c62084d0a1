"""PaymentIntent, Charge, Refund and Event objects, built on their fixtures."""

from __future__ import annotations

from typing import Any

from .fixtures import Obj, Templates, page
from .state import Charge, Customer, PaymentIntent, Refund


def shipping_object(customer: Customer) -> Obj:
    """Return Stripe's `shipping` hash (name and address) for a customer."""
    return {
        "address": customer.address.as_dict(),
        "carrier": None,
        "name": customer.name,
        "phone": customer.phone,
        "tracking_number": None,
    }


def payment_intent_object(t: Templates, pi: PaymentIntent, expand_charge: bool = False) -> Obj:
    """Return a `payment_intent`."""
    session = t.store.sessions.get(pi.session_id or "")
    customer = session.customer if session else None
    collects = session is not None and session.allowed_countries is not None
    latest: Any = pi.charge_id
    if expand_charge and pi.charge_id:
        latest = charge_object(t, t.store.charges[pi.charge_id])
    return t.base(
        "payment_intent",
        {
            "id": pi.id,
            "object": "payment_intent",
            "amount": pi.amount,
            "amount_capturable": 0,
            "amount_details": {"tip": {}},
            "amount_received": pi.amount_received,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic_async",
            "client_secret": pi.client_secret,
            "confirmation_method": "automatic",
            "created": pi.created,
            "currency": pi.currency,
            "customer": None,
            "description": None,
            "last_payment_error": pi.last_error,
            "latest_charge": latest,
            "livemode": False,
            "metadata": dict(pi.metadata),
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": pi.payment_method_id,
            "payment_method_configuration_details": None,
            "payment_method_options": {},
            "payment_method_types": ["card"],
            "processing": None,
            "receipt_email": None,
            "review": None,
            "setup_future_usage": None,
            "shipping": shipping_object(customer) if customer and collects else None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": pi.status,
            "transfer_data": None,
            "transfer_group": None,
            "source": None,
            "excluded_payment_method_types": None,
            "customer_account": None,
            "managed_payments": None,
        },
    )


def charge_object(t: Templates, ch: Charge) -> Obj:
    """Return a `charge`, with its refunds listed."""
    settled = ch.status == "succeeded"
    details = t.shape("charge", "payment_method_details", {})
    card: Obj = dict(details["card"]) if isinstance(details.get("card"), dict) else {}
    card.update(
        {
            "amount_authorized": ch.amount,
            "brand": ch.card.brand,
            "checks": {
                "address_line1_check": "pass",
                "address_postal_code_check": "pass",
                "cvc_check": "pass",
            },
            "country": "US",
            "exp_month": ch.card.exp_month,
            "exp_year": ch.card.exp_year,
            "fingerprint": "sbx" + ch.card.number[-8:],
            "funding": "credit",
            "installments": None,
            "last4": ch.card.last4,
            "mandate": None,
            "network": ch.card.brand,
            "network_token": {"used": False},
            "three_d_secure": None,
            "wallet": None,
        }
    )
    if isinstance(card.get("overcapture"), dict):
        card["overcapture"] = {"maximum_amount_capturable": ch.amount, "status": "unavailable"}
    refunds = [refund_object(t, t.store.refunds[r]) for r in reversed(ch.refund_ids)]
    return t.base(
        "charge",
        {
            "id": ch.id,
            "object": "charge",
            "amount": ch.amount,
            "amount_captured": ch.amount if settled else 0,
            "amount_refunded": ch.amount_refunded,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "balance_transaction": "txn_" + ch.id[3:] if settled else None,
            "billing_details": {
                "address": ch.billing.address.as_dict(),
                "email": ch.billing.email,
                "name": ch.billing.name,
                "phone": ch.billing.phone,
                "tax_id": None,
            },
            "calculated_statement_descriptor": "SANDBOX SHOP",
            "captured": settled,
            "created": ch.created,
            "currency": ch.currency,
            "customer": None,
            "description": None,
            "disputed": False,
            "failure_balance_transaction": None,
            "failure_code": "generic_decline" if ch.status == "failed" else None,
            "failure_message": "Your payment failed." if ch.status == "failed" else None,
            "fraud_details": {},
            "livemode": False,
            "metadata": {},
            "on_behalf_of": None,
            "outcome": {
                "advice_code": None,
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "approved_by_network"
                if ch.status != "failed"
                else "declined_by_network",
                "reason": None,
                "risk_level": "normal",
                "seller_message": "Payment complete." if settled else "Payment pending.",
                "type": "authorized" if ch.status != "failed" else "issuer_declined",
            },
            "paid": settled,
            "payment_intent": ch.payment_intent_id,
            "payment_method": ch.payment_method_id,
            "payment_method_details": {"card": card, "type": "card"},
            "receipt_email": ch.billing.email,
            "receipt_number": None,
            "receipt_url": f"{t.public_url}/receipts/{ch.id}",
            "refunded": ch.amount_refunded >= ch.amount,
            "refunds": page(refunds, f"/v1/charges/{ch.id}/refunds"),
            "review": None,
            "shipping": shipping_object(ch.shipping) if ch.shipping else None,
            "source": None,
            "source_transfer": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": ch.status,
            "transfer_data": None,
            "transfer_group": None,
        },
    )


def refund_object(t: Templates, re: Refund, expand: set[str] | None = None) -> Obj:
    """Return a `refund`."""
    expand = expand or set()
    obj = t.base(
        "refund",
        {
            "id": re.id,
            "object": "refund",
            "amount": re.amount,
            "balance_transaction": "txn_" + re.id[3:],
            "charge": re.charge_id,
            "created": re.created,
            "currency": re.currency,
            "destination_details": {
                "card": {
                    "reference": None,
                    "reference_status": "pending",
                    "reference_type": "acquirer_reference_number",
                    "type": "refund",
                },
                "type": "card",
            },
            "metadata": dict(re.metadata),
            "payment_intent": re.payment_intent_id,
            "reason": re.reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": re.status,
            "transfer_reversal": None,
            "customer": None,
            "customer_account": None,
            "payment_method": re.payment_method_id,
        },
    )
    if re.status == "failed":
        obj["failure_reason"] = re.failure_reason or "unknown"
    if "charge" in expand:
        obj["charge"] = charge_object(t, t.store.charges[re.charge_id])
    if "payment_intent" in expand:
        pi = t.store.payment_intents[re.payment_intent_id]
        obj["payment_intent"] = payment_intent_object(t, pi)
    return obj


def event_object(
    t: Templates,
    event_id: str,
    type_: str,
    created: int,
    data: Obj,
    *,
    api_version: str,
    pending_webhooks: int,
    request_id: str | None,
    idempotency_key: str | None,
) -> Obj:
    """Return an `event` envelope around `data` (`{"object": ..., "previous_attributes"?}`)."""
    return t.base(
        "event",
        {
            "id": event_id,
            "object": "event",
            "api_version": api_version,
            "created": created,
            "data": data,
            "livemode": False,
            "pending_webhooks": pending_webhooks,
            "request": {"id": request_id, "idempotency_key": idempotency_key},
            "type": type_,
        },
    )
