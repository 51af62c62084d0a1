"""The checkout flow, from the cart to Stripe and back.

start_checkout, step by step:

1. Tidy up: orders whose checkout time ran out are settled with Stripe (bounded).
2. Read the cart with prices from the database; refuse if any line has a problem.
3. Reuse this cart's pending order when the cart has not changed (a double click, or
   coming back from Stripe's page), so one cart never makes two orders for the same goods.
4. Otherwise claim the cart with a conditional UPDATE on its version (the loser of a
   double click waits, then finds the winner's order), create the pending order with
   line snapshots and totals computed here, and hold its stock (ascending variant id,
   conditional UPDATEs: no oversell, no deadlock). A promotion code on the cart is
   checked again in the same unit of work with its promotion's row locked, so two
   checkouts never both take a code's last redemption (a pending order holds one). Commit.
5. Create the Checkout Session with an idempotency key derived from the order, outside
   any database transaction so no lock waits on the network. If Stripe fails, the order
   is cancelled and its stock (and code's redemption) released at once: no pending order
   keeps stock.
6. Store the session on the order, commit, and send the customer to Stripe.

Back from Stripe's page without paying (its "Back to the shop" link, the session's
`cancel_url`, signed for this order), `leave_payment_page` expires the session at Stripe and
releases its hold at once; the cart stays as it was. A declined card does not end the
session: the customer may try another card until they leave or the session expires.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from shop.cart.models import Cart
from shop.cart.queries import cart_view
from shop.cart.services import get_cart
from shop.catalog.models import Product, Variant
from shop.checkout.exceptions import CheckoutError
from shop.core.models import utcnow
from shop.core.pagecache import bump_version
from shop.extensions import db
from shop.inventory.exceptions import OutOfStock
from shop.links.attribution import credit_order, source_answer_slug
from shop.orders.models import Order, OrderStatus
from shop.orders.services import (
    LineSnapshot,
    cart_fingerprint,
    close_unpaid,
    create_pending_order,
    shipping_for,
)
from shop.payments.exceptions import PaymentError, PaymentUnavailable
from shop.payments.gateway import CheckoutRequest, LineItem, ShippingOption, gateway
from shop.payments.settle import Closing, close_order, release_expired_orders, settle_session
from shop.promotions.models import Promotion
from shop.promotions.rules import AppliedCode, PromotionRefused, check_code

logger = logging.getLogger("shop.checkout")

# A pending order is reused only if the customer still has this long to pay.
REUSE_MARGIN = timedelta(minutes=2)


def _snapshots(cart: Cart) -> tuple[list[LineSnapshot], str]:
    view = cart_view(cart)
    if not view.lines:
        raise CheckoutError("Your cart is empty.")
    if not view.ready_for_checkout:
        raise CheckoutError("Some items in your cart need your attention before checkout.")
    if view.code_problem is not None:
        # The cart page shows why; the customer removes the code or changes the cart.
        raise CheckoutError(view.code_problem)
    lines = [
        LineSnapshot(
            variant_id=line.variant_id,
            product_name=line.product_name,
            size_label=line.size_label,
            sku=line.sku,
            unit_price=line.unit_price,
            quantity=line.quantity,
        )
        for line in view.lines
    ]
    return lines, view.currency


def _reusable_order(cart_id: int, fingerprint: str) -> Order | None:
    return db.session.scalar(
        sa.select(Order)
        .where(
            Order.cart_id == cart_id,
            Order.status == OrderStatus.PENDING,
            Order.cart_fingerprint == fingerprint,
            Order.checkout_expires_at > utcnow() + REUSE_MARGIN,
        )
        .order_by(Order.id.desc())
    )


def _claim_cart(cart: Cart) -> bool:
    claimed = db.session.execute(
        sa.update(Cart)
        .where(Cart.id == cart.id, Cart.version == cart.version)
        .values(version=Cart.version + 1)
        .execution_options(synchronize_session=False)
    )
    won: bool = claimed.rowcount == 1  # type: ignore[attr-defined]
    return won


def _cancel_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="checkout-cancel")


def cancel_token(order: Order) -> str:
    """The signed token in an order's `cancel_url`: it names the order and cannot be made up."""
    return str(_cancel_signer().dumps(order.public_id))


