"""Staff accounts, for owners."""

from __future__ import annotations

from flask import Blueprint, Flask, abort

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole

bp = Blueprint("admin_staff", __name__, url_prefix="/admin/staff")


def init_staff_admin(app: Flask) -> None:
    """Register the screens."""
    app.register_blueprint(bp)


@bp.get("/")
@role_required(StaffRole.OWNER)
def index() -> str:
    """Placeholder while the screen is built."""
    abort(501)
