"""Page numbers for admin lists: read from ?page=, refused plainly when they make no sense."""

from __future__ import annotations

from flask import abort, request

MAX_PAGE = 10_000


def page_number() -> int:
    """Return ?page= (default 1), or answer 400 unless it is a whole number 1..MAX_PAGE."""
    raw = request.args.get("page", "1").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, description=f"The page number must be a whole number from 1 to {MAX_PAGE:,}.")
    return int(raw)