def _tax_codes(order: Order) -> dict[int, str]:
    """Each line's Stripe tax code by variant: its product's, else the shop default (one query)."""
    default = str(current_app.config["SHOP_DEFAULT_TAX_CODE"])
    variant_ids = {line.variant_id for line in order.lines if line.variant_id is not None}
    rows = db.session.execute(
        sa.select(Variant.id, Product.tax_code)
        .join(Product, Variant.product_id == Product.id)
        .where(Variant.id.in_(variant_ids))
    ).all()
    return {variant_id: code or default for variant_id, code in rows}


def _checkout_request(order: Order) -> CheckoutRequest:
    config = current_app.config
    automatic_tax = bool(config["SHOP_AUTOMATIC_TAX"])
    tax_codes = _tax_codes(order) if automatic_tax else {}
    default_tax_code = str(config["SHOP_DEFAULT_TAX_CODE"])
    shipping_name, shipping_amount = shipping_for(order.subtotal)
    assert order.checkout_expires_at is not None
    return CheckoutRequest(
        idempotency_key=f"checkout-order-{order.id}-{order.cart_fingerprint[:16]}",
        currency=order.currency,
        lines=[
            LineItem(
                name=f"{line.product_name} ({line.size_label})"
                if line.size_label
                else line.product_name,
                unit_amount=line.unit_price,
                quantity=line.quantity,
                tax_code=tax_codes.get(line.variant_id or 0, default_tax_code)
                if automatic_tax
                else None,
            )
            for line in order.lines
        ],
        shipping_options=[ShippingOption(shipping_name, shipping_amount)],
        allowed_countries=list(config["SHOP_SHIPPING_COUNTRIES"]),
        success_url=config["SHOP_BASE_URL"]
        + url_for("checkout.success")
        + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=config["SHOP_BASE_URL"] + url_for("checkout.cancel", token=cancel_token(order)),
        expires_at=order.checkout_expires_at,
        client_reference_id=str(order.id),
        metadata={
            "order_id": str(order.id),
            "order_number": order.number or "",
            # The answer that led to this sale, for reports read from Stripe too.
            "source_answer": source_answer_slug(order.id) or "",
        },
        customer_email=order.email,
        automatic_tax=automatic_tax,
        promotion_code_id=_stripe_promotion_code(order),
    )


def _stripe_promotion_code(order: Order) -> str | None:
    """The Stripe promotion code of the code the cart applied (None: none applied)."""
    if order.promotion_id is None:
        return None
    promotion = db.session.get(Promotion, order.promotion_id)
    return promotion.stripe_promotion_code_id if promotion is not None else None


def _credited_answers(answers_read: Sequence[int], promotion: Promotion | None) -> list[int]:
    """The answers an order is credited to: those read, and a reader code's answer last (its
    source), even when this visit never read it."""
    if promotion is None or promotion.answer_id is None:
        return list(answers_read)
    return [a for a in answers_read if a != promotion.answer_id] + [promotion.answer_id]


def _about_the_code(exc: PaymentError) -> bool:
    """Whether Stripe's refusal names the promotion code (or its coupon) we sent."""
    words = (exc.stripe_message or "").lower()
    return "promotion" in words or "coupon" in words


def _recheck_code(
    code: str | None, lines: Sequence[LineSnapshot], currency: str
) -> AppliedCode | None:
    """Check the cart's code again, its promotion's row locked until the order is committed.

    Runs in the unit of work that creates the pending order, after the cart is claimed: of
    two checkouts racing for a code's last redemption, the second waits for the first's
    order (SQLite's BEGIN IMMEDIATE, PostgreSQL's row lock) and then counts it. Raises
    `PromotionRefused` when it no longer applies.
    """
    if code is None:
        return None
    subtotal = sum(line.unit_price * line.quantity for line in lines)
    return check_code(code, subtotal, currency, lock=True)


