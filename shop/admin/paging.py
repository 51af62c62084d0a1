"""Page numbers and sort orders for admin lists: read from ?page=, ?sort= and ?dir=, refused
plainly when they make no sense."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import abort, request

MAX_PAGE = 10_000


def page_number() -> int:
    """Return ?page= (default 1), or answer 400 unless it is a whole number 1..MAX_PAGE."""
    raw = request.args.get("page", "1").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, description=f"The page number must be a whole number from 1 to {MAX_PAGE:,}.")
    return int(raw)


def sort_order(keys: Iterable[str], default: str, newest_first: Iterable[str] = ()) -> Sort:
    """Return ?sort= (one of `keys`) and ?dir= (asc or desc), or answer 400 for others.

    Without ?dir=, keys in `newest_first` (dates) sort descending and the rest ascending.
    """
    allowed = tuple(keys)
    key = request.args.get("sort", "").strip() or default
    if key not in allowed:
        abort(400, description=f"The sort must be one of: {', '.join(allowed)}.")
    raw = request.args.get("dir", "").strip()
    if raw not in ("", "asc", "desc"):
        abort(400, description="The sort direction must be asc or desc.")
    descending = raw == "desc" if raw else key in set(newest_first)
    return Sort(key, descending, key == default and not raw)


@dataclass(frozen=True)
class Sort:
    """A list's sort: the key, its direction, and whether it is the list's default."""

    key: str
    descending: bool
    is_default: bool
