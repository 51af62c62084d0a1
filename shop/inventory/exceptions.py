"""Errors raised by stock services."""

from __future__ import annotations

from shop.core.errors import DomainError


class StockError(DomainError):
    """A stock change would make stock negative or below what checkouts hold."""
