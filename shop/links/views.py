"""Tie-in pages: clicks from an answer to a product, and "add this routine to cart"."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, session, url_for
from werkzeug.wrappers import Response

from shop.cart.exceptions import CartError
from shop.cart.services import add_item, get_or_create_cart
from shop.catalog.queries import storefront_product
from shop.editorial.queries import public_answer
from shop.extensions import db
from shop.links.queries import answer_products, routine_skus
from shop.links.stats import count, stats_buffer
from shop.links.visit import note_answer_seen

bp = Blueprint("links", __name__)


@bp.get("/answers/<slug>/products/<product_slug>")
def to_product(slug: str, product_slug: str) -> Response:
    """Follow a recommendation: count the click for the answer, then show the product."""
    answer = public_answer(slug)
    product = storefront_product(product_slug)
    if answer is None or product is None:
        abort(404, description="We could not find that recommendation.")
    response = redirect(url_for("catalog.product", slug=product.slug), code=302)
    if any(item.product.id == product.id for item in answer_products(answer.id)):
        note_answer_seen(answer.id)
        if count(answer.id, "product_clicks"):
            response.call_on_close(stats_buffer().flush)
    return response


@bp.post("/answers/<slug>/routine")
def add_routine(slug: str) -> Response:
    """Add every recommended product that can be bought now (default size, one each)."""
    answer = public_answer(slug)
    if answer is None:
        abort(404, description="We could not find that answer.")
    skus = routine_skus(answer.id)
    cart = get_or_create_cart(session.get("cart_token"))
    added, problems = 0, []
    for sku in skus:
        try:
            with db.session.begin_nested():
                add_item(cart.id, sku, 1)
            added += 1
        except CartError as exc:
            problems.append(exc.message)
    db.session.commit()
    session["cart_token"] = cart.token
    note_answer_seen(answer.id)
    for _ in range(added):
        count(answer.id, "add_to_carts")
    if added:
        flash(f"Added {added} product{'s' if added != 1 else ''} from this answer to your cart.")
    for problem in problems:
        flash(problem, "warning")
    if not skus:
        flash("None of the products in this answer can be bought right now.", "warning")
    response = redirect(url_for("editorial.answer", slug=slug) + "#products", code=303)
    response.call_on_close(stats_buffer().flush)
    return response
