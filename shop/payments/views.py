"""The Stripe webhook endpoint."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from shop.extensions import csrf, db
from shop.mail.services import deliver_queued_now
from shop.payments.exceptions import WebhookRejected
from shop.payments.webhooks import handle_event, verify_event

bp = Blueprint("payments", __name__)

# Stripe events are small; anything bigger is not from Stripe.
MAX_EVENT_BYTES = 512 * 1024


@bp.post("/stripe/webhook")
def webhook() -> tuple[Response, int]:
    """Verify a Stripe event on its raw body, apply it once, and commit; 500 makes Stripe retry."""
    if (request.content_length or 0) > MAX_EVENT_BYTES:
        return jsonify(error="too large"), 413
    payload = request.get_data(cache=False)
    try:
        event = verify_event(payload, request.headers.get("Stripe-Signature"))
    except WebhookRejected as exc:
        return jsonify(error=exc.message), 400
    try:
        outcome = handle_event(event)
        db.session.commit()
    except WebhookRejected as exc:
        db.session.rollback()
        return jsonify(error=exc.message), 400
    except Exception:
        # The whole unit (the event record included) is undone; Stripe retries later.
        db.session.rollback()
        raise
    deliver_queued_now()
    return jsonify(received=True, outcome=outcome), 200


# Stripe cannot send a CSRF token; the signature on the raw body authenticates it instead.
csrf.exempt(webhook)
