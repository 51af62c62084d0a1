"""The admin's sections: each screen registers itself with the roles that may use it, and
the admin navigation lists only what the signed-in role may open, one entry per thing.

A section may hold several screens as tabs (the stock levels and the stocktake; the inbox
and the searchable list of reader questions). A screen registered on its own whose endpoint
is already a tab of another section is not listed twice: the tabbed section takes its place
in the navigation.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_login import current_user

from shop.accounts.models import StaffRole

EXTENSION_KEY = "shop.admin_sections"

# The navigation's order, top to bottom: the staff home first, daily work next, then the
# catalogue and the column, then the owner's pages. A section not named here comes last.
NAV_ORDER = (
    "admin.dashboard.dashboard",
    "admin.orders.index",
    "admin.stock.index",
    "records_products.index_view",
    "records_answers.index_view",
    "admin.questions.index",
    "admin.links.index",
    "admin.promotions.index",
    "admin.pages.index",
    "records_brands.index_view",
    "admin.staff.index",
    "admin.dashboard.audit",
)


@dataclass(frozen=True)
class Tab:
    label: str
    endpoint: str


@dataclass(frozen=True)
class Section:
    endpoint: str
    label: str
    roles: tuple[StaffRole, ...]  # owners may always open every section
    description: str = ""
    tabs: tuple[Tab, ...] = ()

    @property
    def endpoints(self) -> tuple[str, ...]:
        """The section's own screen and its tabs."""
        return (self.endpoint, *(t.endpoint for t in self.tabs))

    @property
    def blueprints(self) -> frozenset[str]:
        """The blueprints of its screens: their other pages (an edit form) belong here too."""
        return frozenset(e.rpartition(".")[0] for e in self.endpoints)


def register_section(
    app: Flask,
    endpoint: str,
    label: str,
    roles: tuple[StaffRole, ...],
    description: str = "",
    tabs: tuple[tuple[str, str], ...] = (),
) -> None:
    """Add a screen to the admin navigation, with `tabs` ((label, endpoint)) if it has some.

    A section whose tabs include screens already registered replaces the first of them in
    place; a screen already shown as another section's tab is not added again.
    """
    app.jinja_env.globals.setdefault("admin_sections", visible_sections)
    app.jinja_env.globals.setdefault("admin_current_section", current_section)
    sections: list[Section] = app.extensions.setdefault(EXTENSION_KEY, [])
    new = Section(endpoint, label, roles, description, tuple(Tab(*t) for t in tabs))
    if any(endpoint in s.endpoints for s in sections if s.tabs):
        return
    covered = [i for i, s in enumerate(sections) if s.endpoint in new.endpoints]
    if covered:
        sections[covered[0]] = new
        for i in reversed(covered[1:]):
            del sections[i]
    else:
        sections.append(new)


def _position(section: Section) -> int:
    try:
        return NAV_ORDER.index(section.endpoint)
    except ValueError:
        return len(NAV_ORDER)


def visible_sections() -> list[Section]:
    """The sections the signed-in member of staff may open, in navigation order."""
    if not current_user.is_authenticated:
        return []
    sections: list[Section] = current_app.extensions.get(EXTENSION_KEY, [])
    shown = [s for s in sections if current_user.has_role(*s.roles)]
    return sorted(shown, key=_position)  # sorted() is stable: the rest keep their order


def current_section() -> Section | None:
    """The section the current page belongs to: the one listing its endpoint, else the one
    whose screens share its blueprint."""
    endpoint = request.endpoint or ""
    sections = visible_sections()
    for section in sections:
        if endpoint in section.endpoints:
            return section
    blueprint = endpoint.rpartition(".")[0]
    for section in sections:
        if blueprint in section.blueprints:
            return section
    return None
