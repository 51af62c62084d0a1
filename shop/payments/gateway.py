"""The one `stripe.StripeClient`, built from config, wrapped in typed calls.

`STRIPE_API_BASE` is the only seam: tests and `make run` point it at the local sandbox;
unset, the same calls go to Stripe. Every call turns `stripe.StripeError` into
`PaymentError` / `PaymentUnavailable`, and every answer into a plain dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import stripe
from flask import Flask, current_app

from shop.payments.exceptions import PaymentError, PaymentUnavailable
from shop.payments.installation import idempotency_key as installation_key

EXTENSION_KEY = "shop.payments"


@dataclass(frozen=True)
class LineItem:
    name: str
    unit_amount: int
    quantity: int
    # Stripe's product tax code ("txcd_99999999"); sent only when automatic tax is on.
    tax_code: str | None = None


@dataclass(frozen=True)
class ShippingOption:
    name: str
    amount: int


@dataclass(frozen=True)
class CheckoutRequest:
    """Everything a Checkout Session is made from; amounts in minor units.

    `idempotency_key` names the attempt within this installation; the gateway puts the
    installation's own prefix in front of it (as of every key it sends).
    """

    idempotency_key: str
    currency: str
    lines: list[LineItem]
    shipping_options: list[ShippingOption]
    allowed_countries: list[str]
    success_url: str
    cancel_url: str
    expires_at: datetime
    client_reference_id: str
    metadata: dict[str, str]
    customer_email: str | None = None
    # Stripe Tax computes sales tax from the address; prices are then tax-exclusive.
    automatic_tax: bool = False
    # A code applied in the shop's cart (Stripe's `promo_...` id), sent as the session's
    # discount; without one, the customer may type a code on Stripe's page instead.
    promotion_code_id: str | None = None


@dataclass(frozen=True)
class CheckoutSession:
    """What the shop needs to know about a Checkout Session."""

    id: str
    url: str | None
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    amount_total: int | None
    amount_subtotal: int | None
    currency: str | None
    client_reference_id: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    customer_email: str | None = None
    customer_name: str | None = None
    shipping_name: str | None = None
    shipping_address: dict[str, Any] | None = None
    shipping_amount: int | None = None
    payment_intent_id: str | None = None
    expires_at: int | None = None
    # Stripe's `total_details`, and whether it computed the tax itself.
    amount_discount: int = 0
    amount_tax: int = 0
    automatic_tax: bool = False
    # The promotion code (`promo_...`) Stripe applied, typed in the cart or on its page.
    promotion_code_id: str | None = None

    @property
    def paid(self) -> bool:
        return self.status == "complete" and self.payment_status in ("paid", "no_payment_required")


@dataclass(frozen=True)
class Refund:
    id: str
    status: str
    amount: int
    currency: str
    payment_intent_id: str | None


@dataclass(frozen=True)
class Coupon:
    """A Stripe coupon: what a promotion code takes off."""

    id: str
    percent_off: int | None
    amount_off: int | None
    currency: str | None
    name: str | None


@dataclass(frozen=True)
class PromotionCode:
    """A Stripe promotion code: the customer-facing code for a coupon, with its limits."""

    id: str
    code: str
    coupon_id: str
    active: bool
    max_redemptions: int | None
    expires_at: int | None
    minimum_amount: int | None
    minimum_amount_currency: str | None
    times_redeemed: int = 0
    metadata: dict[str, str] = field(default_factory=dict)


def _coupon_from(data: dict[str, Any]) -> Coupon:
    percent = data.get("percent_off")
    return Coupon(
        id=data["id"],
        percent_off=int(percent) if percent is not None else None,
        amount_off=data.get("amount_off"),
        currency=(data.get("currency") or "").upper() or None,
        name=data.get("name"),
    )


def _promotion_code_from(data: dict[str, Any]) -> PromotionCode:
    coupon = data.get("coupon")
    if coupon is None:  # Stripe's newer shape: promotion[coupon]
        coupon = (data.get("promotion") or {}).get("coupon")
    if isinstance(coupon, dict):
        coupon = coupon.get("id")
    restrictions = data.get("restrictions") or {}
    return PromotionCode(
        id=data["id"],
        code=data.get("code") or "",
        coupon_id=str(coupon or ""),
        active=bool(data.get("active")),
        max_redemptions=data.get("max_redemptions"),
        expires_at=data.get("expires_at"),
        minimum_amount=restrictions.get("minimum_amount"),
        minimum_amount_currency=(restrictions.get("minimum_amount_currency") or "").upper() or None,
        times_redeemed=int(data.get("times_redeemed") or 0),
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
    )


def _session_from(data: dict[str, Any]) -> CheckoutSession:
    details = data.get("customer_details") or {}
    collected = data.get("collected_information") or {}
    shipping = collected.get("shipping_details") or data.get("shipping_details") or {}
    cost = data.get("shipping_cost") or {}
    intent = data.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    totals = data.get("total_details") or {}
    promotion_code = next(
        (d.get("promotion_code") for d in data.get("discounts") or [] if d.get("promotion_code")),
        None,
    )
    if isinstance(promotion_code, dict):
        promotion_code = promotion_code.get("id")
    return CheckoutSession(
        id=data["id"],
        url=data.get("url"),
        status=data.get("status") or "open",
        payment_status=data.get("payment_status") or "unpaid",
        amount_total=data.get("amount_total"),
        amount_subtotal=data.get("amount_subtotal"),
        currency=(data.get("currency") or "").upper() or None,
        client_reference_id=data.get("client_reference_id"),
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        customer_email=details.get("email") or data.get("customer_email"),
        customer_name=details.get("name"),
        shipping_name=shipping.get("name"),
        shipping_address=shipping.get("address"),
        shipping_amount=cost.get("amount_total"),
        payment_intent_id=intent,
        expires_at=data.get("expires_at"),
        amount_discount=int(totals.get("amount_discount") or 0),
        amount_tax=int(totals.get("amount_tax") or 0),
        automatic_tax=bool((data.get("automatic_tax") or {}).get("enabled")),
        promotion_code_id=promotion_code,
    )


def session_from_event_object(data: dict[str, Any]) -> CheckoutSession:
    """Read a Checkout Session out of a webhook event's `data.object`."""
    return _session_from(data)


