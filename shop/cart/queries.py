"""Reads of carts: the cart page, the header count, and what checkout buys.

Prices, stock and whether a product is still sold are always read from the catalogue at
the moment of asking; a cart line only remembers the price the shopper last saw, so the
page can say when it changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from shop.cart.models import MAX_QUANTITY, Cart, CartLine
from shop.catalog.models import Product, ProductImage, ProductStatus, Variant
from shop.core.templating import money
from shop.extensions import db
from shop.inventory.models import StockRecord
from shop.orders.models import Order, OrderLine, OrderStatus
from shop.promotions.rules import PromotionRefused, check_code, normalise_code

NO_LONGER_SOLD = "This product is no longer sold."
SOLD_OUT = "Sold out."


def item_label(product_name: str, size_label: str) -> str:
    """Name an item as messages do: "Barrier Repair Cream (50 ml)"."""
    return f"{product_name} ({size_label})" if size_label else product_name


@dataclass(frozen=True)
class CartLineView:
    """One line as the cart page and checkout see it, at today's price and stock."""

    line_id: int
    variant_id: int
    sku: str
    product_name: str
    product_slug: str
    size_label: str
    image: ProductImage | None
    quantity: int
    unit_price: int
    currency: str
    line_total: int
    # Units that can be bought now (0 when the product is no longer sold).
    available: int
    max_quantity: int
    problem: str | None
    price_changed_from: int | None

    @property
    def label(self) -> str:
        return item_label(self.product_name, self.size_label)


@dataclass(frozen=True)
class CartView:
    """A cart's lines with totals, and whether it can go to checkout as it is."""

    lines: list[CartLineView]
    subtotal: int
    currency: str
    item_count: int
    notices: list[str]
    # The promotion code kept on the cart, what it takes off today (0 when it no longer
    # applies) and, when it does not apply, why.
    promotion_code: str | None = None
    discount: int = 0
    code_problem: str | None = None

    @property
    def ready_for_checkout(self) -> bool:
        return bool(self.lines) and all(line.problem is None for line in self.lines)

    @property
    def code_applies(self) -> bool:
        return self.promotion_code is not None and self.code_problem is None


