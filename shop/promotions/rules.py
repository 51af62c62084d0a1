"""What a promotion takes off, and whether a code applies: the shop's own rules.

The cart asks `check_code` before a code is shown as applied; checkout asks it again (with
the promotion's row locked, so two customers racing for the last redemption cannot both
get it); settlement asks `expected_discount` to check the discount Stripe charged.

A percentage is taken off the goods' subtotal and rounded half up to a minor unit, the
way the local sandbox does; a fixed amount never takes more than the goods cost.
Shipping and tax are never discounted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from shop.core.models import utcnow
from shop.core.money import format_money
from shop.extensions import db
from shop.orders.models import Order
from shop.orders.statuses import PAID_STATUSES, REDEEMING_STATUSES
from shop.promotions.models import CODE_MAX, Promotion


class PromotionRefused(Exception):
    """A code that does not apply; `message` says why, in words for the customer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AppliedCode:
    promotion: Promotion
    discount: int


def normalise_code(text: str | None) -> str:
    """A code as stored: trimmed and upper case ("welcome10 " -> "WELCOME10")."""
    return (text or "").strip().upper()


def discount_for(promotion: Promotion, subtotal: int) -> int:
    """What `promotion` takes off goods worth `subtotal` (minor units)."""
    if subtotal <= 0:
        return 0
    if promotion.percent_off is not None:
        return min(subtotal, (subtotal * promotion.percent_off + 50) // 100)
    return min(subtotal, promotion.amount_off or 0)


def find_promotion(code: str, *, lock: bool = False) -> Promotion | None:
    """The promotion with this code (any case), locked for the unit of work if asked."""
    code = normalise_code(code)
    if not code or len(code) > CODE_MAX:
        return None
    query = sa.select(Promotion).where(Promotion.code == code)
    if lock:
        query = query.with_for_update()
    found: Promotion | None = db.session.scalar(query)
    return found


def redemptions_used(promotion_id: int, *, excluding_order: int | None = None) -> int:
    """How many orders hold or have used a redemption of this promotion."""
    query = sa.select(sa.func.count(Order.id)).where(
        Order.promotion_id == promotion_id, Order.status.in_(REDEEMING_STATUSES)
    )
    if excluding_order is not None:
        query = query.where(Order.id != excluding_order)
    return int(db.session.scalar(query) or 0)


def used_by(promotion_id: int, email: str, *, excluding_order: int | None = None) -> bool:
    """Whether a paid order with this address already used this promotion."""
    query = sa.select(Order.id).where(
        Order.promotion_id == promotion_id,
        Order.status.in_(PAID_STATUSES),
        sa.func.lower(Order.email) == email.strip().lower(),
    )
    if excluding_order is not None:
        query = query.where(Order.id != excluding_order)
    return db.session.scalar(query.limit(1)) is not None


def check_code(
    code: str,
    subtotal: int,
    currency: str,
    *,
    email: str | None = None,
    now: datetime | None = None,
    lock: bool = False,
    excluding_order: int | None = None,
) -> AppliedCode:
    """The promotion `code` names and what it takes off, or `PromotionRefused` saying why.

    Checks that it exists, has not ended or expired, is for this currency, that the goods
    reach its minimum, that redemptions are left and (when the address is known) that this
    customer has not used it before. `lock=True` locks the promotion's row first, so a
    checkout that goes on to create its order holds the last redemption alone.
    """
    shown = normalise_code(code)
    if not shown:
        raise PromotionRefused("Enter a promotion code.")
    if len(shown) > CODE_MAX or any(ch.isspace() for ch in shown):
        raise PromotionRefused(f"“{shown[:CODE_MAX]}” is not a promotion code we know.")
    promotion = find_promotion(shown, lock=lock)
    if promotion is None:
        raise PromotionRefused(f"“{shown}” is not a promotion code we know.")
    now = now or utcnow()
    if promotion.ended:
        raise PromotionRefused(f"The code {promotion.code} has ended.")
    if promotion.expires_at is not None and _aware(promotion.expires_at) <= now:
        raise PromotionRefused(f"The code {promotion.code} has expired.")
    if promotion.stripe_promotion_code_id is None:
        raise PromotionRefused(
            f"The code {promotion.code} cannot be used right now; please try again later."
        )
    if promotion.currency.upper() != currency.upper():
        raise PromotionRefused(f"The code {promotion.code} is not for this currency.")
    if promotion.min_subtotal and subtotal < promotion.min_subtotal:
        raise PromotionRefused(
            f"The code {promotion.code} applies to orders of "
            f"{format_money(promotion.min_subtotal, promotion.currency)} or more; "
            f"add {format_money(promotion.min_subtotal - subtotal, promotion.currency)} "
            "to use it."
        )
    if promotion.max_redemptions is not None and (
        redemptions_used(promotion.id, excluding_order=excluding_order) >= promotion.max_redemptions
    ):
        raise PromotionRefused(f"The code {promotion.code} has been used up.")
    if (
        email
        and promotion.once_per_customer
        and used_by(promotion.id, email, excluding_order=excluding_order)
    ):
        raise PromotionRefused(f"The code {promotion.code} can be used once per customer.")
    return AppliedCode(promotion, discount_for(promotion, subtotal))


def reader_codes(answer_id: int, *, now: datetime | None = None) -> list[Promotion]:
    """The codes an answer's page offers its readers: its promotions that can be used now.

    Not ended, not expired, made at Stripe, and with redemptions left; oldest first. The
    minimum and once-per-customer rules are for the cart to say.
    """
    now = now or utcnow()
    found = db.session.scalars(
        sa.select(Promotion)
        .where(
            Promotion.answer_id == answer_id,
            Promotion.ended_at.is_(None),
            Promotion.stripe_promotion_code_id.is_not(None),
        )
        .order_by(Promotion.id)
    ).all()
    return [
        promotion
        for promotion in found
        if (promotion.expires_at is None or _aware(promotion.expires_at) > now)
        and (
            promotion.max_redemptions is None
            or redemptions_used(promotion.id) < promotion.max_redemptions
        )
    ]


@dataclass(frozen=True)
class ExpectedDiscount:
    """What the shop's rules give off a paid order, and the promotion it came from."""

    amount: int
    promotion: Promotion | None


def expected_discount(
    order_promotion_id: int | None,
    order_discount: int,
    subtotal: int,
    stripe_promotion_code_id: str | None,
    email: str | None,
) -> ExpectedDiscount:
    """The discount due on a paid session, by the shop's rules.

    A code sent from the cart was checked when checkout started: its discount then is the
    one due. A code typed on Stripe's page is checked now (the minimum; Stripe itself
    refuses ended, expired and used-up codes). Either way a code allowed once per customer
    is due nothing when this address has paid with it before. No code, or one the shop
    never made: nothing is due.
    """
    if stripe_promotion_code_id is None:
        return ExpectedDiscount(0, None)
    promotion: Promotion | None = db.session.scalar(
        sa.select(Promotion).where(Promotion.stripe_promotion_code_id == stripe_promotion_code_id)
    )
    if promotion is None:
        return ExpectedDiscount(0, None)
    # Once per customer is the one rule the cart cannot check: the address comes from Stripe.
    if email and promotion.once_per_customer and used_by(promotion.id, email):
        return ExpectedDiscount(0, promotion)
    if order_promotion_id == promotion.id:
        return ExpectedDiscount(order_discount, promotion)
    if promotion.min_subtotal and subtotal < promotion.min_subtotal:
        return ExpectedDiscount(0, promotion)
    return ExpectedDiscount(discount_for(promotion, subtotal), promotion)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; the shop stores UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
