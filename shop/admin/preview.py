"""Markdown preview for the staff editors: the same renderer and sanitiser as the storefront.

`POST /admin/preview` with the form field `text` (CSRF token in the `X-CSRFToken` header or
the `csrf_token` field) answers the sanitised HTML fragment. `static/js/admin-preview.js`
calls it as staff type into any `textarea[data-preview-target]`.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole
from shop.core.markdown import render_markdown

bp = Blueprint("preview", __name__, url_prefix="/preview")

PREVIEW_MAX = 50_000


@bp.post("", endpoint="render")
@role_required(StaffRole.EDITOR)
def render() -> Response:
    """Render Markdown as the storefront would show it; nothing is saved."""
    text = request.form.get("text", "")
    if len(text) > PREVIEW_MAX:
        return Response(
            f"The text is too long to preview: {len(text):,} characters, at most {PREVIEW_MAX:,}.",
            status=400,
            mimetype="text/plain",
        )
    return Response(str(render_markdown(text)), mimetype="text/html")
