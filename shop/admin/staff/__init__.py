"""Staff accounts, for owners: list, add, change role, deactivate, unlock, set a password."""

from __future__ import annotations

from flask import Flask

from shop.accounts.models import StaffRole
from shop.admin.sections import register_section
from shop.admin.staff.views import bp

__all__ = ["bp", "init_staff_admin"]


def init_staff_admin(app: Flask) -> None:
    """Register the staff screens and list them in the admin navigation for owners."""
    app.register_blueprint(bp)
    register_section(
        app,
        "admin_staff.index",
        "Staff",
        (StaffRole.OWNER,),
        "staff accounts, roles, lockouts, passwords",
    )
