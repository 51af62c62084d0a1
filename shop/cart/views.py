"""The cart page and its actions. The cart's token lives in the signed session cookie."""

from __future__ import annotations

from urllib.parse import urldefrag

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    has_request_context,
    make_response,
    redirect,
    render_template,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from shop.cart.exceptions import CartError, CodeRefused, LineNotFound
from shop.cart.forms import AddToCartForm, CartActionForm, PromotionCodeForm, QuantityForm
from shop.cart.queries import cart_item_count, cart_view, line_label, product_slug_for_sku
from shop.cart.services import (
    acknowledge_prices,
    add_item,
    apply_code,
    get_cart,
    get_or_create_cart,
    remove_code,
    remove_line,
    set_quantity,
)
from shop.core.security import safe_next
from shop.core.templating import money
from shop.extensions import db, limiter
from shop.links.attribution import answer_linking
from shop.links.stats import count, stats_buffer
from shop.links.visit import answers_seen
from shop.orders.services import shipping_for

bp = Blueprint("cart", __name__)

SESSION_KEY = "cart_token"
NOT_IN_CART = "That item is not in your cart. It may have been removed already."


def _token() -> str | None:
    token = session.get(SESSION_KEY)
    return token if isinstance(token, str) else None


def cart_count() -> int:
    """Count the units in this visitor's cart, for the header."""
    if not has_request_context():
        return 0
    token = _token()
    return cart_item_count(token) if token else 0


def _product_page(sku: str | None) -> str:
    slug = product_slug_for_sku(sku[:64]) if sku else None
    if slug is None:
        return url_for("catalog.products")
    return url_for("catalog.product", slug=slug, variant=sku)


def _added(quantity: int, label: str) -> str:
    if quantity == 1:
        return f"Added {label} to your cart."
    return f"Added {quantity} of {label} to your cart."


# A flash with this category, and the card's id after it, is shown beside that product's card
# (templates/links/_answer_products.html) rather than at the top of the page (base.html).
BESIDE_CARD = "beside:"


def card_id(slug: str) -> str:
    """The id of a product's card on a page that lists it, for `#` links back to it."""
    return f"product-{slug}"


def _beside_card(back: str | None, sku: str) -> str | None:
    """The flash category that shows the confirmation beside the product's card, when `back`
    (a checked `next`) points at that card (`...#product-<slug>`)."""
    fragment = urldefrag(back).fragment if back else ""
    if not fragment:
        return None
    slug = product_slug_for_sku(sku[:64])
    if slug is None or fragment != card_id(slug):
        return None
    return BESIDE_CARD + fragment


def _back_to_cart() -> Response:
    return redirect(url_for("cart.view"), code=303)


