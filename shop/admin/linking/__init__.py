"""Links editor: an answer's products and a product's answers."""

from __future__ import annotations

from flask import Blueprint, Flask, abort

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole

bp = Blueprint("admin_links", __name__, url_prefix="/admin/links")


def init_linking_admin(app: Flask) -> None:
    """Register the screens."""
    app.register_blueprint(bp)


@bp.get("/answers/<int:answer_id>")
@role_required(StaffRole.EDITOR)
def answer(answer_id: int) -> str:
    """Placeholder while the screen is built."""
    abort(501)


@bp.get("/products/<int:product_id>")
@role_required(StaffRole.EDITOR)
def product(product_id: int) -> str:
    """Placeholder while the screen is built."""
    abort(501)
