"""Checkout Sessions: Stripe's creation rules, lookup with lazy expiry, and expiry.

The request has already been typed by the spec (`spec.py`); this adds the rules the
schema cannot say: `mode=payment` needs line items, one currency, `expires_at` between
30 minutes and 24 hours after creation (measured when the request arrives, so exactly
"now + 30 min" on the caller's clock is refused, as Stripe may), metadata limits,
`client_reference_id` up to 200 characters, and Stripe's minimum charge (on the goods and
shipping before any discount). `discounts` (one coupon or promotion code, checked by
`promotions.py`) and `allow_promotion_codes` exclude each other; `automatic_tax[enabled]`
leaves the tax to be worked out once the customer's address is known (`tax.py`).
"""

from __future__ import annotations

import re
from typing import Any

from . import promotions
from .core import Sandbox
from .errors import ParamError, StripeError, missing
from .formdata import check_metadata
from .money import MINIMUM_CHARGE, format_amount, known_currency
from .state import LineItem, Origin, Session, ShippingOption, new_id

MIN_LIFETIME = 30 * 60
MAX_LIFETIME = 24 * 60 * 60
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _url(params: dict[str, Any], name: str, required: bool) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise ParamError(f"Missing required param: {name}.", param=name)
        return None
    if not re.match(r"^https?://[^\s/]+", value):
        raise ParamError("Not a valid URL", param=name, code="url_invalid")
    return str(value)


def _currency(value: Any, param: str) -> str:
    code = str(value).lower()
    if not known_currency(code):
        raise ParamError(f"Invalid currency: {value}", param=param)
    return code


def _line_items(sb: Sandbox, raw: list[dict[str, Any]], created: int) -> list[LineItem]:
    items: list[LineItem] = []
    for i, item in enumerate(raw):
        where = f"line_items[{i}]"
        if "price" in item:
            raise missing("price", item["price"], f"{where}[price]", status=400)
        data = item.get("price_data")
        if not isinstance(data, dict):
            raise ParamError(
                f"You must specify either `price` or `price_data` in `{where}`.", param=where
            )
        if "product" in data:
            raise missing("product", data["product"], f"{where}[price_data][product]", status=400)
        product = data.get("product_data") or {}
        if "name" not in product:
            name_param = f"{where}[price_data][product_data][name]"
            raise ParamError(f"Missing required param: {name_param}.", param=name_param)
        if "currency" not in data:
            param = f"{where}[price_data][currency]"
            raise ParamError(f"Missing required param: {param}.", param=param)
        amount = data.get("unit_amount")
        if amount is None:
            param = f"{where}[price_data][unit_amount]"
            raise ParamError(f"Missing required param: {param}.", param=param)
        if amount < 0:
            raise ParamError(
                "This value must be greater than or equal to 0.",
                param=f"{where}[price_data][unit_amount]",
            )
        quantity = item.get("quantity")
        if quantity is None:
            raise ParamError(
                f"Quantity is required. Add `quantity` to `{where}`", param=f"{where}[quantity]"
            )
        if not 1 <= quantity <= 999_999:
            bound = "greater than or equal to 1" if quantity < 1 else "less than or equal to 999999"
            raise ParamError(f"This value must be {bound}.", param=f"{where}[quantity]")
        currency = _currency(data["currency"], f"{where}[price_data][currency]")
        items.append(
            LineItem(
                id=new_id("li_1"),
                name=str(product["name"]),
                currency=currency,
                unit_amount=amount,
                quantity=quantity,
                price_id=new_id("price_1"),
                product_id=new_id("prod_", 14),
                created=created,
                tax_behavior=str(data.get("tax_behavior") or "unspecified"),
                tax_code=product.get("tax_code"),
            )
        )
    return items


def _shipping_options(raw: list[dict[str, Any]], currency: str) -> list[ShippingOption]:
    if len(raw) > 5:
        raise ParamError("You may only specify up to 5 shipping options.", param="shipping_options")
    options = []
    for i, option in enumerate(raw):
        where = f"shipping_options[{i}]"
        if "shipping_rate" in option:
            raise missing(
                "shipping rate", option["shipping_rate"], f"{where}[shipping_rate]", status=400
            )
        data = option.get("shipping_rate_data")
        if not isinstance(data, dict):
            raise ParamError(
                f"You must specify either `shipping_rate` or `shipping_rate_data` in `{where}`.",
                param=where,
            )
        where += "[shipping_rate_data]"
        if "display_name" not in data:
            raise ParamError(
                f"Missing required param: {where}[display_name].", param=f"{where}[display_name]"
            )
        if data.get("type", "fixed_amount") != "fixed_amount":
            raise ParamError(f"Invalid {where}[type]", param=f"{where}[type]")
        fixed = data.get("fixed_amount")
        if not isinstance(fixed, dict) or "amount" not in fixed or "currency" not in fixed:
            raise ParamError(
                f"Missing required param: {where}[fixed_amount].", param=f"{where}[fixed_amount]"
            )
        rate_currency = _currency(fixed["currency"], f"{where}[fixed_amount][currency]")
        if rate_currency != currency:
            raise ParamError(
                f"The shipping rate currency ({rate_currency}) must match the currency of "
                f"the Checkout Session ({currency}).",
                param=f"{where}[fixed_amount][currency]",
            )
        if fixed["amount"] < 0:
            raise ParamError(
                "This value must be greater than or equal to 0.",
                param=f"{where}[fixed_amount][amount]",
            )
        options.append(
            ShippingOption(
                rate_id=new_id("shr_1"),
                display_name=str(data["display_name"]),
                amount=int(fixed["amount"]),
                currency=rate_currency,
                delivery_estimate=data.get("delivery_estimate"),
            )
        )
    return options


