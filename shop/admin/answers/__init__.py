"""Answer editor: Markdown with preview, draft/schedule/publish/unpublish (see `views`)."""

from __future__ import annotations

from flask import Flask

from shop.accounts.models import StaffRole
from shop.admin.answers.views import bp
from shop.admin.sections import register_section


def init_answers_admin(app: Flask) -> None:
    """Register the answer editor and offer "New answer" to editors in the admin navigation."""
    app.register_blueprint(bp)
    register_section(
        app,
        "admin_answers.new",
        "New answer",
        (StaffRole.EDITOR,),
        "write an answer for the column, preview it, publish or schedule it",
    )
