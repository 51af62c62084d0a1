"""Coupons and promotion codes: Stripe's creation rules, validity, and what a code takes off.

A coupon is `percent_off` or `amount_off` + `currency`, duration `once` (the sandbox has no
subscriptions). It stops being `valid` once deleted, used `max_redemptions` times, or past
`redeem_by`. A promotion code names a coupon (`coupon`, as the 2023 spec says, or
`promotion[coupon]` as API 2025-09+ and stripe-python 16 send it), has a code unique
regardless of case among active codes, and its own limits (`active`, `expires_at`,
`max_redemptions`, `restrictions[minimum_amount]`). The discount applies to line items
only: a percentage is rounded half up, `min(subtotal, (subtotal * pct + 50) // 100)` for
whole percentages (fractions in the same way), an amount off is capped at the subtotal.
The sandbox has no customers, so `restrictions[first_time_transaction]` is kept and shown
but never refuses a code.
"""

from __future__ import annotations

import re
import secrets
import string
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .core import Sandbox
from .errors import ParamError, StripeError, missing
from .formdata import check_metadata
from .money import format_amount, known_currency
from .state import Coupon, PromotionCode, Session, new_id
from .tax import tax_for

_CODE = re.compile(r"^[A-Za-z0-9]+$")
_CODE_ALPHABET = string.ascii_uppercase + string.digits
INVALID_CODE = "This code is invalid."


def normalise_promotion(params: dict[str, Any]) -> dict[str, Any]:
    """Turn the newer `promotion[type]=coupon&promotion[coupon]=X` into the spec's `coupon`."""
    promotion = params.get("promotion")
    if promotion is None:
        return params
    if not isinstance(promotion, dict):
        raise ParamError("Invalid hash: promotion", param="promotion")
    if promotion.get("type", "coupon") != "coupon":
        raise ParamError("Invalid promotion[type]: must be one of coupon", param="promotion[type]")
    if "coupon" in params:
        raise ParamError(
            "You may only specify one of these parameters: coupon, promotion.", param="promotion"
        )
    unknown = set(promotion) - {"type", "coupon"}
    if unknown:
        name = f"promotion[{sorted(unknown)[0]}]"
        raise ParamError(f"Received unknown parameter: {name}", param=name)
    result = {k: v for k, v in params.items() if k != "promotion"}
    if "coupon" in promotion:
        result["coupon"] = promotion["coupon"]
    return result


def create_coupon(sb: Sandbox, params: dict[str, Any]) -> Coupon:
    """Create a coupon from typed parameters."""
    percent = params.get("percent_off")
    amount = params.get("amount_off")
    if (percent is None) == (amount is None):
        raise ParamError(
            "You must pass exactly one of `percent_off` or `amount_off`.", param="percent_off"
        )
    currency = None
    if percent is not None and not 0 < percent <= 100:
        raise ParamError(
            "Invalid percent_off: must be greater than 0 and less than or equal to 100",
            param="percent_off",
        )
    if amount is not None:
        if amount < 1:
            raise ParamError("Invalid amount_off: must be a positive integer", param="amount_off")
        if "currency" not in params:
            raise ParamError("You must pass currency when passing amount_off", param="currency")
        currency = str(params["currency"]).lower()
        if not known_currency(currency):
            raise ParamError(f"Invalid currency: {params['currency']}", param="currency")
    duration = params.get("duration", "once")
    if duration != "once":
        raise ParamError(
            f"The sandbox only supports duration=once (got {duration}).", param="duration"
        )
    max_redemptions = params.get("max_redemptions")
    if max_redemptions is not None and max_redemptions < 1:
        raise ParamError(
            "Invalid max_redemptions: must be a positive integer", param="max_redemptions"
        )
    now = sb.store.now()
    redeem_by = params.get("redeem_by")
    if redeem_by is not None and redeem_by <= now:
        raise ParamError("Invalid redeem_by: must be in the future", param="redeem_by")
    with sb.store.lock:
        coupon_id = params.get("id") or new_id("", 8)
        if coupon_id in sb.store.coupons and not sb.store.coupons[coupon_id].deleted:
            raise StripeError("Coupon already exists.", param="id", code="resource_already_exists")
        coupon = Coupon(
            id=coupon_id,
            created=int(now),
            percent_off=float(percent) if percent is not None else None,
            amount_off=amount,
            currency=currency,
            duration="once",
            name=params.get("name"),
            max_redemptions=max_redemptions,
            redeem_by=redeem_by,
            metadata=check_metadata(params.get("metadata"), "metadata"),
        )
        sb.store.coupons[coupon.id] = coupon
    return coupon


