"""Product editor: create, edit, archive, variants, images (views in `views.py`)."""

from __future__ import annotations

from flask import Flask

from shop.accounts.models import StaffRole
from shop.admin import preview
from shop.admin.products.views import bp
from shop.admin.sections import register_section

__all__ = ["bp", "init_products_admin"]


def init_products_admin(app: Flask) -> None:
    """Register the product editor, the Markdown preview and the "New product" entry."""
    app.register_blueprint(bp)
    app.register_blueprint(preview.bp)
    register_section(
        app,
        "admin_products.new",
        "New product",
        (StaffRole.EDITOR,),
        "add a product; edit one from the products list",
    )
