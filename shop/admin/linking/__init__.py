"""Links editor: an answer's products and a product's answers, from both sides."""

from __future__ import annotations

from flask import Flask

from shop.accounts.models import StaffRole
from shop.admin.linking.views import bp
from shop.admin.sections import register_section

__all__ = ["bp", "init_linking_admin"]


def init_linking_admin(app: Flask) -> None:
    """Register the links editor and its place in the admin navigation for editors."""
    app.register_blueprint(bp)
    register_section(
        app,
        "admin_links.index",
        "Links",
        (StaffRole.EDITOR,),
        "the products each answer recommends, suggestions and checks",
    )
