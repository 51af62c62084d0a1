"""Answer editor: Markdown with preview, draft/schedule/publish/unpublish (see `views`)."""

from __future__ import annotations

from flask import Flask

from shop.accounts.models import StaffRole
from shop.admin.answers.views import bp
from shop.admin.sections import register_section

__all__ = ["bp", "register_sections"]


def register_sections(app: Flask) -> None:
    """Offer "New answer" to editors in the admin navigation."""
    register_section(
        app,
        "admin.answers.new",
        "New answer",
        (StaffRole.EDITOR,),
        "write an answer for the column, preview it, publish or schedule it",
    )
