"""Amounts are integers of minor units; people read and type major units."""

from __future__ import annotations

import pytest

from shop.core.money import MoneyError, format_major, format_money, parse_major


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("24.50", "USD", 2450),
        ("24.5", "USD", 2450),
        ("24", "USD", 2400),
        ("0", "USD", 0),
        ("1,299.00", "USD", 129900),
        ("1500", "JPY", 1500),
    ],
)
def test_parse_major_reads_prices(text: str, currency: str, minor: int) -> None:
    assert parse_major(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("abc", "USD"),
        ("", "USD"),
        ("-1", "USD"),
        ("1.234", "USD"),
        ("10.5", "JPY"),
        ("NaN", "USD"),
        ("Infinity", "USD"),
        ("1e30", "USD"),
    ],
)
def test_parse_major_refuses_what_is_not_a_price(text: str, currency: str) -> None:
    with pytest.raises(MoneyError):
        parse_major(text, currency)


def test_formatting_for_people_and_for_files() -> None:
    assert format_money(2450, "USD") == "$24.50"
    assert format_money(129900, "USD") == "$1,299.00"
    assert format_money(1500, "JPY") == "¥1,500"
    assert format_major(2400, "USD") == "24.00"
    assert format_major(1500, "JPY") == "1500"