def _translate(exc: stripe.StripeError) -> PaymentError:
    said = {"stripe_message": str(exc.user_message or exc), "request_id": exc.request_id}
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
        isinstance(exc, stripe.APIError) and not isinstance(exc, stripe.InvalidRequestError)
    ):
        return PaymentUnavailable(
            "Our payment provider is not answering right now; please try again in a minute.",
            **said,
        )
    if isinstance(exc, stripe.AuthenticationError):
        return PaymentUnavailable("Payments are misconfigured; the shop has been told.", **said)
    message = getattr(exc, "user_message", None) or str(exc) or "The payment was refused."
    return PaymentError(message, **said)


def _line_item(line: LineItem, request: CheckoutRequest) -> dict[str, Any]:
    product: dict[str, Any] = {"name": line.name}
    price: dict[str, Any] = {
        "currency": request.currency.lower(),
        "unit_amount": line.unit_amount,
        "product_data": product,
    }
    if request.automatic_tax:
        price["tax_behavior"] = "exclusive"
        if line.tax_code:
            product["tax_code"] = line.tax_code
    return {"price_data": price, "quantity": line.quantity}


class PaymentGateway:
    """Typed calls to Stripe through one `StripeClient`."""

    def __init__(self, client: stripe.StripeClient) -> None:
        self._client = client

    def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        """Create a hosted Checkout Session; the idempotency key makes a retry return the same."""
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [_line_item(line, request) for line in request.lines],
            "client_reference_id": request.client_reference_id,
            "metadata": request.metadata,
            "payment_intent_data": {"metadata": request.metadata},
            "shipping_address_collection": {"allowed_countries": request.allowed_countries},
            "shipping_options": [
                {
                    "shipping_rate_data": {
                        "display_name": option.name,
                        "type": "fixed_amount",
                        "fixed_amount": {
                            "amount": option.amount,
                            "currency": request.currency.lower(),
                        },
                    }
                }
                for option in request.shipping_options
            ],
            "expires_at": int(request.expires_at.timestamp()),
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        if request.automatic_tax:
            params["automatic_tax"] = {"enabled": True}
        # Stripe takes one or the other: the cart's code, or a field on its own page.
        if request.promotion_code_id:
            params["discounts"] = [{"promotion_code": request.promotion_code_id}]
        else:
            params["allow_promotion_codes"] = True
        try:
            session = self._client.v1.checkout.sessions.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": installation_key(request.idempotency_key)},
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return _session_from(session.to_dict())

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        """Ask Stripe for a session's current state."""
        try:
            session = self._client.v1.checkout.sessions.retrieve(session_id)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return _session_from(session.to_dict())

    def expire_checkout_session(self, session_id: str) -> CheckoutSession:
        """Close an open session so it can no longer be paid; returns its state either way."""
        key = installation_key("expire", session_id)
        try:
            session = self._client.v1.checkout.sessions.expire(
                session_id, options={"idempotency_key": key}
            )
        except stripe.InvalidRequestError:
            # Already complete or expired: report what it is now.
            return self.retrieve_checkout_session(session_id)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return _session_from(session.to_dict())

    def create_refund(
        self, payment_intent_id: str, amount: int, reason: str | None, idempotency_key: str
    ) -> Refund:
        """Refund part or all of a payment (`idempotency_key` gets this installation's prefix)."""
        params: dict[str, Any] = {"payment_intent": payment_intent_id, "amount": amount}
        if reason:
            params["reason"] = reason
        try:
            refund = self._client.v1.refunds.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": installation_key(idempotency_key)},
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        data = refund.to_dict()
        return Refund(
            id=data["id"],
            status=data.get("status") or "pending",
            amount=int(data.get("amount") or 0),
            currency=(data.get("currency") or "").upper(),
            payment_intent_id=data.get("payment_intent"),
        )

    def create_coupon(
        self,
        *,
        percent_off: int | None = None,
        amount_off: int | None = None,
        currency: str | None = None,
        name: str,
        idempotency_key: str,
    ) -> Coupon:
        """Create a one-time coupon: `percent_off`, or `amount_off` minor units of `currency`."""
        params: dict[str, Any] = {"duration": "once", "name": name[:40]}
        if percent_off is not None:
            params["percent_off"] = percent_off
        else:
            params["amount_off"] = amount_off
            params["currency"] = (currency or "").lower()
        try:
            coupon = self._client.v1.coupons.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": installation_key(idempotency_key)},
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return _coupon_from(coupon.to_dict())

    def create_promotion_code(
        self,
        *,
        coupon_id: str,
        code: str,
        max_redemptions: int | None = None,
        expires_at: datetime | None = None,
        minimum_amount: int | None = None,
        currency: str | None = None,
        first_time_transaction: bool = False,
        metadata: dict[str, str] | None = None,
        idempotency_key: str,
    ) -> PromotionCode:
        """Create the customer-facing `code` for a coupon, with Stripe enforcing its limits.

        `first_time_transaction` is Stripe's "customer has never paid before", which is not
        the shop's "once per customer"; it is sent only when asked for.
        """
        # The API version stripe-python 16 pins names the coupon inside `promotion`.
        params: dict[str, Any] = {
            "promotion": {"type": "coupon", "coupon": coupon_id},
            "code": code,
        }
        if max_redemptions is not None:
            params["max_redemptions"] = max_redemptions
        if expires_at is not None:
            params["expires_at"] = int(expires_at.timestamp())
        restrictions: dict[str, Any] = {}
        if minimum_amount:
            restrictions["minimum_amount"] = minimum_amount
            restrictions["minimum_amount_currency"] = (currency or "").lower()
        if first_time_transaction:
            restrictions["first_time_transaction"] = True
        if restrictions:
            params["restrictions"] = restrictions
        if metadata:
            params["metadata"] = metadata
        try:
            promotion_code = self._client.v1.promotion_codes.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": installation_key(idempotency_key)},
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return _promotion_code_from(promotion_code.to_dict())

    def deactivate_promotion_code(self, promotion_code_id: str) -> PromotionCode:
        """Stop a promotion code from being redeemed (Stripe keeps it, inactive)."""
        key = installation_key("deactivate", promotion_code_id)
        try:
            promotion_code = self._client.v1.promotion_codes.update(
                promotion_code_id, {"active": False}, {"idempotency_key": key}
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return _promotion_code_from(promotion_code.to_dict())

    def retrieve_promotion_code(self, promotion_code_id: str) -> PromotionCode | None:
        """Ask Stripe for a promotion code; None when Stripe does not know it."""
        try:
            promotion_code = self._client.v1.promotion_codes.retrieve(promotion_code_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return None
            raise _translate(exc) from exc
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return _promotion_code_from(promotion_code.to_dict())


def build_client(config: dict[str, Any]) -> stripe.StripeClient:
    """Build the shop's one StripeClient from its settings."""
    key = config.get("STRIPE_SECRET_KEY") or "sk_test_not_configured"
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        key,
        base_addresses={"api": base} if base else None,
        max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", 2)),
        http_client=stripe.RequestsClient(timeout=float(config.get("STRIPE_TIMEOUT", 20))),
    )


def init_payments(app: Flask) -> None:
    """Create the gateway for this app (once) and keep it in `app.extensions`."""
    stripe.enable_telemetry = False
    app.extensions[EXTENSION_KEY] = PaymentGateway(build_client(app.config))


def gateway() -> PaymentGateway:
    """Return the current app's payment gateway."""
    found: PaymentGateway = current_app.extensions[EXTENSION_KEY]
    return found
