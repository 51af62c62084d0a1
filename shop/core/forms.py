"""The base of every form of the shop: Flask-WTF's, with one CSRF field name for all.

A page with several forms gives each a prefix ("archive-", "variant12-") so their fields
do not clash; WTForms prefixes the CSRF field too. Here the token keeps its one name,
`csrf_token`, in every form (its id keeps the prefix, so ids stay unique on the page):
the name every tool and scanner knows, and the one the preview script reads.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms.validators import Length


class ShopForm(FlaskForm):
    """A Flask-WTF form whose CSRF field is named `csrf_token` whatever the prefix."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            name, prefix = options.get("name"), options.get("prefix")
            if prefix and name == self.csrf_field_name:  # type: ignore[attr-defined]
                options = {**options, "prefix": "", "id": f"{prefix}{name}"}
            return super().bind_field(form, unbound_field, options)  # type: ignore[misc]


# Filters and validators every form shares -----------------------------------------------


def strip_text(value: object) -> object:
    """Trim the white space around a typed value (a filter: anything else passes through)."""
    return value.strip() if isinstance(value, str) else value


def multiline_text(value: object) -> object:
    """Browsers send textarea line breaks as CRLF; store plain newlines, trimmed."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def too_long(label: str, limit: int) -> Length:
    """A length limit whose message names the field and the limit."""
    return Length(max=limit, message=f"Keep the {label} to {limit:,} characters or fewer.")