def _abandon_other_pending(cart_id: int, fingerprint: str) -> None:
    """Close this cart's older pending orders, after closing their sessions: those for other
    goods, and those for the same goods whose session ends too soon to reuse (otherwise
    their hold would stand in the way of the new checkout's).

    A session is expired at Stripe first, so it can no longer be paid; if it turns out it
    was paid meanwhile, the order is fulfilled instead. If Stripe cannot be reached the old
    order is left alone: it stays valid and its hold ends when its session expires.
    """
    others = db.session.scalars(
        sa.select(Order).where(
            Order.cart_id == cart_id,
            Order.status == OrderStatus.PENDING,
            sa.or_(
                Order.cart_fingerprint != fingerprint,
                # Never a fresh one: a double click's other request may have just made it.
                Order.checkout_expires_at <= utcnow() + REUSE_MARGIN,
            ),
        )
    ).all()
    replaced = Closing(OrderStatus.CANCELLED, "Replaced by a new checkout of the cart.")
    for old in others:
        try:
            if old.stripe_session_id:
                session = gateway().expire_checkout_session(old.stripe_session_id)
                settle_session(session, old.id, replaced)
            else:
                close_order(old.id, replaced)
            db.session.commit()
        except PaymentError:
            db.session.rollback()
            logger.warning("could not close the session of order %s; leaving it", old.number)


