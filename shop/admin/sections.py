"""The admin's sections: each screen registers itself with the roles that may use it, and
the staff home and the admin navigation list only what the signed-in role may open."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from flask_login import current_user

from shop.accounts.models import StaffRole

EXTENSION_KEY = "shop.admin_sections"


@dataclass(frozen=True)
class Section:
    endpoint: str
    label: str
    roles: tuple[StaffRole, ...]  # owners may always open every section
    description: str = ""


def register_section(
    app: Flask, endpoint: str, label: str, roles: tuple[StaffRole, ...], description: str = ""
) -> None:
    """Add a screen to the admin navigation."""
    app.extensions.setdefault(EXTENSION_KEY, []).append(
        Section(endpoint, label, roles, description)
    )


def visible_sections() -> list[Section]:
    """The sections the signed-in member of staff may open, in registration order."""
    if not current_user.is_authenticated:
        return []
    sections: list[Section] = current_app.extensions.get(EXTENSION_KEY, [])
    return [s for s in sections if current_user.has_role(*s.roles)]
