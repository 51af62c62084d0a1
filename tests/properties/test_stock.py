"""Random sequences of cart operations and checkouts (hypothesis) against a model of the shop:
stock never goes negative, nothing is held or sold beyond what is on hand, and a cart's
totals are always its lines' prices times their quantities."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop.cart.exceptions import CartError
from shop.cart.models import Cart
from shop.cart.queries import CartView, cart_view
from shop.cart.services import add_item, get_or_create_cart, remove_line, set_quantity
from shop.extensions import db
from shop.inventory.exceptions import OutOfStock
from shop.inventory.models import StockRecord
from shop.inventory.services import allocate_stock, consume_stock, release_stock
from tests.factories import make_product

CARTS = 3
SIZES = [("30 ml", 1850, 3), ("50 ml", 2800, 1), ("100 ml", 4200, 0)]  # label, price, stock

# Mostly what a shopper would pick, sometimes what a forged form would send.
quantities = st.integers(1, 3) | st.sampled_from([-1, 0, 10, 11])
operation = st.one_of(
    st.tuples(st.just("add"), st.integers(0, CARTS - 1), st.integers(0, 2), quantities),
    st.tuples(st.just("set"), st.integers(0, CARTS - 1), st.integers(0, 2), quantities),
    st.tuples(st.just("remove"), st.integers(0, CARTS - 1), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("checkout"), st.integers(0, CARTS - 1), st.just(0), st.just(0)),
    st.tuples(st.just("expire"), st.integers(0, CARTS - 1), st.just(0), st.just(0)),
    st.tuples(st.just("pay"), st.integers(0, CARTS - 1), st.just(0), st.just(0)),
)
_names = itertools.count()


@dataclass
class Model:
    """What the shop should hold: stock per size and each cart's open checkout."""

    on_hand: dict[int, int]
    allocated: dict[int, int]
    held: dict[int, dict[int, int]] = field(default_factory=dict)  # cart -> {variant: qty}


def _view(cart_id: int) -> CartView:
    return cart_view(db.session.get(Cart, cart_id))


def _stock(variant_ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = db.session.execute(
        sa.select(StockRecord.variant_id, StockRecord.on_hand, StockRecord.allocated).where(
            StockRecord.variant_id.in_(variant_ids)
        )
    )
    return {vid: (on_hand, allocated) for vid, on_hand, allocated in rows}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operation, max_size=25))
def test_carts_and_checkouts_never_oversell_or_miscount(
    app: Flask, steps: list[tuple[str, int, int, int]]
) -> None:
    product = make_product(f"Fuzz Serum {next(_names)}", variants=SIZES)
    variants = [(v.id, v.sku, v.price) for v in product.variants]
    ids = [vid for vid, _, _ in variants]
    carts = [get_or_create_cart(None).id for _ in range(CARTS)]
    db.session.flush()
    model = Model(
        on_hand={vid: stock for (vid, _, _), (_, _, stock) in zip(variants, SIZES, strict=True)},
        allocated=dict.fromkeys(ids, 0),
    )

    for action, cart_index, size, quantity in steps:
        cart_id = carts[cart_index]
        vid, sku, _ = variants[size]
        savepoint = db.session.begin_nested()
        try:
            if action == "add":
                add_item(cart_id, sku, quantity)
            elif action in ("set", "remove"):
                lines = {line.variant_id: line.line_id for line in _view(cart_id).lines}
                if vid not in lines:
                    savepoint.rollback()
                    continue
                if action == "set":
                    set_quantity(cart_id, lines[vid], quantity)
                else:
                    remove_line(cart_id, lines[vid])
            elif action == "checkout" and cart_id not in model.held:
                wanted = {line.variant_id: line.quantity for line in _view(cart_id).lines}
                if not wanted:
                    savepoint.rollback()
                    continue
                allocate_stock(wanted)
                model.held[cart_id] = wanted
                for v, q in wanted.items():
                    model.allocated[v] += q
            elif action == "expire" and cart_id in model.held:
                release_stock(model.held[cart_id])
                for v, q in model.held.pop(cart_id).items():
                    model.allocated[v] -= q
            elif action == "pay" and cart_id in model.held:
                consume_stock(model.held[cart_id])
                for v, q in model.held.pop(cart_id).items():
                    model.allocated[v] -= q
                    model.on_hand[v] -= q
            savepoint.commit()
        except (CartError, OutOfStock):
            savepoint.rollback()
            if action == "checkout":
                # Refused whole: the model holds nothing for it either.
                assert cart_id not in model.held

        stock = _stock(ids)
        for v in ids:
            on_hand, allocated = stock[v]
            assert (on_hand, allocated) == (model.on_hand[v], model.allocated[v]), action
            assert on_hand >= 0
            assert 0 <= allocated <= on_hand
        for c in carts:
            view = _view(c)
            assert view.subtotal == sum(line.unit_price * line.quantity for line in view.lines)
            assert view.item_count == sum(line.quantity for line in view.lines)
            for line in view.lines:
                assert line.line_total == line.unit_price * line.quantity
                assert 1 <= line.quantity <= 10
    db.session.rollback()
