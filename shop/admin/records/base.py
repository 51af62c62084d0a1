"""What every data list shares: staff-only access by role, our templates, bounded searches,
blank filters ignored, safe CSV cells, and a per-request CSP nonce for Flask-Admin's tags."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

from flask import Response, abort, g, request, stream_with_context
from flask_admin.contrib.sqla import ModelView  # type: ignore[import-untyped]
from flask_login import current_user
from markupsafe import Markup, escape

from shop.accounts import login_manager
from shop.accounts.models import StaffRole
from shop.admin.records.forms import RecordsForm

SEARCH_MAX = 100
EXPORT_MAX_ROWS = 10_000
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def request_nonce() -> str:
    """Return this request's CSP nonce (made on first use, then the same for the request)."""
    nonce: str | None = g.get("csp_nonce")
    if nonce is None:
        nonce = secrets.token_urlsafe(18)
        g.csp_nonce = nonce
    return nonce


def csv_safe(value: Any) -> Any:
    """Keep a text cell from being run as a formula when the CSV is opened in a spreadsheet."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def csv_download(rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """Stream `rows` (header first) as a CSV download, every cell kept from running as a formula.

    The rows are read as the response is sent, inside the request's context, so a long
    export never sits whole in memory.
    """

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for row in rows:
            writer.writerow([csv_safe(cell) for cell in row])
            yield out.getvalue()
            out.seek(0)
            out.truncate()

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def link(url: str, text: object) -> Markup:
    """An escaped link for a list cell."""
    return Markup('<a href="{}">{}</a>').format(url, escape(str(text)))


def staff_can_open(roles: tuple[StaffRole, ...]) -> bool:
    """Whether the signed-in member of staff has one of `roles` (owners always; none: any)."""
    if not current_user.is_authenticated:
        return False
    return not roles or bool(current_user.has_role(*roles))


def refuse(roles: tuple[StaffRole, ...]) -> Any:
    """Send visitors to sign in (with `next`) and answer 403 to staff of another role."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    abort(403, description="Your staff role does not include this page.")


class StaffModelView(ModelView):  # type: ignore[misc]
    """A Flask-Admin list for staff of `roles`, read-only unless a subclass says otherwise."""

    roles: ClassVar[tuple[StaffRole, ...]] = ()

    form_base_class = RecordsForm
    list_template = "admin/records/list.html"
    create_template = "admin/records/create.html"
    edit_template = "admin/records/edit.html"

    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = False
    action_disallowed_list: ClassVar[list[str]] = ["delete"]
    page_size = 50
    can_set_page_size = True
    page_size_options = (25, 50, 100)
    can_export = True
    export_types: ClassVar[list[str]] = ["csv"]
    export_max_rows = EXPORT_MAX_ROWS
    named_filter_urls = True
    column_display_actions = False
    simple_list_pager = False

    # The list's "new" button: (label, endpoint) of our own editor, when there is one.
    new_link: ClassVar[tuple[str, str] | None] = None
    # A short sentence under the heading saying what the list is for.
    description: ClassVar[str] = ""

    def is_accessible(self) -> bool:
        return staff_can_open(self.roles)

    # Flask-Admin routes a view method only when it carries @expose; redefining these without
    # it leaves the screens that are switched off here without an address at all. A reference
    # view exposes create_view and edit_view again.
    def create_view(self) -> Any:
        return None

    def edit_view(self) -> Any:
        return None

    def details_view(self) -> Any:
        return None

    def delete_view(self) -> Any:
        return None

    def action_view(self) -> Any:
        return None

    def ajax_lookup(self) -> Any:
        return None

    def ajax_update(self) -> Any:
        return None

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return refuse(self.roles)

    def get_list(
        self,
        page: int | None,
        sort_field: Any,
        sort_desc: bool,
        search: str | None,
        filters: Any,
        execute: bool = True,
        page_size: int | None = None,
    ) -> Any:
        # Searches are bounded like every other input; page numbers past the end show nothing.
        if search:
            search = search.strip()[:SEARCH_MAX] or None
        if page is not None and not 0 <= page < 10_000:
            abort(400, description="The page number must be a whole number from 1 to 10,000.")
        return super().get_list(
            page, sort_field, sort_desc, search, filters, execute=execute, page_size=page_size
        )

    def get_one(self, id: Any) -> Any:
        # Every row here has a whole-number id; anything else is simply not found.
        text = str(id)
        if not text.isdigit() or len(text) > 18:
            return None
        return super().get_one(text)

    def _get_list_extra_args(self) -> Any:
        # A sort index that names no column (a hand-edited link) sorts by the default.
        args = super()._get_list_extra_args()
        if args.sort is not None and self._get_column_by_idx(args.sort) is None:
            args.sort = None
        return args

    def _get_list_filter_args(self) -> Any:
        # The filter form sends every select; "All" (blank) means no filter, not "equals ''".
        if not self._filters:
            return None
        blanks = [k for k, v in request.args.items() if k.startswith("flt") and not v.strip()]
        if not blanks:
            return super()._get_list_filter_args()
        saved = request.args
        kept = saved.copy()
        for key in blanks:
            kept.pop(key)
        request.args = kept
        try:
            return super()._get_list_filter_args()
        finally:
            request.args = saved

    def get_export_value(self, model: Any, name: str) -> Any:
        return csv_safe(super().get_export_value(model, name))

    def field_attrs(self, field: Any) -> dict[str, Any]:
        """HTML attributes of a form control: its limits, and its hint and errors tied to it."""
        attrs: dict[str, Any] = {}
        described = []
        if field.description:
            described.append(f"{field.id}-hint")
        if field.errors:
            described.append(f"{field.id}-errors")
            attrs["aria-invalid"] = "true"
        if described:
            attrs["aria-describedby"] = " ".join(described)
        for validator in field.validators:
            if getattr(validator, "field_flags", {}).get("required"):
                attrs["required"] = True
            limit = getattr(validator, "max", None)
            is_text = field.type in ("StringField", "TextAreaField")
            if is_text and isinstance(limit, int) and limit > 0:
                attrs["maxlength"] = limit
            if field.type == "IntegerField" and isinstance(limit, int):
                attrs.update(type="number", step="1", min=validator.min, max=limit)
        if field.type == "TextAreaField":
            attrs["rows"] = 6
        return attrs

    def filter_selects(self, active: list[Any] | None) -> list[dict[str, Any]]:
        """The list's filters as plain selects (name, label, options, chosen value)."""
        chosen = {idx: str(value) for idx, _name, value in active or []}
        selects: list[dict[str, Any]] = []
        for idx, flt in enumerate(self._filters or []):
            options = flt.get_options(self) or []
            selects.append(
                {
                    "name": f"flt{len(selects)}_{self.get_filter_arg(idx, flt)}",
                    "id": f"filter-{idx}",
                    "label": str(flt.name),
                    "options": [(str(v), str(label)) for v, label in options],
                    "value": chosen.get(idx, ""),
                }
            )
        return selects