def _expires_at(params: dict[str, Any], now: float) -> int:
    value = params.get("expires_at")
    if value is None:
        return int(now) + MAX_LIFETIME
    if value - now < MIN_LIFETIME:
        raise ParamError(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
            param="expires_at",
        )
    if value - now > MAX_LIFETIME:
        raise ParamError(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    return int(value)


def _allowed_countries(params: dict[str, Any]) -> list[str] | None:
    collection = params.get("shipping_address_collection")
    if collection is None:
        return None
    countries = collection.get("allowed_countries") if isinstance(collection, dict) else None
    param = "shipping_address_collection[allowed_countries]"
    if not countries:
        raise ParamError(f"Missing required param: {param}.", param=param)
    for i, code in enumerate(countries):
        if not _COUNTRY.match(str(code)):
            raise ParamError(f"Invalid {param}[{i}]: {code}", param=f"{param}[{i}]")
    return [str(c) for c in countries]


def create_session(sb: Sandbox, params: dict[str, Any], origin: Origin) -> Session:
    """Create an open Checkout Session (payment mode) from typed parameters."""
    now = sb.store.now()
    mode = params.get("mode")
    if mode is None:
        raise ParamError("Missing required param: mode.", param="mode")
    if mode != "payment":
        raise ParamError(f"The sandbox only supports mode=payment (got {mode}).", param="mode")
    success_url = _url(params, "success_url", required=True)
    cancel_url = _url(params, "cancel_url", required=False)
    raw_items = params.get("line_items") or []
    if not raw_items:
        raise ParamError("`line_items` is required in `payment` mode.", param="line_items")
    if len(raw_items) > 100:
        raise ParamError("You may only specify up to 100 line items.", param="line_items")
    created = int(now)
    items = _line_items(sb, raw_items, created)
    currencies = {item.currency for item in items}
    if "currency" in params:
        currencies.add(_currency(params["currency"], "currency"))
    if len(currencies) > 1:
        raise ParamError(
            "All line items must use the same currency; a Checkout Session has one currency "
            f"(got {', '.join(sorted(currencies))}).",
            param="line_items",
        )
    currency = currencies.pop()
    email = params.get("customer_email")
    if email is not None and not _EMAIL.match(email):
        raise ParamError(f"Invalid email address: {email}", param="customer_email")
    reference = params.get("client_reference_id")
    if reference is not None and len(reference) > 200:
        raise ParamError(
            "Invalid string: client_reference_id must be at most 200 characters",
            param="client_reference_id",
        )
    session = Session(
        id=new_id("cs_test_a1", 56),
        created=created,
        expires_at=_expires_at(params, now),
        mode=mode,
        currency=currency,
        line_items=items,
        shipping_options=_shipping_options(params.get("shipping_options") or [], currency),
        allowed_countries=_allowed_countries(params),
        success_url=success_url,
        cancel_url=cancel_url,
        customer_email=email,
        client_reference_id=reference,
        metadata=check_metadata(params.get("metadata"), "metadata"),
        payment_intent_metadata=check_metadata(
            (params.get("payment_intent_data") or {}).get("metadata"),
            "payment_intent_data[metadata]",
        ),
        payment_method_types=list(params.get("payment_method_types") or ["card"]),
        locale=params.get("locale"),
        submit_type=params.get("submit_type"),
        allow_promotion_codes=params.get("allow_promotion_codes"),
        automatic_tax=bool((params.get("automatic_tax") or {}).get("enabled", False)),
    )
    if params.get("discounts") and "allow_promotion_codes" in params:
        raise ParamError(
            "You may only specify one of these parameters: allow_promotion_codes, discounts.",
            param="allow_promotion_codes",
        )
    minimum = MINIMUM_CHARGE.get(currency)
    if minimum is not None and session.amount_total < minimum:
        raise StripeError(
            "The Checkout Session's total amount due must add up to at least "
            f"{format_amount(minimum, currency)} {currency}",
            param="line_items",
            code="amount_too_small",
        )
    with sb.store.lock:
        promotions.apply_discounts(sb, session, list(params.get("discounts") or []))
        sb.store.sessions[session.id] = session
    return session


def find_session(sb: Sandbox, session_id: str, param: str = "session") -> Session:
    """Return a session, expiring it first if its time has run out (Stripe's timer)."""
    with sb.store.lock:
        session = sb.store.sessions.get(session_id)
        if session is None:
            raise missing("checkout.session", session_id, param)
        if session.status == "open" and sb.store.now() >= session.expires_at:
            expire_session(sb, session, Origin())
        return session


def expire_session(sb: Sandbox, session: Session, origin: Origin) -> None:
    """Expire an open session and send `checkout.session.expired`."""
    with sb.store.lock:
        if session.status != "open":
            raise StripeError(
                'Only Checkout Sessions with a status in ["open"] can be expired.',
                param="session",
            )
        session.status = "expired"
        if session.payment_intent_id:
            sb.store.payment_intents[session.payment_intent_id].status = "canceled"
        sb.emit("checkout.session.expired", sb.render.session(session), origin)


def sweep_expired(sb: Sandbox) -> int:
    """Expire every open session whose `expires_at` has passed; return how many."""
    with sb.store.lock:
        due = [
            s
            for s in sb.store.sessions.values()
            if s.status == "open" and sb.store.now() >= s.expires_at
        ]
        for session in due:
            expire_session(sb, session, Origin())
        return len(due)
