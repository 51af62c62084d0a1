"""Errors raised by stock services."""

from __future__ import annotations

from shop.core.errors import DomainError


class StockError(DomainError):
    """A stock change would make stock negative or below what checkouts hold."""


class OutOfStock(StockError):
    """Not enough units of one variant are free to hold for a checkout."""

    def __init__(self, variant_id: int) -> None:
        super().__init__("Not enough stock is left for one of the items.")
        self.variant_id = variant_id