def find_coupon(sb: Sandbox, coupon_id: str, param: str = "coupon", status: int = 404) -> Coupon:
    """Return a coupon that exists (deleted ones are gone, as in Stripe)."""
    coupon = sb.store.coupons.get(coupon_id)
    if coupon is None or coupon.deleted:
        raise missing("coupon", coupon_id, param, status=status)
    return coupon


def delete_coupon(sb: Sandbox, coupon_id: str) -> Coupon:
    """Delete a coupon: it can no longer be applied, past discounts stay."""
    with sb.store.lock:
        coupon = find_coupon(sb, coupon_id)
        coupon.deleted = True
        return coupon


def coupon_valid(sb: Sandbox, coupon: Coupon) -> bool:
    """Return whether the coupon can still be redeemed."""
    if coupon.deleted:
        return False
    if coupon.max_redemptions is not None and coupon.times_redeemed >= coupon.max_redemptions:
        return False
    return coupon.redeem_by is None or sb.store.now() < coupon.redeem_by


def create_promotion_code(sb: Sandbox, params: dict[str, Any]) -> PromotionCode:
    """Create a promotion code from typed parameters."""
    if "coupon" not in params:
        raise ParamError("Missing required param: coupon.", param="coupon")
    if "customer" in params:
        raise missing("customer", params["customer"], "customer", status=400)
    with sb.store.lock:
        coupon = find_coupon(sb, params["coupon"], status=400)
        if not coupon_valid(sb, coupon):
            raise StripeError(
                f"Coupon {coupon.id} is no longer valid: it cannot get new promotion codes.",
                param="coupon",
            )
        code = params.get("code")
        if code is None:
            code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
        if not _CODE.match(code):
            raise ParamError(
                "Invalid code: only letters (a-z, A-Z) and digits (0-9) are allowed.",
                param="code",
            )
        active = params.get("active", True)
        if active and _active_code(sb, code) is not None:
            raise StripeError(
                f"An active promotion code with `code: {code}` already exists.",
                param="code",
                code="resource_already_exists",
            )
        max_redemptions = params.get("max_redemptions")
        if max_redemptions is not None:
            if max_redemptions < 1:
                raise ParamError(
                    "Invalid max_redemptions: must be a positive integer", param="max_redemptions"
                )
            if coupon.max_redemptions is not None and max_redemptions > coupon.max_redemptions:
                raise ParamError(
                    "The promotion code's `max_redemptions` cannot be greater than the coupon's "
                    f"`max_redemptions` ({coupon.max_redemptions}).",
                    param="max_redemptions",
                )
        expires_at = params.get("expires_at")
        if expires_at is not None:
            if expires_at <= sb.store.now():
                raise ParamError("Invalid expires_at: must be in the future", param="expires_at")
            if coupon.redeem_by is not None and expires_at > coupon.redeem_by:
                raise ParamError(
                    "The promotion code's `expires_at` cannot be after the coupon's `redeem_by`.",
                    param="expires_at",
                )
        restrictions = params.get("restrictions") or {}
        minimum = restrictions.get("minimum_amount")
        minimum_currency = restrictions.get("minimum_amount_currency")
        if minimum is not None:
            if minimum < 0:
                raise ParamError(
                    "This value must be greater than or equal to 0.",
                    param="restrictions[minimum_amount]",
                )
            if minimum_currency is None:
                raise ParamError(
                    "You must pass `minimum_amount_currency` when passing `minimum_amount`.",
                    param="restrictions[minimum_amount_currency]",
                )
        if minimum_currency is not None:
            if minimum is None:
                raise ParamError(
                    "You must pass `minimum_amount` when passing `minimum_amount_currency`.",
                    param="restrictions[minimum_amount]",
                )
            minimum_currency = str(minimum_currency).lower()
            if not known_currency(minimum_currency):
                raise ParamError(
                    f"Invalid currency: {restrictions['minimum_amount_currency']}",
                    param="restrictions[minimum_amount_currency]",
                )
        promo = PromotionCode(
            id=new_id("promo_1"),
            created=sb.store.timestamp(),
            code=code,
            coupon_id=coupon.id,
            active=bool(active),
            max_redemptions=max_redemptions,
            expires_at=expires_at,
            minimum_amount=minimum,
            minimum_amount_currency=minimum_currency,
            first_time_transaction=bool(restrictions.get("first_time_transaction", False)),
            metadata=check_metadata(params.get("metadata"), "metadata"),
        )
        sb.store.promotion_codes[promo.id] = promo
        return promo


