"""The sandbox's automatic tax table and its rounding."""

from __future__ import annotations

import pytest

from stripe_sandbox.tax import rate_for, tax_for


@pytest.mark.parametrize(
    ("country", "state", "percent", "place"),
    [
        ("US", "CA", "7.25%", "California"),
        ("US", "ny", "4%", "New York"),
        ("US", "TX", "6.25%", "Texas"),
        ("US", "WA", "6.5%", "Washington"),
        ("US", "IL", "6.25%", "Illinois"),
        ("US", "FL", "6%", "Florida"),
        ("US", "NJ", "6.625%", "New Jersey"),
        ("US", "OR", "0%", "Oregon"),
        ("US", "DE", "0%", "Delaware"),
        ("US", "MT", "0%", "Montana"),
        ("US", "NH", "0%", "New Hampshire"),
        ("US", "AK", "0%", "Alaska"),
        ("US", "KS", "5%", "KS"),  # not in the table: the US default
        ("US", None, "5%", "US"),
        ("CA", "ON", "13%", "Ontario"),
        ("CA", "QC", "14.975%", "Quebec"),
        ("CA", "BC", "12%", "British Columbia"),
        ("CA", "AB", "5%", "Alberta"),
        ("ca", "ns", "14%", "Nova Scotia"),
        ("CA", "", "5%", "CA"),
        ("FR", "75", "0%", "75"),
        ("GB", None, "0%", "GB"),
    ],
)
def test_rate_table(country: str, state: str | None, percent: str, place: str) -> None:
    rate = rate_for(country, state)

    assert rate.percent == percent
    assert rate.place == place


@pytest.mark.parametrize(
    ("country", "state", "taxable", "tax"),
    [
        ("US", "CA", 5695, 413),  # 412.8875 rounds up
        ("US", "CA", 1000, 73),  # 72.5: half rounds up
        ("US", "NY", 6700, 268),
        ("US", "OR", 6700, 0),
        ("CA", "QC", 1000, 150),  # 149.75
        ("CA", "QC", 2000, 300),  # 299.5: half rounds up
        ("CA", "ON", 4999, 650),  # 649.87
        ("FR", None, 6700, 0),
        ("US", "CA", 0, 0),
    ],
)
def test_tax_is_rounded_half_up(country: str, state: str | None, taxable: int, tax: int) -> None:
    assert tax_for(country, state, taxable) == tax
