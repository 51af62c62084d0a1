"""Staff accounts, for owners: list, add, change role, deactivate, unlock, set a password."""

from __future__ import annotations

from flask import Flask

from shop.accounts.models import StaffRole
from shop.admin.sections import register_section
from shop.admin.staff.views import bp

__all__ = ["bp", "register_sections"]


def register_sections(app: Flask) -> None:
    """List the staff screens in the admin navigation for owners."""
    register_section(
        app,
        "admin.staff.index",
        "Staff",
        (StaffRole.OWNER,),
        "staff accounts, roles, lockouts, passwords",
    )