def _cart_page(code_form: PromotionCodeForm | None = None, status: int = 200) -> Response:
    """The cart page; `code_form` is a refused promotion code form, shown with its message."""
    cart = get_cart(_token())
    summary = cart_view(cart)
    if cart is not None and summary.notices:
        # The notices are on this page; from now on the cart compares with these prices.
        acknowledge_prices(cart.id)
        db.session.commit()
    page = render_template(
        "cart/cart.html",
        cart=summary,
        code_form=code_form or PromotionCodeForm(formdata=None),
        shipping=shipping_for(summary.subtotal)[1],
        automatic_tax=bool(current_app.config.get("SHOP_AUTOMATIC_TAX", False)),
        shipping_flat_rate=int(current_app.config["SHOP_SHIPPING_FLAT_RATE"]),
        free_shipping_over=int(current_app.config["SHOP_FREE_SHIPPING_OVER"]),
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/cart")
def view() -> Response:
    """Show the cart: lines at today's prices, problems, price changes, code, totals, checkout."""
    return _cart_page()


def _code_rate_limit() -> str:
    # Codes are short words: slow down anyone trying them one after another.
    return str(current_app.config["PROMOTION_CODE_RATE_LIMIT"])


@bp.post("/cart/code")
@limiter.limit(_code_rate_limit, methods=["POST"])
def apply_promotion() -> Response:
    """Apply a promotion code to this visitor's cart, or show beside the field why not."""
    cart = get_cart(_token())
    form = PromotionCodeForm()
    if cart is None:
        flash("Add something to your cart before entering a promotion code.", "error")
        return _back_to_cart()
    if not form.validate():
        if form.csrf_token.errors:
            flash(form.first_error(), "error")
            return _back_to_cart()
        return _cart_page(form, 400)
    try:
        applied = apply_code(cart.id, str(form.code.data))
        db.session.commit()
    except CodeRefused as exc:
        db.session.rollback()
        form.code.errors = [exc.message]
        return _cart_page(form, 400)
    except CartError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back_to_cart()
    off = money(applied.discount, applied.promotion.currency)
    flash(f"The code {applied.promotion.code} takes {off} off your order.")
    return _back_to_cart()


@bp.post("/cart/code/remove")
def remove_promotion() -> Response:
    """Take the promotion code off this visitor's cart."""
    cart = get_cart(_token())
    form = CartActionForm()
    if cart is None:
        return _back_to_cart()
    if not form.validate():
        flash(form.first_error(), "error")
        return _back_to_cart()
    removed = remove_code(cart.id)
    db.session.commit()
    if removed:
        flash(f"Removed the code {removed} from your cart.")
    return _back_to_cart()


@bp.post("/cart/add")
def add() -> Response:
    """Add a size of a product to the cart, making the cart on the first add."""
    form = AddToCartForm()
    if not form.validate():
        flash(form.first_error(), "error")
        return redirect(_product_page(form.variant.data), code=303)
    try:
        cart = get_or_create_cart(_token())
        line = add_item(cart.id, form.variant.data, form.units())
        message = _added(form.units(), line_label(cart.id, line.id) or "the item")
        token = cart.token
        # Credit the add to the answer read in this visit that recommends the product.
        credited = answer_linking(answers_seen(), line.variant.product_id)
        db.session.commit()
    except CartError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(_product_page(form.variant.data), code=303)
    session[SESSION_KEY] = token
    session.permanent = True
    # Added from a page listing products (an answer's recommendations): back to that product's
    # card, with the confirmation beside it, rather than at the top of a long page.
    back = safe_next(form.next.data)
    beside = _beside_card(back, form.variant.data)
    if beside is None:
        flash(message)
    else:
        flash(message, beside)
    response = redirect(back or url_for("cart.view"), code=303)
    if credited is not None and count(credited, "add_to_carts"):
        response.call_on_close(stats_buffer().flush)
    return response


@bp.post("/cart/lines/<int:line_id>")
def update(line_id: int) -> Response:
    """Change the quantity of one line of this visitor's cart."""
    cart = get_cart(_token())
    label = line_label(cart.id, line_id) if cart is not None else None
    if cart is None or label is None:
        abort(404, description=NOT_IN_CART)
    form = QuantityForm()
    if not form.validate():
        flash(form.first_error(), "error")
        return _back_to_cart()
    try:
        set_quantity(cart.id, line_id, form.units())
        db.session.commit()
    except LineNotFound:
        db.session.rollback()
        abort(404, description=NOT_IN_CART)
    except CartError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back_to_cart()
    flash(f"{label}: the quantity is now {form.units()}.")
    return _back_to_cart()


@bp.post("/cart/lines/<int:line_id>/remove")
def remove(line_id: int) -> Response:
    """Take one line out of this visitor's cart."""
    cart = get_cart(_token())
    label = line_label(cart.id, line_id) if cart is not None else None
    if cart is None or label is None:
        abort(404, description=NOT_IN_CART)
    form = CartActionForm()
    if not form.validate():
        flash(form.first_error(), "error")
        return _back_to_cart()
    try:
        remove_line(cart.id, line_id)
        db.session.commit()
    except LineNotFound:
        db.session.rollback()
        abort(404, description=NOT_IN_CART)
    flash(f"Removed {label} from your cart.")
    return _back_to_cart()
