"""Stripe product tax codes: what one looks like, and the shop's default for products without one.

A product's `tax_code` tells Stripe Tax what kind of goods it is (skincare, a general tangible
good...); None means the shop's default, `SHOP_DEFAULT_TAX_CODE`. Stripe's codes are `txcd_`
and eight digits (https://docs.stripe.com/tax/tax-codes).
"""

from __future__ import annotations

import re

from flask import current_app

TAX_CODE_RE = re.compile(r"txcd_[0-9]{8}")  # not \d, which also matches other scripts' digits
FALLBACK_DEFAULT = "txcd_99999999"  # Stripe's "General - Tangible Goods"
TAX_CODE_EXAMPLE = "txcd_99999999"


def is_tax_code(value: str) -> bool:
    """Whether `value` has the shape of a Stripe product tax code."""
    return TAX_CODE_RE.fullmatch(value) is not None


def default_tax_code() -> str:
    """The tax code Stripe is given for a product that has none of its own."""
    return str(current_app.config.get("SHOP_DEFAULT_TAX_CODE") or FALLBACK_DEFAULT)