def _active_code(sb: Sandbox, code: str) -> PromotionCode | None:
    wanted = code.strip().upper()
    for promo in sb.store.promotion_codes.values():
        if promo.active and promo.code.upper() == wanted:
            return promo
    return None


def find_promotion_code(
    sb: Sandbox, promo_id: str, param: str = "promotion_code", status: int = 404
) -> PromotionCode:
    """Return a promotion code by id."""
    promo = sb.store.promotion_codes.get(promo_id)
    if promo is None:
        raise missing("promotion_code", promo_id, param, status=status)
    return promo


def update_promotion_code(sb: Sandbox, promo_id: str, params: dict[str, Any]) -> PromotionCode:
    """Change a code's `active` and `metadata` (reactivating needs a free code, valid coupon)."""
    with sb.store.lock:
        promo = find_promotion_code(sb, promo_id)
        if params.get("active") is True and not promo.active:
            coupon = sb.store.coupons[promo.coupon_id]
            if not coupon_valid(sb, coupon):
                raise StripeError(
                    "This promotion code cannot be reactivated because its coupon is no "
                    "longer valid.",
                    param="active",
                )
            if _active_code(sb, promo.code) is not None:
                raise StripeError(
                    f"An active promotion code with `code: {promo.code}` already exists.",
                    param="active",
                    code="resource_already_exists",
                )
        if "active" in params:
            promo.active = bool(params["active"])
        if "metadata" in params:
            changes = params["metadata"]
            if changes in ("", {}):
                promo.metadata = {}
            else:
                check_metadata(changes, "metadata")
                merged = dict(promo.metadata)
                for key, value in changes.items():
                    if value == "":
                        merged.pop(key, None)
                    else:
                        merged[key] = str(value)
                promo.metadata = merged
        return promo


def list_promotion_codes(sb: Sandbox, params: dict[str, Any]) -> list[PromotionCode]:
    """Return promotion codes newest first, filtered by `code`, `active` and `coupon`."""
    found = sorted(sb.store.promotion_codes.values(), key=lambda p: p.created, reverse=True)
    if "code" in params:
        wanted = str(params["code"]).upper()
        found = [p for p in found if p.code.upper() == wanted]
    if "active" in params:
        found = [p for p in found if p.active == params["active"]]
    if "coupon" in params:
        found = [p for p in found if p.coupon_id == params["coupon"]]
    return found


