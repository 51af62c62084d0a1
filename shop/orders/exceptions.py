"""Errors raised by order services."""

from __future__ import annotations

from shop.core.errors import DomainError


class OrderError(DomainError):
    """An order action was refused."""
