"""The shop's payment errors: what crosses the boundary instead of Stripe's."""

from __future__ import annotations

from shop.core.errors import DomainError


class PaymentError(DomainError):
    """Stripe refused the request (bad parameters, a refund too large, ...).

    `message` is safe to show; `stripe_message` and `request_id` are Stripe's own words and
    request id, for the staff's log (Stripe's dashboard finds the request by that id).
    """

    def __init__(
        self, message: str, *, stripe_message: str | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.stripe_message = stripe_message
        self.request_id = request_id


class PaymentUnavailable(PaymentError):
    """Stripe could not be reached or failed (timeout, 5xx); trying later may work."""


class WebhookRejected(DomainError):
    """A webhook's signature is missing, forged or stale, or its body is not an event."""


class RefundRefused(DomainError):
    """A staff refund the shop will not ask Stripe for; `field` names the form field at fault."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