def held_for_cart(cart_id: Any, variant_id: Any) -> sa.ScalarSelect[int]:
    """The units of a variant that a cart's own unpaid checkouts hold (a scalar subquery).

    They are the shopper's own: back from Stripe's page (a declined card, a change of mind)
    the cart may still buy them, and checking out again reuses or replaces that checkout.
    """
    return (
        sa.select(sa.func.coalesce(sa.func.sum(OrderLine.quantity), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.cart_id == cart_id,
            Order.status == OrderStatus.PENDING,
            OrderLine.variant_id == variant_id,
        )
        .scalar_subquery()
    )


def _problem(sold: bool, available: int, quantity: int) -> str | None:
    if not sold:
        return NO_LONGER_SOLD
    if available <= 0:
        return SOLD_OUT
    if quantity > available:
        return f"Only {available} left: lower the quantity to buy it."
    return None


def cart_view(cart: Cart | None) -> CartView:
    """Read a cart with current prices, stock and problems, in one query."""
    currency = str(current_app.config["SHOP_CURRENCY"])
    if cart is None:
        return CartView(lines=[], subtotal=0, currency=currency, item_count=0, notices=[])
    image = aliased(ProductImage, name="image")
    candidate = aliased(ProductImage)
    first_image_id = (
        sa.select(candidate.id)
        .where(candidate.product_id == Product.id)
        .order_by(candidate.position, candidate.id)
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(
            CartLine.id,
            CartLine.variant_id,
            CartLine.quantity,
            CartLine.price_seen,
            Variant.sku,
            Variant.size_label,
            Variant.price,
            Variant.currency,
            Product.name,
            Product.slug,
            Product.status,
            (
                sa.func.coalesce(StockRecord.on_hand - StockRecord.allocated, 0)
                + held_for_cart(CartLine.cart_id, CartLine.variant_id)
            ).label("available"),
            image,
        )
        .select_from(CartLine)
        .join(Variant, Variant.id == CartLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(StockRecord, StockRecord.variant_id == Variant.id)
        .outerjoin(image, image.id == first_image_id)
        .where(CartLine.cart_id == cart.id)
        .order_by(CartLine.id)
    ).all()
    lines: list[CartLineView] = []
    notices: list[str] = []
    for row in rows:
        # A variant priced in another currency cannot be added up with the rest.
        sold = row.status is ProductStatus.ACTIVE and row.currency == currency
        available = max(0, int(row.available)) if sold else 0
        changed = row.price_seen if row.price_seen != row.price else None
        line = CartLineView(
            line_id=row.id,
            variant_id=row.variant_id,
            sku=row.sku,
            product_name=row.name,
            product_slug=row.slug,
            size_label=row.size_label,
            image=row.image,
            quantity=row.quantity,
            unit_price=row.price,
            currency=row.currency,
            line_total=row.price * row.quantity,
            available=available,
            max_quantity=min(available, MAX_QUANTITY),
            problem=_problem(sold, available, row.quantity),
            price_changed_from=changed,
        )
        lines.append(line)
        if changed is not None:
            notices.append(
                f"The price of {line.label} changed from {money(changed, line.currency)} "
                f"to {money(line.unit_price, line.currency)} since you added it."
            )
    subtotal = sum(line.line_total for line in lines)
    discount, problem = _code_today(cart.id, cart.promotion_code, subtotal, currency)
    return CartView(
        lines=lines,
        subtotal=subtotal,
        currency=currency,
        item_count=sum(line.quantity for line in lines),
        notices=notices,
        promotion_code=cart.promotion_code,
        discount=discount,
        code_problem=problem,
    )


def own_checkout_with(cart_id: int, code: str) -> int | None:
    """The id of this cart's unpaid checkout that holds a redemption of `code`, if any."""
    found: int | None = db.session.scalar(
        sa.select(Order.id)
        .where(
            Order.cart_id == cart_id,
            Order.status == OrderStatus.PENDING,
            Order.promotion_code == normalise_code(code),
        )
        .order_by(Order.id.desc())
        .limit(1)
    )
    return found


def _code_today(
    cart_id: int, code: str | None, subtotal: int, currency: str
) -> tuple[int, str | None]:
    """What the cart's code takes off the goods as they are now, or why it no longer applies.

    Checked on every read: since the code was applied the cart may have shrunk below the
    minimum, or the promotion ended, expired or was used up. The redemption this cart's own
    unpaid checkout holds is still the shopper's (as its stock is). Checkout checks the code
    once more, with the promotion locked.
    """
    if code is None:
        return 0, None
    try:
        applied = check_code(
            code, subtotal, currency, excluding_order=own_checkout_with(cart_id, code)
        )
        return applied.discount, None
    except PromotionRefused as exc:
        return 0, exc.message


def cart_item_count(token: str) -> int:
    """Count the units in the cart with this token (0 when there is none)."""
    count = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(CartLine.quantity), 0))
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(Cart.token == token)
    )
    return int(count or 0)


def line_label(cart_id: int, line_id: int) -> str | None:
    """Name the item on a line of this cart, or None when the line is not in it."""
    row = db.session.execute(
        sa.select(Product.name, Variant.size_label)
        .select_from(CartLine)
        .join(Variant, Variant.id == CartLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(CartLine.id == line_id, CartLine.cart_id == cart_id)
    ).first()
    return item_label(row.name, row.size_label) if row is not None else None


def product_slug_for_sku(sku: str) -> str | None:
    """Find the product page of a SKU a shopper posted, to send them back to it."""
    return db.session.scalar(
        sa.select(Product.slug)
        .join(Variant, Variant.product_id == Product.id)
        .where(Variant.sku == sku, Product.status != ProductStatus.DRAFT)
    )
