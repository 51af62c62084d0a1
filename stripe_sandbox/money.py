"""Format minor units for the pay page and error messages (2450, "usd" -> "$24.50")."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision, is_currency

# Stripe's minimum charge per currency (minor units), for the ones a shop is likely to use.
MINIMUM_CHARGE = {"usd": 50, "cad": 50, "aud": 50, "eur": 50, "gbp": 30, "chf": 50, "jpy": 50}


def known_currency(code: str) -> bool:
    """Return whether `code` is an ISO 4217 currency."""
    return len(code) == 3 and code.isalpha() and bool(is_currency(code.upper()))


def format_amount(amount: int, currency: str) -> str:
    """Return the amount formatted for people, in English."""
    code = currency.upper()
    if not known_currency(currency):
        return f"{amount} {currency}"
    major = Decimal(amount).scaleb(-int(get_currency_precision(code)))
    return str(format_currency(major, code, locale="en_US"))
