"""The sandbox's memory: sessions, payments, refunds, events, requests; one lock guards it.

Everything here is plain data. `Store.lock` is re-entrant so an API view can hold it around
"check the idempotency key, run the operation, remember the answer" while the operation
takes it again. Webhook delivery never runs under it (see `webhooks.py`).
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """Return a random Stripe-like id such as `cs_test_a1...` or `pi_3...`."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass
class Address:
    """A postal address, as Stripe's `address` object."""

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "city": self.city,
            "country": self.country,
            "line1": self.line1,
            "line2": self.line2,
            "postal_code": self.postal_code,
            "state": self.state,
        }


@dataclass
class Customer:
    """What the customer typed on the pay page (or the control API said)."""

    email: str
    name: str
    address: Address
    phone: str | None = None


@dataclass
class LineItem:
    id: str
    name: str
    currency: str
    unit_amount: int
    quantity: int
    price_id: str
    product_id: str
    created: int
    tax_behavior: str = "unspecified"
    tax_code: str | None = None

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity


@dataclass
class ShippingOption:
    rate_id: str
    display_name: str
    amount: int
    currency: str
    delivery_estimate: dict[str, Any] | None = None


@dataclass
class Coupon:
    """A coupon: a percentage (may have decimals) or an amount off in one currency."""

    id: str
    created: int
    percent_off: float | None
    amount_off: int | None
    currency: str | None
    duration: str = "once"
    name: str | None = None
    max_redemptions: int | None = None
    redeem_by: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    times_redeemed: int = 0
    deleted: bool = False


@dataclass
class PromotionCode:
    """A customer-facing code for a coupon, with its own limits."""

    id: str
    created: int
    code: str
    coupon_id: str
    active: bool = True
    max_redemptions: int | None = None
    expires_at: int | None = None
    minimum_amount: int | None = None
    minimum_amount_currency: str | None = None
    first_time_transaction: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    times_redeemed: int = 0


@dataclass
class Session:
    id: str
    created: int
    expires_at: int
    mode: str
    currency: str
    line_items: list[LineItem]
    shipping_options: list[ShippingOption]
    allowed_countries: list[str] | None
    success_url: str | None
    cancel_url: str | None
    customer_email: str | None = None
    client_reference_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    payment_intent_metadata: dict[str, str] = field(default_factory=dict)
    payment_method_types: list[str] = field(default_factory=lambda: ["card"])
    locale: str | None = None
    submit_type: str | None = None
    status: str = "open"
    payment_status: str = "unpaid"
    shipping_choice: int = 0
    customer: Customer | None = None
    payment_intent_id: str | None = None
    allow_promotion_codes: bool | None = None
    # The discount: a coupon, given directly or through a promotion code (set by `promotions`).
    coupon_id: str | None = None
    promotion_code_id: str | None = None
    amount_discount: int = 0
    automatic_tax: bool = False
    # Where tax was computed for ((country, state) the customer entered) and the rate found.
    tax_region: tuple[str, str | None] | None = None
    amount_tax: int = 0

    @property
    def amount_subtotal(self) -> int:
        return sum(item.amount for item in self.line_items)

    @property
    def shipping(self) -> ShippingOption | None:
        if not self.shipping_options:
            return None
        return self.shipping_options[self.shipping_choice]

    @property
    def amount_total(self) -> int:
        shipping = self.shipping
        return (
            self.amount_subtotal
            - self.amount_discount
            + (shipping.amount if shipping else 0)
            + self.amount_tax
        )


@dataclass
class Card:
    number: str
    exp_month: int
    exp_year: int
    brand: str = "visa"

    @property
    def last4(self) -> str:
        return self.number[-4:]


@dataclass
class PaymentIntent:
    id: str
    created: int
    amount: int
    currency: str
    session_id: str | None
    metadata: dict[str, str]
    status: str = "requires_payment_method"
    amount_received: int = 0
    charge_id: str | None = None
    payment_method_id: str | None = None
    last_error: dict[str, Any] | None = None
    client_secret: str = ""


@dataclass
class Charge:
    id: str
    created: int
    amount: int
    currency: str
    payment_intent_id: str
    payment_method_id: str
    card: Card
    billing: Customer
    shipping: Customer | None
    status: str = "succeeded"
    refund_ids: list[str] = field(default_factory=list)
    amount_refunded: int = 0


@dataclass
class Refund:
    id: str
    created: int
    amount: int
    currency: str
    charge_id: str
    payment_intent_id: str
    payment_method_id: str
    reason: str | None
    metadata: dict[str, str]
    status: str = "succeeded"
    failure_reason: str | None = None


@dataclass
class Event:
    id: str
    type: str
    created: int
    body: dict[str, Any]
    payload: bytes
    deliver: bool


@dataclass
class Origin:
    """Which API request caused a change (for `event.request`); both None for the UI."""

    request_id: str | None = None
    idempotency_key: str | None = None


@dataclass
class Fault:
    """The next `count` API requests matching method and path glob fail this way."""

    method: str
    path: str
    mode: str
    count: int
    seconds: float
    stage: str


@dataclass
class Replay:
    """A remembered answer to an idempotent request."""

    fingerprint: tuple[str, str, str]
    status: int
    body: dict[str, Any]
    created: float
    request_id: str


class Store:
    """All sandbox state, guarded by one re-entrant lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget everything."""
        with self.lock:
            self.sessions: dict[str, Session] = {}
            self.coupons: dict[str, Coupon] = {}
            self.promotion_codes: dict[str, PromotionCode] = {}
            self.payment_intents: dict[str, PaymentIntent] = {}
            self.charges: dict[str, Charge] = {}
            self.refunds: dict[str, Refund] = {}
            self.events: dict[str, Event] = {}
            self.idempotency: dict[str, Replay] = {}
            self.requests: list[dict[str, Any]] = []
            self.faults: list[Fault] = []
            self.clock_offset = 0.0
            self.refund_status = "succeeded"

    def now(self) -> float:
        """Return the sandbox's clock (real time plus any offset a test moved it by)."""
        return time.time() + self.clock_offset

    def timestamp(self) -> int:
        return int(self.now())

    def take_fault(self, method: str, path: str) -> Fault | None:
        """Return the first fault that matches the request, using up one of its count."""
        with self.lock:
            for fault in self.faults:
                if fault.method in ("*", method) and fnmatchcase(path, fault.path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None
