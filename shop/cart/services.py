"""Changes to carts. Services flush; the view (or checkout) that called them commits once.

Every change starts with one UPDATE that bumps the cart's version. That UPDATE locks the
cart (its row on PostgreSQL, the database on SQLite), so two requests on one cart take
turns instead of both adding a line, and it tells checkout the cart moved on since it
looked. Refusals raise `CartError`; the caller rolls back, which undoes the bump too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from shop.cart.exceptions import CartError, CodeRefused, LineNotFound
from shop.cart.models import MAX_QUANTITY, TOKEN_LENGTH, Cart, CartLine
from shop.cart.queries import cart_view, held_for_cart, item_label, own_checkout_with
from shop.catalog.models import Product, ProductStatus, Variant
from shop.core.models import utcnow
from shop.extensions import db
from shop.inventory.models import StockRecord
from shop.orders.models import Order
from shop.orders.signals import order_paid
from shop.promotions.rules import AppliedCode, PromotionRefused, check_code


def get_cart(token: str | None) -> Cart | None:
    """Return the cart with this token, or None."""
    if not token or len(token) != TOKEN_LENGTH:
        return None
    return db.session.scalar(sa.select(Cart).where(Cart.token == token))


def get_or_create_cart(token: str | None) -> Cart:
    """Return the cart with this token, or a new empty one with a fresh random token."""
    cart = get_cart(token)
    if cart is None:
        cart = Cart(token=secrets.token_urlsafe(32), version=0)
        db.session.add(cart)
        db.session.flush()
    return cart


@dataclass(frozen=True)
class _Offer:
    """A variant as the cart's rules need it: what it is called, costs and has left."""

    variant_id: int
    label: str
    price: int
    currency: str
    status: ProductStatus
    available: int


def _offer(cart_id: int, *where: sa.ColumnElement[bool]) -> _Offer | None:
    row = db.session.execute(
        sa.select(
            Variant.id,
            Variant.size_label,
            Variant.price,
            Variant.currency,
            Product.name,
            Product.status,
            # What the cart's own unpaid checkout holds is still the shopper's to buy.
            (
                sa.func.coalesce(StockRecord.on_hand - StockRecord.allocated, 0)
                + held_for_cart(cart_id, Variant.id)
            ).label("available"),
        )
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(StockRecord, StockRecord.variant_id == Variant.id)
        .where(*where)
    ).first()
    if row is None:
        return None
    return _Offer(
        variant_id=row.id,
        label=item_label(row.name, row.size_label),
        price=row.price,
        currency=row.currency,
        status=row.status,
        available=max(0, int(row.available)),
    )


def _lock_cart(cart_id: int) -> bool:
    """Bump the cart's version (locking it until commit); False when there is no such cart."""
    bumped = db.session.execute(
        sa.update(Cart)
        .where(Cart.id == cart_id)
        .values(version=Cart.version + 1, updated_at=utcnow())
        .returning(Cart.id)
        .execution_options(synchronize_session="fetch")
    ).scalar_one_or_none()
    return bumped is not None


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise CartError(f"Choose a quantity from 1 to {MAX_QUANTITY}.")


def _check_can_buy(offer: _Offer, wanted: int, already: int = 0) -> None:
    """Refuse `wanted` units in total of `offer`, `already` of them being in the cart."""
    if offer.status is not ProductStatus.ACTIVE or (
        offer.currency != current_app.config["SHOP_CURRENCY"]
    ):
        raise CartError(f"{offer.label} is no longer sold.")
    if offer.available <= 0:
        raise CartError(f"{offer.label} is sold out.")
    in_cart = f" You already have {already} in your cart." if already else ""
    if wanted > offer.available and offer.available < MAX_QUANTITY:
        raise CartError(f"Only {offer.available} left of {offer.label}.{in_cart}")
    if wanted > MAX_QUANTITY:
        raise CartError(f"You can buy at most {MAX_QUANTITY} of {offer.label}.{in_cart}")


def _line(cart_id: int, line_id: int) -> CartLine:
    line = db.session.scalar(
        sa.select(CartLine).where(CartLine.id == line_id, CartLine.cart_id == cart_id)
    )
    if line is None:
        raise LineNotFound("That item is not in your cart. It may have been removed already.")
    return line


