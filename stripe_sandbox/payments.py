"""Paying a session (pay page or control API), delayed payment outcomes, and refunds.

Test cards behave as in Stripe's test mode: 4242 4242 4242 4242 (and 5555 5555 5555 4444)
succeed, 4000 0000 0000 0002 is declined, 4000 0000 0000 9995 has insufficient funds,
4000 0000 0000 0069 is expired, 4000 0000 0000 0127 fails the CVC check; any other
number is "incorrect". The first attempt creates the PaymentIntent, as Checkout does.
Paying applies a typed promotion code, checks again that the session's code or coupon
still applies (ended, expired or used up since: refused, the session stays open), works
out automatic tax from the address, and on completion counts the redemption.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import promotions
from .checkout import find_session
from .core import Sandbox
from .errors import ParamError, StripeError, card_declined, missing
from .formdata import check_metadata
from .money import format_amount
from .state import Card, Charge, Customer, Origin, PaymentIntent, Refund, Session, new_id

SUCCEEDING_CARDS = {"4242424242424242": "visa", "5555555555554444": "mastercard"}
FAILING_CARDS = {
    "4000000000000002": ("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "4000000000000069": ("expired_card", None, "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", None, "Your card's security code is incorrect."),
}
REFUND_STATUSES = ("succeeded", "pending")


@dataclass
class Payment:
    """What the customer submits: who they are, the card and the shipping choice."""

    customer: Customer
    card: Card
    shipping_choice: int = 0
    delayed: bool = False
    promotion_code: str | None = None


def card_outcome(number: str) -> tuple[str, str | None, str] | None:
    """Return (code, decline_code, message) for a card that fails, None for one that works."""
    if number in SUCCEEDING_CARDS:
        return None
    return FAILING_CARDS.get(number, ("incorrect_number", None, "Your card number is incorrect."))


def open_session(sb: Sandbox, session_id: str) -> Session:
    """Return a session that can still be paid, or raise why it cannot."""
    session = find_session(sb, session_id)
    if session.status == "complete":
        raise StripeError("This Checkout Session is already complete.", code="session_complete")
    if session.status == "expired":
        raise StripeError("This Checkout Session has expired.", code="session_expired")
    return session


def pay(sb: Sandbox, session_id: str, payment: Payment) -> Session:
    """Pay an open session; a failing card raises a 402 and leaves the session open."""
    with sb.store.lock:
        session = open_session(sb, session_id)
        if session.shipping_options and not 0 <= payment.shipping_choice < len(
            session.shipping_options
        ):
            raise ParamError("Choose one of the shipping options.", param="shipping_option")
        country = payment.customer.address.country
        if session.allowed_countries is not None and country not in session.allowed_countries:
            raise ParamError(f"We cannot ship to {country}.", param="country")
        if payment.promotion_code:
            if not session.allow_promotion_codes:
                raise ParamError(
                    "This Checkout Session does not accept promotion codes.",
                    param="promotion_code",
                )
            promotions.apply_code(sb, session, payment.promotion_code)
        promotions.recheck(sb, session)
        session.shipping_choice = payment.shipping_choice if session.shipping_options else 0
        locate_tax(sb, session, country, payment.customer.address.state)
        pi = _payment_intent(sb, session)
        failure = card_outcome(payment.card.number)
        if failure is not None:
            code, decline_code, message = failure
            pi.last_error = {
                "type": "card_error",
                "code": code,
                "decline_code": decline_code,
                "message": message,
                "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
            }
            pi.status = "requires_payment_method"
            sb.emit("payment_intent.payment_failed", sb.render.payment_intent(pi))
            raise card_declined(code, message, decline_code)
        pi.amount = session.amount_total
        pi.last_error = None
        pi.payment_method_id = new_id("pm_1")
        shipping = payment.customer if session.allowed_countries is not None else None
        charge = Charge(
            id=new_id("ch_3"),
            created=sb.store.timestamp(),
            amount=pi.amount,
            currency=pi.currency,
            payment_intent_id=pi.id,
            payment_method_id=pi.payment_method_id,
            card=payment.card,
            billing=payment.customer,
            shipping=shipping,
            status="pending" if payment.delayed else "succeeded",
        )
        sb.store.charges[charge.id] = charge
        pi.charge_id = charge.id
        session.customer = payment.customer
        session.status = "complete"
        promotions.redeem(sb, session)
        if payment.delayed:
            pi.status = "processing"
            sb.emit("charge.pending", sb.render.charge(charge))
            sb.emit("payment_intent.processing", sb.render.payment_intent(pi))
        else:
            _succeed(sb, session, pi, charge)
        sb.emit("checkout.session.completed", sb.render.session(session))
        return session


def locate_tax(sb: Sandbox, session: Session, country: str | None, state: str | None) -> None:
    """Compute the session's automatic tax for this address (nothing if tax is off)."""
    if session.automatic_tax:
        session.tax_region = ((country or "").upper(), (state or "").upper() or None)
    promotions.refresh_amounts(sb, session)


def _payment_intent(sb: Sandbox, session: Session) -> PaymentIntent:
    if session.payment_intent_id is not None:
        return sb.store.payment_intents[session.payment_intent_id]
    pi_id = new_id("pi_3")
    pi = PaymentIntent(
        id=pi_id,
        created=sb.store.timestamp(),
        amount=session.amount_total,
        currency=session.currency,
        session_id=session.id,
        metadata=dict(session.payment_intent_metadata),
        client_secret=f"{pi_id}_secret_{new_id('', 25)}",
    )
    sb.store.payment_intents[pi.id] = pi
    session.payment_intent_id = pi.id
    sb.emit("payment_intent.created", sb.render.payment_intent(pi))
    return pi


