"""URL slugs: lowercase words joined by dashes."""

from __future__ import annotations

import re
import unicodedata

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 120


def slugify(text: str) -> str:
    """Turn a name into a slug: "Crème Riche 50 ml" -> "creme-riche-50-ml"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:SLUG_MAX].strip("-")


def is_slug(text: str) -> bool:
    """Tell whether text is already a well-formed slug."""
    return len(text) <= SLUG_MAX and bool(SLUG_RE.match(text))
