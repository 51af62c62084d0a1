"""Money is an integer of minor units plus an ISO 4217 currency, as Stripe counts it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision


class MoneyError(ValueError):
    """Raised when a text cannot be read as an amount of money."""


def minor_unit_exponent(currency: str) -> int:
    """Return how many decimal places the currency uses (2 for USD, 0 for JPY)."""
    return int(get_currency_precision(currency.upper()))


def to_decimal(amount: int, currency: str) -> Decimal:
    """Turn minor units into a Decimal of major units (2450 USD -> 24.50)."""
    return Decimal(amount).scaleb(-minor_unit_exponent(currency))


def format_major(amount: int, currency: str) -> str:
    """Format minor units as a plain major-unit number for files and forms ("24.50")."""
    exponent = minor_unit_exponent(currency)
    return f"{to_decimal(amount, currency):.{exponent}f}"


def parse_major(text: str, currency: str, *, allow_negative: bool = False) -> int:
    """Read a major-unit amount ("24.5", "24.50", "$24.50" is refused) into minor units."""
    cleaned = text.strip().replace(",", "") if text else ""
    if not cleaned:
        raise MoneyError("is empty")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise MoneyError(f"{text!r} is not a number") from exc
    if not value.is_finite():
        raise MoneyError(f"{text!r} is not a number")
    if value < 0 and not allow_negative:
        raise MoneyError(f"{text!r} is negative")
    exponent = minor_unit_exponent(currency)
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise MoneyError(f"{text!r} has more than {exponent} decimal places for {currency}")
    if abs(minor) >= 10**12:
        raise MoneyError(f"{text!r} is too large")
    return int(minor)


def format_money(amount: int, currency: str, locale: str = "en_US") -> str:
    """Format minor units for people: 2450, "USD" -> "$24.50"."""
    return str(format_currency(to_decimal(amount, currency), currency.upper(), locale=locale))
