"""Links editor: an answer's products and a product's answers, from both sides."""

from __future__ import annotations

from flask import Flask

from shop.accounts.models import StaffRole
from shop.admin.linking.views import bp
from shop.admin.sections import register_section

__all__ = ["bp", "register_sections"]


def register_sections(app: Flask) -> None:
    """List the links editor in the admin navigation for editors."""
    register_section(
        app,
        "admin.links.index",
        "Links",
        (StaffRole.EDITOR,),
        "the products each answer recommends, suggestions and checks",
    )
