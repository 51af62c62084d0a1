"""The hosted pay page at `/pay/<session id>`: what Stripe Checkout shows the customer.

GET shows an open session (items, subtotal, discount with its code, shipping, tax with the
state or province, total; email, address limited to the allowed countries, shipping options,
a promotion code field when the session allows codes, card fields); a complete or expired
one says so and links on. A POST with `action=apply_code` applies the typed code ("This
code is invalid." otherwise) and `action=tax` works out automatic tax for the address typed,
both re-rendering with everything kept, so the page needs no JavaScript. Any other POST pays
with the test cards in `payments.py`: success redirects (303) to `success_url` with
`{CHECKOUT_SESSION_ID}` filled in; a declined card comes back with 402 and the message;
missing or malformed fields come back with 400 and what was typed.
"""

from __future__ import annotations

import re
import time
from functools import cache
from typing import Any

from babel import Locale
from flask import Blueprint, redirect, render_template, request
from werkzeug.wrappers import Response

from . import checkout, payments, promotions
from .api import get_sandbox
from .core import Sandbox
from .errors import StripeError
from .money import format_amount
from .state import Address, Card, Customer, Session
from .tax import rate_for

bp = Blueprint("pay_page", __name__)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EXPIRY = re.compile(r"^(\d{1,2})\s*/?\s*(\d{2}|\d{4})$")
DEFAULT_COUNTRIES = ("US", "CA", "GB", "IE", "FR", "DE", "AU")
CARD_FIELD = {"incorrect_number": "card_number", "incorrect_cvc": "card_cvc"}


@cache
def _territories() -> dict[str, str]:
    return {code: str(name) for code, name in Locale("en").territories.items()}


def country_name(code: str) -> str:
    """Return the English name of a country code ("US" -> "United States")."""
    return _territories().get(code, code)


def _view(sb: Sandbox, session: Session, choice: int) -> dict[str, Any]:
    cur = session.currency
    goods = session.amount_subtotal - session.amount_discount + session.amount_tax
    options = [
        {
            "index": i,
            "name": o.display_name,
            "amount": format_amount(o.amount, cur),
            "total": format_amount(goods + o.amount, cur),
        }
        for i, o in enumerate(session.shipping_options)
    ]
    shipping = session.shipping_options[choice].amount if session.shipping_options else 0
    countries = session.allowed_countries or list(DEFAULT_COUNTRIES)
    code = None
    if session.promotion_code_id is not None:
        code = sb.store.promotion_codes[session.promotion_code_id].code
    tax = None
    if session.automatic_tax and session.tax_region is not None:
        rate = rate_for(*session.tax_region)
        tax = {
            "place": rate.place,
            "percent": rate.percent,
            "amount": format_amount(session.amount_tax, cur),
        }
    return {
        "id": session.id,
        "currency": cur,
        "items": [
            {
                "name": item.name,
                "quantity": item.quantity,
                "unit": format_amount(item.unit_amount, cur),
                "total": format_amount(item.amount, cur),
            }
            for item in session.line_items
        ],
        "subtotal": format_amount(session.amount_subtotal, cur),
        "discount": format_amount(session.amount_discount, cur)
        if session.coupon_id is not None
        else None,
        "code": code,
        "coupon_name": sb.store.coupons[session.coupon_id].name if session.coupon_id else None,
        "shipping": format_amount(shipping, cur) if session.shipping_options else None,
        "automatic_tax": session.automatic_tax,
        "tax": tax,
        "total": format_amount(goods + shipping, cur),
        "options": options,
        "countries": [(code, country_name(code)) for code in countries],
        "collects_shipping": session.allowed_countries is not None,
        "allow_promotion_codes": bool(session.allow_promotion_codes),
        "cancel_url": session.cancel_url,
        "success_url": session.success_url,
        "status": session.status,
    }


