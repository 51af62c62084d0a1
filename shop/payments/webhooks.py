"""Stripe webhooks: verify, record by event id, dispatch by type.

The handler table maps each event type the shop cares about to one function; unknown
types are recorded and answered 200 with a log line. Session handlers settle through
`shop.payments.settle`, which locks the order and moves it only along the transition
table, so events that arrive twice, late or out of order change nothing they should not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
import stripe
from flask import current_app

from shop.core.templating import money
from shop.extensions import db
from shop.orders.models import Order, OrderEvent, OrderStatus
from shop.orders.services import record_refund
from shop.payments.exceptions import WebhookRejected
from shop.payments.gateway import session_from_event_object
from shop.payments.models import StripeEvent
from shop.payments.settle import Closing, Settled, close_order, lock_order, settle_session

logger = logging.getLogger("shop.payments")

# A handler takes an event's data.object and says what it did.
Handler = Callable[[dict[str, Any]], str]


def verify_event(payload: bytes, signature: str | None) -> dict[str, Any]:
    """Check the signature on the raw body and return the event; raise WebhookRejected."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise WebhookRejected("Webhooks are not configured (STRIPE_WEBHOOK_SECRET is unset).")
    if not signature:
        raise WebhookRejected("Missing Stripe-Signature header.")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected("Invalid signature.") from exc
    except ValueError as exc:
        raise WebhookRejected("The body is not a Stripe event.") from exc
    data: dict[str, Any] = event.to_dict()
    if not (_identifier(data.get("id")) and _identifier(data.get("type"), limit=100)):
        raise WebhookRejected("The body is not a Stripe event.")
    container = data.get("data")
    obj = container.get("object") if isinstance(container, dict) else None
    object_id = obj.get("id") if isinstance(obj, dict) else None
    # Every event is about an object; the ones the shop acts on must name it.
    named = _identifier(object_id) or (object_id is None and data["type"] not in HANDLERS)
    if not isinstance(obj, dict) or not named:
        raise WebhookRejected(f"A {data['type']} event without the object it is about.")
    created = data.get("created")
    if created is not None and not (isinstance(created, int) and 0 <= created < 2**53):
        raise WebhookRejected("The event's creation time is not a Unix time.")
    return data


def _identifier(value: object, limit: int = 255) -> bool:
    """An id or type as Stripe writes them: short printable text (evt_..., cs_...)."""
    return isinstance(value, str) and 0 < len(value) <= limit and value.isprintable()


def _on_session(closing: Closing | None = None) -> Handler:
    """Make a handler that settles the event's session (see `settle_session`)."""

    def handle(obj: dict[str, Any]) -> str:
        settled = settle_session(session_from_event_object(obj), closing=closing)
        return _said(settled)

    return handle


def _async_failed(obj: dict[str, Any]) -> str:
    failed = Closing(OrderStatus.CANCELLED, "The delayed payment failed.")
    return _said(close_order(session_from_event_object(obj), failed))


def _said(settled: Settled) -> str:
    if settled.order is None:
        return "no matching order"
    order = settled.order
    return f"order {order.number}: {order.status.value}" + (
        "" if settled.changed else " (unchanged)"
    )


_completed = _on_session()
_expired = _on_session(Closing(OrderStatus.EXPIRED, "The checkout expired unpaid."))


def _order_for_intent(intent_id: str | None) -> Order | None:
    if not intent_id:
        return None
    found = db.session.scalar(sa.select(Order).where(Order.stripe_payment_intent_id == intent_id))
    return lock_order(found.id) if found is not None else None


def _charge_refunded(obj: dict[str, Any]) -> str:
    order = _order_for_intent(obj.get("payment_intent"))
    if order is None:
        return "no matching order"
    refunded = int(obj.get("amount_refunded") or 0)
    changed = record_refund(order, refunded, f"charge {obj.get('id')}")
    return f"order {order.number}: {order.status.value}" + ("" if changed else " (unchanged)")


def _refund_updated(obj: dict[str, Any]) -> str:
    order = _order_for_intent(obj.get("payment_intent"))
    if order is None:
        return "no matching order"
    # The totals come with charge.refunded; a refund's own update matters when it fails.
    status = obj.get("status")
    if status in ("failed", "canceled"):
        db.session.add(
            OrderEvent(
                order_id=order.id,
                kind="refund_failed",
                message=(
                    f"Refund {obj.get('id')} of "
                    f"{money(int(obj.get('amount') or 0), order.currency)} {status}."
                ),
            )
        )
    return f"order {order.number}: refund {obj.get('id')} is {status}"


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": _completed,
    "checkout.session.async_payment_failed": _async_failed,
    "checkout.session.expired": _expired,
    "charge.refunded": _charge_refunded,
    "refund.updated": _refund_updated,
}


def handle_event(event: dict[str, Any]) -> str:
    """Record the event and apply it once; return what happened (for the log and the reply).

    Only flushes: the caller commits, or rolls back everything (the record included) on error.
    """
    if db.session.get(StripeEvent, event["id"]) is not None:
        return "duplicate: already handled"
    obj = (event.get("data") or {}).get("object") or {}
    record = StripeEvent(
        id=event["id"],
        type=event["type"],
        object_id=obj.get("id") if isinstance(obj, dict) else None,
        created=event.get("created"),
    )
    try:
        # In a savepoint: when another process records the same delivery at the same moment,
        # this insert waits for its commit and then fails; that is a duplicate, not an error.
        with db.session.begin_nested():
            db.session.add(record)
    except sa.exc.IntegrityError:
        return "duplicate: already handled"
    handler = HANDLERS.get(event["type"])
    if handler is None:
        record.outcome = "ignored: not a type the shop handles"
        logger.info("stripe event %s of type %s ignored", event["id"], event["type"])
        return record.outcome
    try:
        record.outcome = handler(obj)[:300]
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        # Signed, so from Stripe, yet not shaped as its API documents: refuse it whole (the
        # caller rolls back) and say so loudly; Stripe retries any answer that is not 2xx.
        logger.exception("stripe event %s (%s) is malformed", event["id"], event["type"])
        raise WebhookRejected(f"The {event['type']} event is malformed: {exc!r}"[:300]) from exc
    logger.info("stripe event %s (%s): %s", event["id"], event["type"], record.outcome)
    return record.outcome
