"""Product editor: create, edit, archive, variants, images."""

from __future__ import annotations

from flask import Blueprint, Flask, abort

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole

bp = Blueprint("admin_products", __name__, url_prefix="/admin/products")


def init_products_admin(app: Flask) -> None:
    """Register the screens."""
    app.register_blueprint(bp)


@bp.get("/new")
@role_required(StaffRole.EDITOR)
def new() -> str:
    """Placeholder while the screen is built."""
    abort(501)


@bp.get("/<int:product_id>")
@role_required(StaffRole.EDITOR)
def edit(product_id: int) -> str:
    """Placeholder while the screen is built."""
    abort(501)