def start_checkout(cart_token: str | None, answers_read: Sequence[int] = ()) -> str:
    """Start paying for the cart; return the Stripe Checkout URL to send the customer to.

    `answers_read` are the answers read in this visit, oldest first: the order is credited
    to them (the last as its source) when it is created.
    """
    release_expired_orders(limit=5)
    cart = get_cart(cart_token)
    if cart is None:
        raise CheckoutError("Your cart is empty.")
    lines, currency = _snapshots(cart)
    code = cart.promotion_code
    fingerprint = cart_fingerprint(lines, code)
    order = _reusable_order(cart.id, fingerprint)
    if order is None:
        _abandon_other_pending(cart.id, fingerprint)
        cart = get_cart(cart_token)
        assert cart is not None
        if not _claim_cart(cart):
            # Another request for this cart (a double click) got there first: use its order.
            db.session.rollback()
            order = _reusable_order(cart.id, fingerprint)
            if order is None:
                raise CheckoutError("Your cart changed while checking out. Please try again.")
        else:
            try:
                applied = _recheck_code(code, lines, currency)
                order = create_pending_order(
                    lines,
                    currency,
                    cart.id,
                    discount=applied.discount if applied else 0,
                    promotion=applied.promotion if applied else None,
                )
                promotion = applied.promotion if applied else None
                credit_order(order.id, _credited_answers(answers_read, promotion))
                if promotion is not None and promotion.answer_id and promotion.max_redemptions:
                    # Its answer's page offers it while redemptions are left: that page
                    # may have to change with this commit.
                    bump_version(db.session())
            except PromotionRefused as exc:
                db.session.rollback()
                raise CheckoutError(exc.message) from exc
            except OutOfStock as exc:
                db.session.rollback()
                raise CheckoutError(
                    "Someone bought the last of an item in your cart a moment ago. "
                    "Please check your cart."
                ) from exc
            # Stripe wants at least 30 minutes from the moment it creates the session; a
            # minute more covers the time until our request reaches it (but never past the
            # 24 hours it allows at most).
            minutes = int(current_app.config["CHECKOUT_SESSION_MINUTES"]) + 1
            order.checkout_expires_at = utcnow() + timedelta(minutes=min(minutes, 24 * 60))
            db.session.commit()
    if order.checkout_url and order.stripe_session_id:
        return order.checkout_url
    try:
        session = gateway().create_checkout_session(_checkout_request(order))
    except PaymentError as exc:
        db.session.rollback()
        close_unpaid(
            order, OrderStatus.CANCELLED, f"Stripe could not start the checkout: {exc.message}"
        )
        number, used_code = order.number, order.promotion_code
        db.session.commit()
        if isinstance(exc, PaymentUnavailable):  # a timeout, a 5xx, a 429: it may pass
            raise CheckoutError(
                "We could not reach our payment provider, so nothing was charged. "
                "Please try again in a minute."
            ) from exc
        if used_code is not None and _about_the_code(exc):
            # The code was ended (or used up) at Stripe after the cart checked it: the hold
            # and the redemption are released above; the customer can check out without it.
            logger.warning(
                "Stripe refused the checkout of order %s with the code %s (request %s): %s",
                number,
                used_code,
                exc.request_id or "without an id",
                exc.stripe_message or exc.message,
            )
            raise CheckoutError(
                f"The code {used_code} could not be used: our payment provider no longer "
                "accepts it. Nothing was charged. Remove the code to check out without it."
            ) from exc
        # Stripe said no to what the shop sent: trying again sends the same. Staff must look.
        logger.error(
            "Stripe refused to start the checkout of order %s (request %s): %s",
            number,
            exc.request_id or "without an id",
            exc.stripe_message or exc.message,
        )
        raise CheckoutError(
            "The payment could not be started, so nothing was charged and the items are no "
            "longer set aside for you. The problem is on our side and we have been told; "
            "please contact us if you would like to order."
        ) from exc
    db.session.execute(
        sa.update(Order)
        .where(Order.id == order.id)
        .values(stripe_session_id=session.id, checkout_url=session.url)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if not session.url:
        raise CheckoutError(
            "Our payment provider did not give us a payment page. Please try again."
        )
    return session.url


def confirm_from_success_page(session_id: str) -> Order | None:
    """Ask Stripe about a session the customer came back from and record it (idempotent).

    Only sessions of our own orders are asked about: an unknown id is None at once, so a
    made-up link never makes the shop call Stripe (the webhook still settles an order
    whose session id was never saved).
    """
    order = db.session.scalar(sa.select(Order).where(Order.stripe_session_id == session_id))
    if order is None:
        return None
    order_id = order.id
    session = gateway().retrieve_checkout_session(session_id)
    settled = settle_session(session, order_id)
    db.session.commit()
    return settled.order


class LeftPayment(enum.Enum):
    """What coming back from Stripe's page without paying did."""

    RELEASED = "released"  # the session was expired and the hold released
    PAID = "paid"  # the session had been paid after all: fulfilled, nothing released
    LATER = "later"  # Stripe could not be asked: the expiry sweep releases the hold later
    UNCHANGED = "unchanged"  # not this cart's open checkout (forged, foreign, already closed)


@dataclass(frozen=True)
class LeftCheckout:
    outcome: LeftPayment
    session_id: str | None = None


def _order_for_cancel(cart_token: str | None, token: str) -> Order | None:
    """The pending order a cancel link names, if the link is genuine and the cart is ours."""
    try:
        public_id = _cancel_signer().loads(token)
    except BadSignature:
        return None
    cart = get_cart(cart_token)
    if cart is None:
        return None
    return db.session.scalar(
        sa.select(Order).where(
            Order.public_id == str(public_id),
            Order.cart_id == cart.id,
            Order.status == OrderStatus.PENDING,
            Order.stripe_session_id.is_not(None),
        )
    )


def leave_payment_page(cart_token: str | None, token: str) -> LeftCheckout:
    """Close the checkout the customer walked away from and release its hold at once.

    Only a genuine cancel link of this visitor's cart's pending order does anything. The
    session is expired at Stripe first, so it can no longer be paid; if it was paid in the
    meantime (paid, then "back"), the order is fulfilled instead and nothing is released. If
    Stripe cannot be reached, the order is left as it is: the expiry sweep settles it later.
    Flushes; the caller commits.
    """
    order = _order_for_cancel(cart_token, token)
    if order is None or order.stripe_session_id is None:
        return LeftCheckout(LeftPayment.UNCHANGED)
    order_id, session_id, number = order.id, order.stripe_session_id, order.number
    db.session.rollback()  # no transaction (nor SQLite's lock) waits on Stripe
    try:
        session = gateway().expire_checkout_session(session_id)
    except PaymentError as exc:
        db.session.rollback()
        logger.warning(
            "order %s: could not expire its session on the way back to the shop (%s); "
            "the expiry sweep will release it",
            number,
            exc.message,
        )
        return LeftCheckout(LeftPayment.LATER, session_id)
    settle_session(
        session,
        order_id,
        # Stripe's "expired" event may have closed it a moment ago: released either way.
        Closing(OrderStatus.CANCELLED, "The customer left the payment page; hold released."),
    )
    if session.status == "complete":
        return LeftCheckout(LeftPayment.PAID, session_id)
    if session.status == "expired":
        return LeftCheckout(LeftPayment.RELEASED, session_id)
    return LeftCheckout(LeftPayment.UNCHANGED, session_id)