def add_item(cart_id: int, sku: str, quantity: int) -> CartLine:
    """Put `quantity` units of the SKU in the cart, adding to a line already there."""
    _check_quantity(quantity)
    if not _lock_cart(cart_id):
        raise CartError("We could not find your cart. Please add the item again.")
    offer = _offer(cart_id, Variant.sku == sku)
    if offer is None or offer.status is ProductStatus.DRAFT:
        raise CartError("We could not find that product. Please choose a size and try again.")
    line = db.session.scalar(
        sa.select(CartLine).where(
            CartLine.cart_id == cart_id, CartLine.variant_id == offer.variant_id
        )
    )
    already = line.quantity if line is not None else 0
    _check_can_buy(offer, already + quantity, already)
    if line is None:
        line = CartLine(
            cart_id=cart_id, variant_id=offer.variant_id, quantity=quantity, price_seen=offer.price
        )
        db.session.add(line)
    else:
        line.quantity = already + quantity
        # Adding from the product page, the shopper has just seen today's price.
        line.price_seen = offer.price
    db.session.flush()
    return line


def set_quantity(cart_id: int, line_id: int, quantity: int) -> CartLine:
    """Change how many units a line holds (1 to 10; removing is `remove_line`)."""
    if not _lock_cart(cart_id):
        raise LineNotFound("That item is not in your cart. It may have been removed already.")
    line = _line(cart_id, line_id)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise CartError(
            f"Choose a quantity from 1 to {MAX_QUANTITY}. To take an item out, use Remove."
        )
    offer = _offer(cart_id, Variant.id == line.variant_id)
    assert offer is not None  # the line's foreign key keeps its variant
    _check_can_buy(offer, quantity)
    line.quantity = quantity
    db.session.flush()
    return line


def remove_line(cart_id: int, line_id: int) -> None:
    """Take a line out of the cart."""
    if not _lock_cart(cart_id):
        raise LineNotFound("That item is not in your cart. It may have been removed already.")
    db.session.delete(_line(cart_id, line_id))
    db.session.flush()


def clear_cart(cart_id: int) -> None:
    """Empty the cart (after its order is paid); a cart that is gone is left alone."""
    if not _lock_cart(cart_id):
        return
    db.session.execute(
        sa.delete(CartLine)
        .where(CartLine.cart_id == cart_id)
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()


def clear_paid_cart(order: Order, **_: object) -> None:
    """Empty the cart a paid order was bought from (a receiver of `order_paid`)."""
    if order.cart_id is not None:
        # Bought, so out of the cart (the customer may never come back to the success page).
        clear_cart(order.cart_id)


def listen_to_orders() -> None:
    """Connect the cart's receivers to the orders' signals (again: no-op)."""
    order_paid.connect(clear_paid_cart)


def acknowledge_prices(cart_id: int) -> None:
    """Remember today's prices as seen, once the cart page has told the shopper of changes."""
    current = sa.select(Variant.price).where(Variant.id == CartLine.variant_id).scalar_subquery()
    db.session.execute(
        sa.update(CartLine)
        .where(CartLine.cart_id == cart_id, CartLine.price_seen != current)
        .values(price_seen=current)
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()


def apply_code(cart_id: int, code: str) -> AppliedCode:
    """Check a promotion code against the cart's goods and keep it on the cart if it applies.

    A refused code raises `CodeRefused` with the reason; nothing is stored (the caller rolls
    back) and no redemption is held: a code is only held by a checkout's pending order.
    """
    if not _lock_cart(cart_id):
        raise CartError("We could not find your cart. Please add an item first.")
    cart = db.session.get(Cart, cart_id)
    assert cart is not None
    view = cart_view(cart)
    if not view.lines:
        raise CartError("Add something to your cart before entering a promotion code.")
    try:
        applied = check_code(
            code, view.subtotal, view.currency, excluding_order=own_checkout_with(cart_id, code)
        )
    except PromotionRefused as exc:
        raise CodeRefused(exc.message) from exc
    cart.promotion_code = applied.promotion.code
    db.session.flush()
    return applied


def remove_code(cart_id: int) -> str | None:
    """Take the promotion code off the cart; return the code that was there (or None)."""
    if not _lock_cart(cart_id):
        return None
    cart = db.session.get(Cart, cart_id)
    assert cart is not None
    removed = cart.promotion_code
    cart.promotion_code = None
    db.session.flush()
    return removed