def discount_for(coupon: Coupon, subtotal: int, currency: str) -> int:
    """Return what the coupon takes off line items worth `subtotal` (never more)."""
    if coupon.percent_off is not None:
        off = Decimal(subtotal) * Decimal(str(coupon.percent_off)) / 100
        return min(subtotal, int(off.quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    if coupon.currency != currency:
        return 0
    return min(subtotal, coupon.amount_off or 0)


def promotion_code_problem(
    sb: Sandbox, promo: PromotionCode, subtotal: int, currency: str
) -> str | None:
    """Return why the code cannot be applied to goods worth `subtotal` now, else None."""
    coupon = sb.store.coupons[promo.coupon_id]
    if not promo.active:
        return "This promotion code is inactive."
    if promo.expires_at is not None and sb.store.now() >= promo.expires_at:
        return "This promotion code has expired."
    if promo.max_redemptions is not None and promo.times_redeemed >= promo.max_redemptions:
        return "This promotion code has reached its maximum number of redemptions."
    if not coupon_valid(sb, coupon):
        return "The coupon behind this promotion code is no longer valid."
    if coupon.amount_off is not None and coupon.currency != currency:
        return f"This promotion code cannot be used with {currency.upper()}."
    if promo.minimum_amount is not None:
        if promo.minimum_amount_currency not in (None, currency):
            return f"This promotion code cannot be used with {currency.upper()}."
        if subtotal < promo.minimum_amount:
            shown = format_amount(promo.minimum_amount, promo.minimum_amount_currency or currency)
            return f"This promotion code requires a minimum order of {shown}."
    return None


def coupon_problem(sb: Sandbox, coupon: Coupon, currency: str) -> str | None:
    """Return why the coupon cannot be applied to a session in `currency`, else None."""
    if not coupon_valid(sb, coupon):
        return f"This coupon ({coupon.id}) is no longer valid."
    if coupon.amount_off is not None and coupon.currency != currency:
        return (
            f"The coupon's currency ({coupon.currency}) must match the currency of the "
            f"Checkout Session ({currency})."
        )
    return None


def apply_discounts(sb: Sandbox, session: Session, discounts: list[dict[str, Any]]) -> None:
    """Apply `discounts` of a create-session request, refusing what Stripe refuses."""
    if len(discounts) > 1:
        raise ParamError("You may only specify one discount.", param="discounts")
    if not discounts:
        return
    entry = discounts[0]
    if "coupon" in entry and "promotion_code" in entry:
        raise ParamError(
            "You may only specify one of these parameters: coupon, promotion_code.",
            param="discounts[0]",
        )
    if "promotion_code" in entry:
        param = "discounts[0][promotion_code]"
        promo = find_promotion_code(sb, entry["promotion_code"], param, status=400)
        problem = promotion_code_problem(sb, promo, session.amount_subtotal, session.currency)
        if problem is not None:
            raise StripeError(problem, param=param)
        session.promotion_code_id = promo.id
        session.coupon_id = promo.coupon_id
    elif "coupon" in entry:
        param = "discounts[0][coupon]"
        coupon = find_coupon(sb, entry["coupon"], param, status=400)
        problem = coupon_problem(sb, coupon, session.currency)
        if problem is not None:
            raise StripeError(problem, param=param)
        session.coupon_id = coupon.id
    refresh_amounts(sb, session)


def apply_code(sb: Sandbox, session: Session, code: str) -> PromotionCode:
    """Apply a code the customer typed, or raise with "This code is invalid." and why."""
    promo = _active_code(sb, code) if code.strip() else None
    if promo is None:
        raise StripeError(INVALID_CODE, param="promotion_code", code="invalid_code")
    problem = promotion_code_problem(sb, promo, session.amount_subtotal, session.currency)
    if problem is not None:
        raise StripeError(problem, param="promotion_code", code="invalid_code")
    session.promotion_code_id = promo.id
    session.coupon_id = promo.coupon_id
    refresh_amounts(sb, session)
    return promo


def recheck(sb: Sandbox, session: Session) -> None:
    """Refuse payment if the session's code or coupon stopped applying since it was made."""
    if session.promotion_code_id is not None:
        promo = sb.store.promotion_codes[session.promotion_code_id]
        problem = promotion_code_problem(sb, promo, session.amount_subtotal, session.currency)
        if problem is not None:
            raise StripeError(
                f"{problem} Go back to the shop to check out again.",
                status=400,
                param="promotion_code",
                code="promotion_code_invalid",
            )
    elif session.coupon_id is not None:
        problem = coupon_problem(sb, sb.store.coupons[session.coupon_id], session.currency)
        if problem is not None:
            raise StripeError(
                f"{problem} Go back to the shop to check out again.",
                status=400,
                param="coupon",
                code="coupon_expired",
            )


def redeem(sb: Sandbox, session: Session) -> None:
    """Count a completed session's redemption on its code and coupon."""
    if session.promotion_code_id is not None:
        sb.store.promotion_codes[session.promotion_code_id].times_redeemed += 1
    if session.coupon_id is not None:
        sb.store.coupons[session.coupon_id].times_redeemed += 1


def refresh_amounts(sb: Sandbox, session: Session) -> None:
    """Recompute the session's discount and (once an address is known) its tax."""
    discount = 0
    if session.coupon_id is not None:
        coupon = sb.store.coupons[session.coupon_id]
        discount = discount_for(coupon, session.amount_subtotal, session.currency)
    session.amount_discount = discount
    if session.automatic_tax and session.tax_region is not None:
        country, state = session.tax_region
        session.amount_tax = tax_for(country, state, session.amount_subtotal - discount)
    else:
        session.amount_tax = 0
