"""Errors raised by checkout."""

from __future__ import annotations

from shop.core.errors import DomainError


class CheckoutError(DomainError):
    """Checkout could not start; the message tells the customer what to do."""
