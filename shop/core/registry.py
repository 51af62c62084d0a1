"""What the domains plug into core, one registry per app: core offers the seams, never fills them.

Core knows no domain. At app init each package tells it what only that package knows, through
the function of the core module concerned:

- `templating.add_template_values`: names every template may use (the header's categories);
- `pagecache.add_page_hole`: a piece of a cached page filled in for each visitor (the cart
  badge); core's own CSRF hole needs no registration;
- `pagecache.watch_tables`: tables whose rows public pages show (a write bumps the version);
- `pagecache.add_commit_check`: a check before each commit for writes that change public
  pages only sometimes (a sale changes a page only when its stock words change);
- `pagecache.add_version_moment`: a time, read with the content version, whose passing changes
  public pages with no write (the newest public answer's publish time);
- `assets.set_image_copies`: an image's resized copies and their widths, for `srcset`.

The registrations live on `app.extensions`, never in module globals: tests build many apps,
and one app's registrations must not leak into another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask
from markupsafe import Markup

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session
    from sqlalchemy.sql.elements import ColumnElement

    from shop.core.storage import Storage

EXTENSION = "shop_registry"

# An image's copies as (media key, width in pixels).
ImageCopies = Callable[["Storage", str], Sequence[tuple[str, int]]]
# Build a scalar SQL expression from the request time (a column element standing for it).
VersionMoment = Callable[["ColumnElement[datetime]"], "ColumnElement[datetime | None]"]


@dataclass(frozen=True)
class PageHole:
    """A per-visitor piece of a cached page: its marker in the stored HTML and how to fill it."""

    name: str
    marker: str
    fill: Callable[[], Markup]


@dataclass
class Registry:
    """Everything the app's packages registered with core."""

    template_values: dict[str, Any] = field(default_factory=dict)
    page_holes: dict[str, PageHole] = field(default_factory=dict)
    watched_tables: set[str] = field(default_factory=set)
    version_moments: dict[str, VersionMoment] = field(default_factory=dict)
    # Run before each commit; one returning True moves the version on (see pagecache).
    commit_checks: list[Callable[[Session], bool]] = field(default_factory=list)
    image_copies: ImageCopies | None = None
    # The template functions of the holes, core's csrf_token() among them (see pagecache).
    hole_functions: dict[str, Callable[[], Any]] = field(default_factory=dict)
    # Built from `version_moments` on first use (see pagecache.read_version).
    version_query: Any = None


def registry(app: Flask) -> Registry:
    """Return the app's registry, made empty on first use."""
    found: Registry | None = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions[EXTENSION] = Registry()
    return found