def _read_form(session: Session) -> tuple[dict[str, str], dict[str, str], int]:
    """Return what was typed, an error message per field, and the chosen shipping option."""
    form = {key: request.form.get(key, "").strip() for key in request.form}
    errors: dict[str, str] = {}
    email = form.get("email", "")
    if not email:
        errors["email"] = "Enter your email address."
    elif not _EMAIL.match(email):
        errors["email"] = "Enter an email address like name@example.com."
    required = {
        "name": "Enter your full name.",
        "line1": "Enter the first line of your address.",
        "city": "Enter your town or city.",
        "postal_code": "Enter your postal code.",
    }
    errors.update({key: msg for key, msg in required.items() if not form.get(key)})
    countries = session.allowed_countries or list(DEFAULT_COUNTRIES)
    if form.get("country") not in countries:
        errors["country"] = "Choose a country from the list."
    choice = 0
    if session.shipping_options:
        raw = form.get("shipping_option", "")
        if raw.isdigit() and int(raw) < len(session.shipping_options):
            choice = int(raw)
        else:
            errors["shipping_option"] = "Choose a shipping option."
    number = re.sub(r"[\s-]", "", form.get("card_number", ""))
    if not number:
        errors["card_number"] = "Enter your card number."
    elif not number.isdigit() or not 12 <= len(number) <= 19:
        errors["card_number"] = "Your card number is incomplete."
    expiry = _EXPIRY.match(form.get("card_expiry", ""))
    if expiry is None or not 1 <= int(expiry.group(1)) <= 12:
        errors["card_expiry"] = "Enter the expiry date as MM / YY."
    else:
        month, year = int(expiry.group(1)), int(expiry.group(2))
        year = year + 2000 if year < 100 else year
        today = time.gmtime()
        if (year, month) < (today.tm_year, today.tm_mon):
            errors["card_expiry"] = "Your card's expiration date is in the past."
        form["_exp"] = f"{month}/{year}"
    if not re.fullmatch(r"\d{3,4}", form.get("card_cvc", "")):
        errors["card_cvc"] = "Enter the 3 or 4 digit security code."
    form["_number"] = number
    return form, errors, choice


def _page(
    sb: Sandbox,
    session: Session,
    form: dict[str, str],
    errors: dict[str, str],
    status: int,
    message: str | None = None,
    choice: int = 0,
) -> tuple[str, int]:
    return (
        render_template(
            "pay.html", s=_view(sb, session, choice), form=form, errors=errors, message=message
        ),
        status,
    )


def _update(sb: Sandbox, session: Session, action: str) -> tuple[str, int]:
    """Apply a promotion code or work out the tax, keeping what was typed."""
    form = {key: request.form.get(key, "").strip() for key in request.form}
    choice = _choice(session, form.get("shipping_option", ""))
    errors: dict[str, str] = {}
    if action == "apply_code":
        code = form.get("promotion_code", "")
        if not session.allow_promotion_codes:
            errors["promotion_code"] = "This checkout does not take promotion codes."
        elif not code:
            errors["promotion_code"] = "Enter a promotion code."
        else:
            try:
                promotions.apply_code(sb, session, code)
            except StripeError as exc:
                errors["promotion_code"] = exc.message
    else:
        countries = session.allowed_countries or list(DEFAULT_COUNTRIES)
        if form.get("country") not in countries:
            errors["country"] = "Choose a country from the list."
        else:
            payments.locate_tax(sb, session, form["country"], form.get("state"))
    return _page(sb, session, form, errors, 400 if errors else 200, choice=choice)


def _choice(session: Session, raw: str) -> int:
    if raw.isdigit() and int(raw) < len(session.shipping_options):
        return int(raw)
    return 0


@bp.route("/pay/<session_id>", methods=["GET", "POST"])
def pay(session_id: str) -> Response | tuple[str, int]:
    """Show the pay page, apply a code, work out the tax, or pay with what was typed."""
    sb = get_sandbox()
    with sb.store.lock:
        try:
            session = checkout.find_session(sb, session_id)
        except StripeError:
            return render_template("pay_closed.html", s=None), 404
        if session.status != "open":
            return render_template("pay_closed.html", s=_view(sb, session, 0)), 200
        if request.method == "GET":
            countries = session.allowed_countries or list(DEFAULT_COUNTRIES)
            form = {"email": session.customer_email or "", "country": countries[0]}
            return _page(sb, session, form, {}, 200)
        action = request.form.get("action", "pay")
        if action in ("apply_code", "tax"):
            return _update(sb, session, action)
        form, errors, choice = _read_form(session)
        if errors:
            return _page(sb, session, form, errors, 400, choice=choice)
        month, year = (int(part) for part in form["_exp"].split("/"))
        payment = payments.Payment(
            customer=Customer(
                email=form["email"],
                name=form["name"],
                address=Address(
                    line1=form["line1"],
                    line2=form.get("line2") or None,
                    city=form["city"],
                    state=form.get("state") or None,
                    postal_code=form["postal_code"],
                    country=form["country"],
                ),
            ),
            card=Card(form["_number"], month, year),
            shipping_choice=choice,
            promotion_code=form.get("promotion_code") or None,
        )
        try:
            paid = payments.pay(sb, session_id, payment)
        except StripeError as exc:
            field = CARD_FIELD.get(exc.code or "")
            if exc.param == "promotion_code" and session.allow_promotion_codes:
                field = "promotion_code"
            errors = {field: exc.message} if field else {}
            return _page(sb, session, form, errors, exc.status, message=exc.message, choice=choice)
        target = (paid.success_url or "").replace("{CHECKOUT_SESSION_ID}", paid.id)
    return redirect(target, code=303)
