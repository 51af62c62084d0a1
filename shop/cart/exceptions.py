"""Errors raised by the cart."""

from __future__ import annotations

from shop.core.errors import DomainError, NotFound


class CartError(DomainError):
    """The cart refused a change; the message tells the shopper why and what to do."""


class LineNotFound(CartError, NotFound):
    """The line is not in this cart (gone already, or another shopper's)."""


class CodeRefused(CartError):
    """A promotion code that does not apply to this cart; the message says why."""
