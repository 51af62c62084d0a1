"""Parcel tracking: the carriers whose tracking pages the shop knows, and safe links.

A tracking link reaches customers in mail and on their order page, so it is either built
here from a carrier's known address pattern (the number quoted into it), or one staff typed
for another carrier that passed `checked_tracking_url` (https, a host, nothing hidden).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from shop.orders.exceptions import OrderError

CARRIER_MAX = 40
TRACKING_URL_MAX = 500
OTHER_CARRIER = "other"


@dataclass(frozen=True)
class Carrier:
    """A carrier the shop ships with, and where its public tracking page lives."""

    code: str
    name: str
    # `{number}` is replaced by the tracking number, percent-encoded.
    url_pattern: str

    def url_for(self, number: str) -> str:
        """The carrier's tracking page for `number`."""
        return self.url_pattern.format(number=quote(number, safe=""))


CARRIERS: tuple[Carrier, ...] = (
    Carrier("usps", "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
    Carrier("ups", "UPS", "https://www.ups.com/track?tracknum={number}"),
    Carrier("fedex", "FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
    Carrier(
        "dhl",
        "DHL",
        "https://www.dhl.com/global-en/home/tracking/tracking-express.html"
        "?submit=1&tracking-id={number}",
    ),
    Carrier(
        "royal_mail",
        "Royal Mail",
        "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
    ),
    Carrier(
        "canada_post",
        "Canada Post",
        "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}",
    ),
)
_BY_NAME = {carrier.name.casefold(): carrier for carrier in CARRIERS}
_BY_CODE = {carrier.code: carrier for carrier in CARRIERS}


def known_carrier(name_or_code: str | None) -> Carrier | None:
    """The known carrier called `name_or_code` ("UPS", "ups", "royal_mail"), if any."""
    if not name_or_code:
        return None
    key = " ".join(name_or_code.split())
    return _BY_CODE.get(key) or _BY_NAME.get(key.casefold())


def checked_tracking_url(text: str | None) -> str | None:
    """Return a staff-typed tracking link if it is safe to show customers, None if empty.

    Raises `OrderError` for anything but a plain https address with a host: no other
    scheme, no user name or password, no spaces or control characters.
    """
    url = (text or "").strip()
    if not url:
        return None
    if len(url) > TRACKING_URL_MAX:
        raise OrderError(f"Keep the tracking link to {TRACKING_URL_MAX} characters or fewer.")
    refused = OrderError(
        "Enter the tracking link as a full https:// address without spaces, or leave it empty."
    )
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        raise refused
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if (
        parts is None
        or not port_ok
        or parts.scheme.lower() != "https"
        or not parts.hostname
        or "." not in parts.hostname
        or parts.username is not None
        or parts.password is not None
    ):
        raise refused
    return url


def tracking_link(carrier: str | None, number: str | None, url: str | None) -> str | None:
    """The link customers follow for a parcel: the known carrier's page, else a checked
    staff link, else None (the number is then shown alone)."""
    if not number:
        return None
    known = known_carrier(carrier)
    if known is not None:
        return known.url_for(number)
    try:
        return checked_tracking_url(url)
    except OrderError:
        # Stored before the rules tightened, or written around the form: never shown.
        return None
