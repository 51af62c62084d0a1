"""Creating and ending promotions: the shop's row and the Stripe coupon and code behind it.

Stripe is asked first: a promotion whose coupon or code Stripe refused leaves no row, so the
shop never offers a code Stripe's page would turn down. Every function flushes; the CLI
command or admin view that called it commits once (and records the audit entry).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa

from shop.core.errors import DomainError, FieldError
from shop.core.models import utcnow
from shop.editorial.models import Answer
from shop.editorial.queries import is_public
from shop.extensions import db
from shop.payments.exceptions import PaymentError
from shop.payments.gateway import gateway
from shop.promotions.models import CODE_MAX, Promotion
from shop.promotions.rules import normalise_code

CODE_MIN = 3
# Stripe's customer-facing codes take letters and digits only: a code Stripe would refuse
# is refused here first, naming the field.
CODE_CHARACTERS = re.compile(r"[A-Za-z0-9]+")
# Integer columns: anything larger is a typo, not a promotion.
AMOUNT_MAX = 100_000_000
REDEMPTIONS_MAX = 1_000_000


class PromotionError(DomainError):
    """A promotion could not be made or ended; the message says why."""


class PromotionFieldError(FieldError, PromotionError):
    """A value was refused; `field` names the form field (or CLI option) at fault.

    Still a `PromotionError`: the sync command and the dev server catch every refusal as one.
    """


@dataclass(frozen=True)
class PromotionRules:
    """What staff type to make a promotion; exactly one of `percent_off` / `amount_off`."""

    code: str
    currency: str
    percent_off: int | None = None
    amount_off: int | None = None  # minor units of `currency`
    min_subtotal: int | None = None
    max_redemptions: int | None = None
    expires_on: date | None = None  # the last day it can be used (to the end of the day UTC)
    once_per_customer: bool = False
    answer_slug: str | None = None


def code_problem(text: str) -> str | None:
    """Why `text` cannot be a promotion code, or None when it can."""
    code = text.strip()
    if not code:
        return "Enter a code."
    if any(ch.isspace() for ch in code):
        return "The code may not contain spaces."
    if len(code) > CODE_MAX:
        return f"The code is longer than {CODE_MAX} characters."
    if len(code) < CODE_MIN:
        return f"The code must be at least {CODE_MIN} characters."
    if not CODE_CHARACTERS.fullmatch(code):
        return "Use only letters and digits in the code."
    return None


def expiry_moment(day: date) -> datetime:
    """The end of `day` in UTC: a code "expiring" on a day works all that day."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def _published_answer_id(slug: str) -> int:
    found = db.session.scalar(sa.select(Answer.id).where(Answer.slug == slug, is_public()))
    if found is None:
        raise PromotionFieldError("answer", f"There is no published answer “{slug}”.")
    return int(found)


def _validated(rules: PromotionRules, today: date) -> dict[str, Any]:
    """The promotion's columns from `rules`, or the first refusal naming its field."""
    problem = code_problem(rules.code)
    if problem:
        raise PromotionFieldError("code", problem)
    code = normalise_code(rules.code)
    taken = db.session.scalar(sa.select(Promotion.id).where(sa.func.upper(Promotion.code) == code))
    if taken is not None:
        raise PromotionFieldError("code", f"There is already a promotion with the code {code}.")
    if (rules.percent_off is None) == (rules.amount_off is None):
        raise PromotionFieldError(
            "percent_off", "Give either a percentage off or an amount off (one of them)."
        )
    if rules.percent_off is not None and not 1 <= rules.percent_off <= 100:
        raise PromotionFieldError("percent_off", "The percentage off must be 1 to 100.")
    if rules.amount_off is not None and not 0 < rules.amount_off <= AMOUNT_MAX:
        raise PromotionFieldError("amount_off", "The amount off must be more than 0.")
    if rules.min_subtotal is not None and not 0 <= rules.min_subtotal <= AMOUNT_MAX:
        raise PromotionFieldError("min_subtotal", "The minimum order may not be negative.")
    if rules.max_redemptions is not None and not 1 <= rules.max_redemptions <= REDEMPTIONS_MAX:
        raise PromotionFieldError("max_redemptions", "The limit of uses must be at least 1.")
    if rules.expires_on is not None and rules.expires_on < today:
        raise PromotionFieldError("expires_on", "The expiry date is in the past.")
    if not re.fullmatch(r"[A-Za-z]{3}", rules.currency or ""):
        raise PromotionFieldError("currency", "Give the currency as a three-letter code, e.g. USD.")
    slug = (rules.answer_slug or "").strip()
    return {
        "code": code,
        "percent_off": rules.percent_off,
        "amount_off": rules.amount_off,
        "currency": rules.currency.upper(),
        "min_subtotal": rules.min_subtotal or None,
        "max_redemptions": rules.max_redemptions,
        "expires_at": expiry_moment(rules.expires_on) if rules.expires_on else None,
        "once_per_customer": rules.once_per_customer,
        "answer_id": _published_answer_id(slug) if slug else None,
    }