def _succeed(sb: Sandbox, session: Session, pi: PaymentIntent, charge: Charge) -> None:
    charge.status = "succeeded"
    pi.status = "succeeded"
    pi.amount_received = pi.amount
    session.payment_status = "paid"
    sb.emit("charge.succeeded", sb.render.charge(charge))
    sb.emit("payment_intent.succeeded", sb.render.payment_intent(pi))


def settle_delayed(sb: Sandbox, session_id: str, outcome: str) -> Session:
    """Finish a delayed payment: "succeeded" marks the session paid, "failed" does not."""
    with sb.store.lock:
        session = find_session(sb, session_id)
        pi = sb.store.payment_intents.get(session.payment_intent_id or "")
        if session.status != "complete" or pi is None or pi.status != "processing":
            raise StripeError("This Checkout Session has no delayed payment waiting.")
        charge = sb.store.charges[pi.charge_id or ""]
        if outcome == "succeeded":
            _succeed(sb, session, pi, charge)
            sb.emit("checkout.session.async_payment_succeeded", sb.render.session(session))
        elif outcome == "failed":
            charge.status = "failed"
            pi.status = "requires_payment_method"
            pi.last_error = {
                "type": "invalid_request_error",
                "code": "payment_method_provider_decline",
                "message": "The payment was declined by the customer's bank.",
            }
            sb.emit("charge.failed", sb.render.charge(charge))
            sb.emit("payment_intent.payment_failed", sb.render.payment_intent(pi))
            sb.emit("checkout.session.async_payment_failed", sb.render.session(session))
        else:
            raise ParamError('outcome must be "succeeded" or "failed"', param="outcome")
        return session


def create_refund(sb: Sandbox, params: dict[str, Any], origin: Origin) -> Refund:
    """Refund all or part of what is left on a PaymentIntent's (or charge's) charge."""
    with sb.store.lock:
        charge = _refundable_charge(sb, params)
        left = charge.amount - charge.amount_refunded
        if left <= 0:
            raise StripeError(
                f"Charge {charge.id} has already been refunded.",
                param="payment_intent" if "payment_intent" in params else "charge",
                code="charge_already_refunded",
            )
        amount = params.get("amount", left)
        if amount < 1:
            raise ParamError("This value must be greater than or equal to 1.", param="amount")
        if amount > left:
            raise StripeError(
                f"Refund amount ({format_amount(amount, charge.currency)}) is greater than "
                f"unrefunded amount on charge ({format_amount(left, charge.currency)})",
                param="amount",
                code="amount_too_large",
            )
        if "currency" in params and str(params["currency"]).lower() != charge.currency:
            raise ParamError("The refund currency must match the charge's.", param="currency")
        refund = Refund(
            id=new_id("re_3"),
            created=sb.store.timestamp(),
            amount=amount,
            currency=charge.currency,
            charge_id=charge.id,
            payment_intent_id=charge.payment_intent_id,
            payment_method_id=charge.payment_method_id,
            reason=params.get("reason"),
            metadata=check_metadata(params.get("metadata"), "metadata"),
            status=sb.store.refund_status,
        )
        sb.store.refunds[refund.id] = refund
        previous = {
            "amount_refunded": charge.amount_refunded,
            "refunded": charge.amount_refunded >= charge.amount,
        }
        charge.amount_refunded += amount
        charge.refund_ids.append(refund.id)
        sb.emit("charge.refunded", sb.render.charge(charge), origin, previous)
        sb.emit("refund.created", sb.render.refund(refund), origin)
        return refund


def _refundable_charge(sb: Sandbox, params: dict[str, Any]) -> Charge:
    if "payment_intent" in params:
        pi = sb.store.payment_intents.get(params["payment_intent"])
        if pi is None:
            raise missing("payment_intent", params["payment_intent"], "payment_intent", status=400)
        if pi.status != "succeeded" or pi.charge_id is None:
            raise StripeError(
                f"This PaymentIntent ({pi.id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        return sb.store.charges[pi.charge_id]
    if "charge" in params:
        charge = sb.store.charges.get(params["charge"])
        if charge is None:
            raise missing("charge", params["charge"], "charge", status=400)
        if charge.status != "succeeded":
            raise StripeError(
                f"Charge {charge.id} cannot be refunded.",
                param="charge",
                code="charge_not_refundable",
            )
        return charge
    raise ParamError("One of `charge` or `payment_intent` is required.", param="payment_intent")


def settle_refund(sb: Sandbox, refund_id: str, status: str) -> Refund:
    """Move a pending refund to "succeeded" or "failed" (which gives the money back)."""
    with sb.store.lock:
        refund = sb.store.refunds.get(refund_id)
        if refund is None:
            raise missing("refund", refund_id, "refund")
        if refund.status != "pending":
            raise StripeError(f"Refund {refund_id} is {refund.status}, not pending.")
        if status not in ("succeeded", "failed"):
            raise ParamError('status must be "succeeded" or "failed"', param="status")
        refund.status = status
        charge = sb.store.charges[refund.charge_id]
        if status == "failed":
            refund.failure_reason = "declined"
            charge.amount_refunded -= refund.amount
        previous = {"status": "pending"}
        sb.emit("refund.updated", sb.render.refund(refund), previous=previous)
        sb.emit("charge.refund.updated", sb.render.refund(refund), previous=previous)
        if status == "failed":
            sb.emit("refund.failed", sb.render.refund(refund))
        return refund
