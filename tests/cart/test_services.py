"""The cart's rules: adding, changing, removing, refusals, problems and price changes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from shop.cart.exceptions import CartError, LineNotFound
from shop.cart.models import Cart, CartLine
from shop.cart.queries import cart_item_count, cart_view
from shop.cart.services import (
    acknowledge_prices,
    add_item,
    clear_cart,
    get_cart,
    get_or_create_cart,
    remove_line,
    set_quantity,
)
from shop.catalog.models import Product, ProductStatus, Variant
from shop.inventory.models import StockRecord
from tests.factories import make_cart, make_product
from tests.sql import counted_selects

CREAM = "Barrier Repair Cream (50 ml)"


@pytest.fixture
def cream(db: SQLAlchemy) -> Product:
    """$28.00 for 50 ml, 20 on hand."""
    return make_product(
        "Barrier Repair Cream", slug="barrier-cream", variants=[("50 ml", 2800, 20)]
    )


def sku(product: Product, index: int = 0) -> str:
    return product.variants[index].sku


def hold(db: SQLAlchemy, variant: Variant, allocated: int) -> None:
    """Pretend open checkouts hold `allocated` units of the variant."""
    db.session.execute(
        sa.update(StockRecord)
        .where(StockRecord.variant_id == variant.id)
        .values(allocated=allocated)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def set_price(db: SQLAlchemy, variant: Variant, price: int) -> None:
    db.session.execute(
        sa.update(Variant)
        .where(Variant.id == variant.id)
        .values(price=price)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def version(db: SQLAlchemy, cart_id: int) -> int:
    return int(db.session.scalar(sa.select(Cart.version).where(Cart.id == cart_id)) or 0)


def test_a_new_cart_gets_a_long_random_token_and_is_found_by_it(db: SQLAlchemy) -> None:
    cart = get_or_create_cart(None)
    other = get_or_create_cart("not-a-real-token")
    assert len(cart.token) == 43
    assert cart.token != other.token
    assert get_cart(cart.token) is cart
    assert get_or_create_cart(cart.token) is cart
    assert get_cart(None) is None
    assert get_cart("x" * 43) is None


def test_add_item_puts_the_size_in_the_cart_at_todays_price(db: SQLAlchemy, cream: Product) -> None:
    cart = make_cart()
    line = add_item(cart.id, sku(cream), 2)
    assert (line.quantity, line.price_seen) == (2, 2800)

    view = cart_view(cart)
    assert [(item.product_name, item.size_label, item.quantity) for item in view.lines] == [
        ("Barrier Repair Cream", "50 ml", 2)
    ]
    only = view.lines[0]
    assert (only.unit_price, only.line_total, only.available, only.max_quantity) == (
        2800,
        5600,
        20,
        10,
    )
    assert only.image is not None
    assert only.image.alt_text == "Barrier Repair Cream bottle"
    assert (view.subtotal, view.item_count, view.currency) == (5600, 2, "USD")
    assert view.ready_for_checkout
    assert view.notices == []
    assert cart_item_count(cart.token) == 2


def test_adding_the_same_size_again_increases_its_line(db: SQLAlchemy, cream: Product) -> None:
    cart = make_cart()
    first = add_item(cart.id, sku(cream), 2)
    again = add_item(cart.id, sku(cream), 3)
    assert again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CartLine)) == 1
    assert cart_view(cart).item_count == 5


def test_set_quantity_and_remove_line(db: SQLAlchemy, cream: Product) -> None:
    other = make_product("Gentle Cleanser", variants=[("150 ml", 1400, 5)])
    cart = make_cart()
    line = add_item(cart.id, sku(cream), 1)
    add_item(cart.id, sku(other), 1)

    set_quantity(cart.id, line.id, 4)
    assert cart_view(cart).subtotal == 4 * 2800 + 1400

    remove_line(cart.id, line.id)
    assert [item.product_name for item in cart_view(cart).lines] == ["Gentle Cleanser"]


def test_every_change_bumps_the_carts_version(db: SQLAlchemy, cream: Product) -> None:
    cart = make_cart()
    seen = [version(db, cart.id)]
    line = add_item(cart.id, sku(cream), 1)
    seen.append(version(db, cart.id))
    set_quantity(cart.id, line.id, 2)
    seen.append(version(db, cart.id))
    remove_line(cart.id, line.id)
    seen.append(version(db, cart.id))
    clear_cart(cart.id)
    seen.append(version(db, cart.id))
    assert seen == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("on_hand", "allocated", "in_cart", "quantity", "message"),
    [
        (20, 0, 0, 0, "Choose a quantity from 1 to 10."),
        (20, 0, 0, -1, "Choose a quantity from 1 to 10."),
        (20, 0, 0, 11, "Choose a quantity from 1 to 10."),
        (0, 0, 0, 1, f"{CREAM} is sold out."),
        (3, 0, 0, 4, f"Only 3 left of {CREAM}."),
        (3, 0, 2, 2, f"Only 3 left of {CREAM}. You already have 2 in your cart."),
        (20, 0, 8, 3, f"You can buy at most 10 of {CREAM}. You already have 8 in your cart."),
        # Units held by open checkouts cannot be sold again.
        (5, 3, 0, 3, f"Only 2 left of {CREAM}."),
        (5, 5, 0, 1, f"{CREAM} is sold out."),
    ],
)
def test_add_item_refuses_what_cannot_be_bought(
    db: SQLAlchemy,
    on_hand: int,
    allocated: int,
    in_cart: int,
    quantity: int,
    message: str,
) -> None:
    cream = make_product("Barrier Repair Cream", variants=[("50 ml", 2800, on_hand)])
    variant = cream.variants[0]
    cart = make_cart([(variant, in_cart)] if in_cart else [])
    hold(db, variant, allocated)
    with pytest.raises(CartError) as refused:
        add_item(cart.id, variant.sku, quantity)
    assert refused.value.message == message


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (ProductStatus.ARCHIVED, f"{CREAM} is no longer sold."),
        (
            ProductStatus.DRAFT,
            "We could not find that product. Please choose a size and try again.",
        ),
    ],
)
def test_add_item_refuses_a_product_not_on_sale(
    db: SQLAlchemy, status: ProductStatus, message: str
) -> None:
    cream = make_product("Barrier Repair Cream", status=status, variants=[("50 ml", 2800, 20)])
    cart = make_cart()
    with pytest.raises(CartError) as refused:
        add_item(cart.id, sku(cream), 1)
    assert refused.value.message == message


def test_add_item_refuses_an_unknown_sku(db: SQLAlchemy) -> None:
    cart = make_cart()
    with pytest.raises(CartError, match="We could not find that product"):
        add_item(cart.id, "NO-SUCH-SKU", 1)


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "Choose a quantity from 1 to 10. To take an item out, use Remove."),
        (11, "Choose a quantity from 1 to 10. To take an item out, use Remove."),
        (4, f"Only 3 left of {CREAM}."),
    ],
)
def test_set_quantity_refuses_what_cannot_be_bought(
    db: SQLAlchemy, quantity: int, message: str
) -> None:
    cream = make_product("Barrier Repair Cream", variants=[("50 ml", 2800, 3)])
    cart = make_cart([(cream.variants[0], 1)])
    with pytest.raises(CartError) as refused:
        set_quantity(cart.id, cart.lines[0].id, quantity)
    assert refused.value.message == message


def test_set_quantity_refuses_a_product_that_is_no_longer_sold(
    db: SQLAlchemy, cream: Product
) -> None:
    cart = make_cart([(cream.variants[0], 2)])
    cream.status = ProductStatus.ARCHIVED
    db.session.flush()
    with pytest.raises(CartError) as refused:
        set_quantity(cart.id, cart.lines[0].id, 1)
    assert refused.value.message == f"{CREAM} is no longer sold."


def test_another_carts_line_cannot_be_changed_or_removed(db: SQLAlchemy, cream: Product) -> None:
    mine = make_cart()
    theirs = make_cart([(cream.variants[0], 2)])
    their_line = theirs.lines[0].id
    with pytest.raises(LineNotFound):
        set_quantity(mine.id, their_line, 1)
    with pytest.raises(LineNotFound):
        remove_line(mine.id, their_line)
    with pytest.raises(LineNotFound):
        remove_line(theirs.id, 999_999)
    assert cart_view(theirs).item_count == 2


def test_the_database_refuses_a_quantity_outside_1_to_10(db: SQLAlchemy, cream: Product) -> None:
    cart = make_cart()
    db.session.add(
        CartLine(cart_id=cart.id, variant_id=cream.variants[0].id, quantity=11, price_seen=1)
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_price_change_is_told_once(db: SQLAlchemy, cream: Product) -> None:
    cart = make_cart([(cream.variants[0], 2)])
    set_price(db, cream.variants[0], 3000)

    view = cart_view(cart)
    line = view.lines[0]
    assert (line.unit_price, line.price_changed_from, line.line_total) == (3000, 2800, 6000)
    assert view.notices == [
        f"The price of {CREAM} changed from $28.00 to $30.00 since you added it."
    ]
    assert view.ready_for_checkout, "a new price is news, not a reason to stop"

    acknowledge_prices(cart.id)
    again = cart_view(cart)
    assert again.notices == []
    assert again.lines[0].price_changed_from is None
    assert again.subtotal == 6000


def test_problems_block_checkout(db: SQLAlchemy) -> None:
    kept = make_product("Kept Serum", variants=[("30 ml", 4000, 10)])
    archived = make_product("Old Toner", variants=[("100 ml", 1500, 10)])
    gone = make_product("Popular Mask", variants=[("75 ml", 2200, 10)])
    scarce = make_product("Rare Oil", variants=[("15 ml", 5000, 10)])
    cart = make_cart(
        [
            (kept.variants[0], 1),
            (archived.variants[0], 1),
            (gone.variants[0], 1),
            (scarce.variants[0], 4),
        ]
    )
    archived.status = ProductStatus.ARCHIVED
    db.session.flush()
    hold(db, gone.variants[0], 10)
    hold(db, scarce.variants[0], 8)

    view = cart_view(cart)
    problems = {line.product_name: (line.problem, line.max_quantity) for line in view.lines}
    assert problems == {
        "Kept Serum": (None, 10),
        "Old Toner": ("This product is no longer sold.", 0),
        "Popular Mask": ("Sold out.", 0),
        "Rare Oil": ("Only 2 left: lower the quantity to buy it.", 2),
    }
    assert not view.ready_for_checkout

    scarce_line = next(line for line in view.lines if line.product_name == "Rare Oil")
    set_quantity(cart.id, scarce_line.line_id, 2)
    for line in view.lines:
        if line.product_name in ("Old Toner", "Popular Mask"):
            remove_line(cart.id, line.line_id)
    assert cart_view(cart).ready_for_checkout


def test_an_empty_or_missing_cart_is_not_ready_for_checkout(db: SQLAlchemy) -> None:
    assert not cart_view(None).ready_for_checkout
    assert not cart_view(make_cart()).ready_for_checkout
    assert cart_view(None).subtotal == 0


def test_clear_cart_empties_it(db: SQLAlchemy, cream: Product) -> None:
    other = make_product("Gentle Cleanser", variants=[("150 ml", 1400, 5)])
    cart = make_cart([(cream.variants[0], 2), (other.variants[0], 1)])
    kept = make_cart([(cream.variants[0], 1)])
    clear_cart(cart.id)
    clear_cart(999_999)  # a cart that is gone already: nothing to do
    assert cart_view(cart).lines == []
    assert cart_view(kept).item_count == 1


def test_the_cart_is_read_in_one_query_however_many_lines(db: SQLAlchemy) -> None:
    products = [make_product(variants=[("50 ml", 1000 + n, 5)]) for n in range(4)]
    cart_id = make_cart([(p.variants[0], 1) for p in products]).id
    db.session.commit()
    cart = db.session.get(Cart, cart_id)
    with counted_selects(db) as statements:
        view = cart_view(cart)
        images = [line.image.path for line in view.lines if line.image is not None]
    assert len(images) == 4
    assert len(statements) == 1
