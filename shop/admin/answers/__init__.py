"""Answer editor: Markdown with preview, draft/schedule/publish/unpublish."""

from __future__ import annotations

from flask import Blueprint, Flask, abort

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole

bp = Blueprint("admin_answers", __name__, url_prefix="/admin/answers")


def init_answers_admin(app: Flask) -> None:
    """Register the screens."""
    app.register_blueprint(bp)


@bp.get("/new")
@role_required(StaffRole.EDITOR)
def new() -> str:
    """Placeholder while the screen is built."""
    abort(501)


@bp.get("/<int:answer_id>")
@role_required(StaffRole.EDITOR)
def edit(answer_id: int) -> str:
    """Placeholder while the screen is built."""
    abort(501)
