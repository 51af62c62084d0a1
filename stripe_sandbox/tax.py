"""Automatic tax for the sandbox: a small, fixed rate table instead of Stripe Tax.

Stripe Tax works out a rate from the customer's address, the product's tax code and the
merchant's registrations. The sandbox only needs to be predictable, so it looks the
shipping (or billing) address up in this table:

- **United States**, by two-letter state code: the statewide sales tax rate (no local
  taxes): AZ 5.6%, CA 7.25%, CO 2.9%, FL 6%, GA 4%, IL 6.25%, MA 6.25%, MI 6%, NJ 6.625%,
  NY 4%, NC 4.75%, OH 5.75%, PA 6%, TX 6.25%, VA 5.3%, WA 6.5%. States without a sales
  tax (AK, DE, MT, NH, OR) are 0%. Any other state, or none given, is `US_DEFAULT` (5%).
- **Canada**, by province or territory code: the combined GST/HST/PST/QST rate:
  AB 5%, BC 12%, MB 12%, NB 15%, NL 15%, NS 14%, NT 5%, NU 5%, ON 13% (HST), PE 15%,
  QC 14.975%, SK 11%, YT 5%. A province not listed, or none given, is `CA_DEFAULT` (5%, GST).
- **Any other country**: 0% (the sandbox's merchant is not registered there).

Tax is `round half up((subtotal - discount) * rate)` in minor units: the goods after the
discount are taxed, shipping is not (as the shop's model says). Rates are kept in
thousandths of a percent so the sum stays in integers (QC's 14.975% is 14975).
"""

from __future__ import annotations

from dataclasses import dataclass

US_DEFAULT = 5000
CA_DEFAULT = 5000

# Thousandths of a percent: 7250 is 7.25%.
US_STATES: dict[str, int] = {
    "AZ": 5600,
    "CA": 7250,
    "CO": 2900,
    "FL": 6000,
    "GA": 4000,
    "IL": 6250,
    "MA": 6250,
    "MI": 6000,
    "NJ": 6625,
    "NY": 4000,
    "NC": 4750,
    "OH": 5750,
    "PA": 6000,
    "TX": 6250,
    "VA": 5300,
    "WA": 6500,
    "AK": 0,
    "DE": 0,
    "MT": 0,
    "NH": 0,
    "OR": 0,
}
CA_PROVINCES: dict[str, int] = {
    "AB": 5000,
    "BC": 12000,
    "MB": 12000,
    "NB": 15000,
    "NL": 15000,
    "NS": 14000,
    "NT": 5000,
    "NU": 5000,
    "ON": 13000,
    "PE": 15000,
    "QC": 14975,
    "SK": 11000,
    "YT": 5000,
}
REGION_NAMES: dict[str, str] = {
    "AK": "Alaska",
    "AZ": "Arizona",
    "CA": "California",
    "CO": "Colorado",
    "DE": "Delaware",
    "FL": "Florida",
    "GA": "Georgia",
    "IL": "Illinois",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MT": "Montana",
    "NC": "North Carolina",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NY": "New York",
    "OH": "Ohio",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "TX": "Texas",
    "VA": "Virginia",
    "WA": "Washington",
}
PROVINCE_NAMES: dict[str, str] = {
    "AB": "Alberta",
    "BC": "British Columbia",
    "MB": "Manitoba",
    "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador",
    "NS": "Nova Scotia",
    "NT": "Northwest Territories",
    "NU": "Nunavut",
    "ON": "Ontario",
    "PE": "Prince Edward Island",
    "QC": "Quebec",
    "SK": "Saskatchewan",
    "YT": "Yukon",
}


@dataclass(frozen=True)
class TaxRate:
    """The rate found for an address, and how to name where it applies."""

    country: str
    state: str | None
    rate: int  # thousandths of a percent

    @property
    def percent(self) -> str:
        """Return the rate as people write it ("7.25%", "14.975%", "0%")."""
        whole, part = divmod(self.rate, 1000)
        return f"{whole}.{part:03d}".rstrip("0").rstrip(".") + "%"

    @property
    def place(self) -> str:
        """Return the state or province named in full, else the country code."""
        names = {"US": REGION_NAMES, "CA": PROVINCE_NAMES}.get(self.country, {})
        if self.state:
            return names.get(self.state, self.state)
        return self.country

    def tax_on(self, amount: int) -> int:
        """Return the tax on `amount` minor units, rounded half up."""
        return (amount * self.rate + 50_000) // 100_000


def rate_for(country: str | None, state: str | None) -> TaxRate:
    """Return the table's rate for a country and state or province (codes, any case)."""
    country = (country or "").strip().upper()
    region = (state or "").strip().upper() or None
    if country == "US":
        return TaxRate(country, region, US_STATES.get(region or "", US_DEFAULT))
    if country == "CA":
        return TaxRate(country, region, CA_PROVINCES.get(region or "", CA_DEFAULT))
    return TaxRate(country, region, 0)


def tax_for(country: str | None, state: str | None, taxable: int) -> int:
    """Return the tax on `taxable` (goods after the discount) for this address."""
    return rate_for(country, state).tax_on(taxable)
