"""Product editor: create, edit, archive, variants, images (views in `views.py`)."""

from __future__ import annotations

from flask import Flask

from shop.accounts.models import StaffRole
from shop.admin.products.views import bp
from shop.admin.sections import register_section

__all__ = ["bp", "register_sections"]


def register_sections(app: Flask) -> None:
    """Offer "New product" to editors in the admin navigation."""
    register_section(
        app,
        "admin.products.new",
        "New product",
        (StaffRole.EDITOR,),
        "add a product; edit one from the products list",
    )
