"""Buying through the live shop and the sandbox, with Stripe's answer held, for the settle tests.

The sandbox's webhooks are held: a test reads the `checkout.session.completed` event Stripe
would send, may change what Stripe reports in it (a discount, the tax), and posts it signed
as Stripe signs it. Values are read in transactions that end at once (SQLite's lock).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import stripe
from flask_sqlalchemy import SQLAlchemy

from shop.orders.models import Order, OrderStatus
from tests.fixtures_live import Shopper
from tests.fixtures_staff import PASSWORD
from tests.fixtures_stripe import StripeSandbox

FRED = "fred@example.com"
# Where the sandbox's customer ships to: a US state, so Stripe Tax would charge tax.
US_ADDRESS = {
    "line1": "1 Market Street",
    "city": "San Francisco",
    "state": "CA",
    "postal_code": "94105",
    "country": "US",
}


@dataclass(frozen=True)
class OrderFigures:
    id: int
    number: str
    status: OrderStatus
    subtotal: int
    discount: int
    shipping: int
    tax: int
    total: int
    amount_paid: int | None
    promotion_code: str | None
    promotion_id: int | None
    review_reason: str | None


def order_figures(db: SQLAlchemy) -> OrderFigures:
    """The one order's figures, as plain values."""
    db.session.expire_all()
    o = db.session.scalars(sa.select(Order)).one()
    found = OrderFigures(
        o.id,
        o.number or "",
        o.status,
        o.subtotal,
        o.discount,
        o.shipping,
        o.tax,
        o.total,
        o.amount_paid,
        o.promotion_code,
        o.promotion_id,
        o.review_reason,
    )
    db.session.rollback()
    return found


def start(shopper: Shopper, slug: str, sku: str, quantity: int = 1) -> str:
    """Put `quantity` of `sku` in the cart and check out; return the session id."""
    assert shopper.add(slug, sku, quantity).status_code == 303
    response = shopper.checkout()
    assert response.status_code == 303, response.text
    return str(response.headers["Location"]).rstrip("/").rsplit("/", 1)[-1]


def created_session_params(stripe_sandbox: StripeSandbox) -> dict[str, Any]:
    """What the shop sent to create the (one) Checkout Session."""
    [sent] = stripe_sandbox.requests(path="/v1/checkout/sessions", method="POST")
    params: dict[str, Any] = sent["params"]
    return params


def pay_and_hold(stripe_sandbox: StripeSandbox, session_id: str, **pay: Any) -> dict[str, Any]:
    """Pay the session with webhooks held; return the completed event Stripe would send."""
    stripe_sandbox.webhooks(mode="hold")
    stripe_sandbox.pay(session_id, email="buyer@example.com", address=US_ADDRESS, **pay)
    [completed] = stripe_sandbox.events("checkout.session.completed")
    event: dict[str, Any] = completed["event"]
    return event


def post_signed(shopper: Shopper, stripe_sandbox: StripeSandbox, event: dict[str, Any]) -> int:
    """Deliver `event` to the shop's webhook, signed as Stripe signs it; return the status."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, stripe_sandbox.webhook_secret
    )
    response = shopper.http.post(
        shopper.base + "/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )
    return response.status_code


def charge_extra(
    event: dict[str, Any], *, tax: int = 0, discount: int = 0, promotion_code: str | None = None
) -> dict[str, Any]:
    """Make the completed session report Stripe Tax's `tax` and a `discount` off its total."""
    session = event["data"]["object"]
    totals = session["total_details"]
    if tax:
        session["automatic_tax"] = {
            **session["automatic_tax"],
            "enabled": True,
            "status": "complete",
        }
        totals["amount_tax"] = totals.get("amount_tax", 0) + tax
    if discount:
        totals["amount_discount"] = totals.get("amount_discount", 0) + discount
    if promotion_code:
        session["discounts"] = [{"coupon": None, "promotion_code": promotion_code}]
    session["amount_total"] += tax - discount
    return event


def staff_signed_in(base: str) -> Shopper:
    """Fred of fulfilment, signed in to the admin over HTTP (make the account first)."""
    staff = Shopper(base)
    signed = staff.http.post(
        staff.base + "/admin/login",
        data={"csrf_token": staff.token("/admin/login"), "email": FRED, "password": PASSWORD},
        allow_redirects=False,
    )
    assert signed.status_code == 303
    return staff
