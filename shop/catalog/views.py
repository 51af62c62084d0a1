"""Storefront pages: home, catalogue, product, category and brand pages."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from werkzeug.datastructures import MultiDict

from shop.catalog import queries
from shop.catalog.forms import CatalogFilterForm
from shop.catalog.models import ProductStatus
from shop.core.pagecache import cached
from shop.core.readonly import read_only_gets
from shop.editorial.queries import latest_answers
from shop.links.queries import product_answers

bp = Blueprint("catalog", __name__)
read_only_gets(bp)  # its GETs only read: they never wait for SQLite's write lock


@bp.get("/")
def home() -> Response:
    """Show featured products, the categories and the doctor's latest answers."""
    return cached(
        lambda: render_template(
            "catalog/home.html",
            featured=queries.featured_products(limit=8),
            categories=queries.categories(),
            latest_answers=latest_answers(limit=3),
        )
    )


def _listing_page(
    title: str, intro: str, fixed: tuple[str, str] | None, template_context: dict[str, object]
) -> tuple[str, int]:
    """Validate the query string, then render one page of the catalogue."""
    facets = queries.facets()
    args: MultiDict[str, str] = MultiDict(request.args)
    if fixed is not None:
        args.setlist(fixed[0], [fixed[1]])
    form = CatalogFilterForm(args, facets, current_app.config["SHOP_CURRENCY"])
    context: dict[str, object] = {
        "title": title,
        "intro": intro,
        "form": form,
        "facets": facets,
        "fixed": fixed[0] if fixed else None,
        **template_context,
    }
    if not form.validate():
        return render_template(
            "catalog/products.html", errors=form.error_messages(), page=None, **context
        ), 400
    filters = form.to_filters()
    page = queries.list_products(filters, per_page=current_app.config["SHOP_PAGE_SIZE"])
    if filters.page > page.pages:
        abort(404, description=f"There is no page {filters.page}; this list has {page.pages}.")
    return render_template(
        "catalog/products.html", errors=[], page=page, filters=filters, **context
    ), 200


@bp.get("/products/")
def products() -> Response:
    """List active products with combinable filters, sorting and pages."""
    return cached(lambda: _listing_page("Shop all skincare", "", None, {}))


@bp.get("/categories/<slug>")
def category(slug: str) -> Response:
    """List the products of one category."""
    return cached(lambda: _category_page(slug))


def _category_page(slug: str) -> tuple[str, int]:
    found = queries.category_by_slug(slug)
    if found is None:
        abort(404, description="We could not find that category.")
    return _listing_page(
        found.name, found.description, ("category", found.slug), {"category": found}
    )


@bp.get("/brands/<slug>")
def brand(slug: str) -> Response:
    """List the products of one brand, with its story."""
    return cached(lambda: _brand_page(slug))


def _brand_page(slug: str) -> tuple[str, int]:
    found = queries.brand_by_slug(slug)
    if found is None:
        abort(404, description="We could not find that brand.")
    return _listing_page(found.name, found.description, ("brand", found.slug), {"brand": found})


@bp.get("/products/<slug>")
def product(slug: str) -> Response:
    """Show one product: images, sizes with price and availability, copy, ingredients."""
    return cached(lambda: _product_page(slug))


def _product_page(slug: str) -> str:
    found = queries.storefront_product(slug)
    if found is None:
        abort(404, description="We could not find that product. It may have been renamed.")
    variants = found.variants
    chosen_sku = request.args.get("variant", "", type=str)[:64]
    chosen = next((v for v in variants if v.sku == chosen_sku), None)
    if chosen is None:
        chosen = next((v for v in variants if v.available > 0), variants[0] if variants else None)
    return render_template(
        "catalog/product.html",
        product=found,
        chosen=chosen,
        archived=found.status is ProductStatus.ARCHIVED,
        sold_out=all(v.available <= 0 for v in variants),
        doctor_says=product_answers(found),
        low_stock=current_app.config["SHOP_LOW_STOCK_THRESHOLD"],
    )
