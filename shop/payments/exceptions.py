"""The shop's payment errors: what crosses the boundary instead of Stripe's."""

from __future__ import annotations

from shop.core.errors import DomainError


class PaymentError(DomainError):
    """Stripe refused the request (bad parameters, a refund too large, ...)."""


class PaymentUnavailable(PaymentError):
    """Stripe could not be reached or failed (timeout, 5xx); trying later may work."""


class WebhookRejected(DomainError):
    """A webhook's signature is missing, forged or stale, or its body is not an event."""
