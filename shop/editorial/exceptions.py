"""Errors raised by editorial services."""

from __future__ import annotations

from shop.core.errors import DomainError


class EditorialError(DomainError):
    """An editorial action was refused."""