def _fingerprint(promotion: Promotion) -> str:
    """A short digest of what Stripe is asked to make, for the idempotency keys: a retry of
    the same promotion returns the same objects; different rules make new ones."""
    parts = (
        promotion.code,
        promotion.percent_off,
        promotion.amount_off,
        promotion.currency,
        promotion.min_subtotal,
        promotion.max_redemptions,
        promotion.expires_at.timestamp() if promotion.expires_at else None,
        promotion.stripe_promotion_code_id,  # a remake after Stripe forgot the old one
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _make_at_stripe(promotion: Promotion) -> None:
    """Create the coupon and the promotion code for `promotion` and store their ids."""
    key = f"promotion-{promotion.code}-{_fingerprint(promotion)}"
    payments = gateway()
    coupon = payments.create_coupon(
        percent_off=promotion.percent_off,
        amount_off=promotion.amount_off,
        currency=promotion.currency,
        name=promotion.code,
        idempotency_key=f"{key}-coupon",
    )
    expires_at = promotion.expires_at
    if expires_at is not None and expires_at.tzinfo is None:  # SQLite hands back naive UTC
        expires_at = expires_at.replace(tzinfo=UTC)
    made = payments.create_promotion_code(
        coupon_id=coupon.id,
        code=promotion.code,
        max_redemptions=promotion.max_redemptions,
        expires_at=expires_at,
        minimum_amount=promotion.min_subtotal,
        currency=promotion.currency,
        metadata={"shop_code": promotion.code},
        idempotency_key=f"{key}-code",
    )
    promotion.stripe_coupon_id = coupon.id
    promotion.stripe_promotion_code_id = made.id


def create_promotion(rules: PromotionRules, *, today: date | None = None) -> Promotion:
    """Check `rules`, make the coupon and code at Stripe, then the promotion (flushed).

    Raises `PromotionFieldError` naming the field at fault, or `PromotionError` when Stripe
    refused or did not answer (then nothing is stored).
    """
    values = _validated(rules, today or utcnow().date())
    promotion = Promotion(**values)
    try:
        _make_at_stripe(promotion)
    except PaymentError as exc:
        raise PromotionError(
            f"Stripe did not make the code {promotion.code} ({exc.message}); nothing was saved."
        ) from exc
    db.session.add(promotion)
    db.session.flush()
    return promotion


def find_by_code(code: str) -> Promotion:
    """The promotion with this code (any case), or `PromotionError`."""
    normal = normalise_code(code)
    found = db.session.scalar(
        sa.select(Promotion).where(Promotion.code == normal[:CODE_MAX]).with_for_update()
    )
    if found is None:
        raise PromotionError(f"There is no promotion with the code {normal or '(blank)'}.")
    return found


def end_promotion(code: str) -> Promotion:
    """Stop the code at Stripe and mark the promotion ended (flushed).

    Ending an ended promotion raises `PromotionError` saying so. A code Stripe no longer
    knows (a sandbox that restarted empty) ends in the shop all the same.
    """
    promotion = find_by_code(code)
    if promotion.ended:
        raise PromotionError(f"The code {promotion.code} has already ended.")
    if promotion.stripe_promotion_code_id:
        payments = gateway()
        try:
            if payments.retrieve_promotion_code(promotion.stripe_promotion_code_id) is not None:
                payments.deactivate_promotion_code(promotion.stripe_promotion_code_id)
        except PaymentError as exc:
            raise PromotionError(
                f"Stripe did not end the code {promotion.code} ({exc.message}); "
                "it is still active. Try again in a minute."
            ) from exc
    promotion.ended_at = utcnow()
    db.session.flush()
    return promotion


def sync_promotions() -> int:
    """Make again at Stripe every running promotion whose code Stripe does not know.

    For the demo's codes (stored before Stripe was running) and after the local sandbox
    restarted empty. Returns how many were made. Stops at the first code Stripe does not
    make (`PromotionError` naming it): those made before it are flushed, and the caller
    should commit them (Stripe has them now).
    """
    payments = gateway()
    made = 0
    now = utcnow()
    running = db.session.scalars(
        sa.select(Promotion)
        .where(
            Promotion.ended_at.is_(None),
            sa.or_(Promotion.expires_at.is_(None), Promotion.expires_at > now),
        )
        .order_by(Promotion.id)
    ).all()
    for promotion in running:
        try:
            known = promotion.stripe_promotion_code_id and payments.retrieve_promotion_code(
                promotion.stripe_promotion_code_id
            )
            if known:
                continue
            _make_at_stripe(promotion)
        except PaymentError as exc:
            raise PromotionError(
                f"Stripe did not make the code {promotion.code} ({exc.message}); "
                f"{made} made before it were kept."
            ) from exc
        db.session.flush()
        made += 1
    return made
