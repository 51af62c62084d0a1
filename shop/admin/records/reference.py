"""Reference data editors: brands, categories, skin concerns, topics and doctors.

Created and edited with Flask-Admin's forms; never deleted here (products and answers refer to
these rows). Every change is audited in the same transaction as the change itself."""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from flask import flash, request
from flask_admin import expose  # type: ignore[import-untyped]
from flask_admin.contrib.sqla import ModelView  # type: ignore[import-untyped]
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from shop.accounts.models import StaffRole
from shop.admin import audit
from shop.admin.records.base import StaffModelView, link
from shop.admin.records.forms import category_form, doctor_form, taxonomy_form
from shop.catalog.models import Brand, Category, SkinConcern
from shop.editorial.models import Doctor, Topic
from shop.extensions import db


def _plain(value: Any) -> Any:
    """A value as it can be stored in the audit entry's JSON."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class ReferenceView(StaffModelView):
    """A reference table: list, create and edit (no delete), with an audit entry per change."""

    roles = (StaffRole.EDITOR,)
    can_create = True
    can_edit = True
    can_delete = False
    column_display_actions = False
    # The audit entry's entity name, e.g. "brand".
    entity: ClassVar[str] = ""
    # The columns the form edits, in order (their before/after go to the audit entry).
    edited: ClassVar[tuple[str, ...]] = ("name", "slug", "description")

    column_default_sort = ("name", False)
    column_searchable_list: tuple[str, ...] = ("name", "slug")
    column_sortable_list: tuple[str, ...] = ("name", "slug")
    column_list: tuple[str, ...] = ("name", "slug")
    column_export_list: tuple[str, ...] = ("name", "slug")
    column_labels: ClassVar[dict[str, str]] = {"name": "Name", "slug": "Slug"}
    column_formatters: ClassVar[dict[str, Any]] = {
        "name": lambda v, c, m, n: link(v.get_url(".edit_view", id=m.id), m.name),
    }

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        # Runs before Flask-Admin's commit: the audit entry is flushed into the same transaction.
        state = sa.inspect(model)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for name in self.edited:
            history = state.attrs[name].history
            if is_created:
                after[name] = _plain(getattr(model, name))
            elif history.has_changes():
                before[name] = _plain(history.deleted[0]) if history.deleted else None
                after[name] = _plain(history.added[0]) if history.added else None
        db.session.flush()  # gives a new row its id, and meets any clash before the audit
        if not is_created and not after:
            return
        label = getattr(model, "name", "") or model.slug
        audit.record(
            current_user.id,
            current_user.email,
            f"{self.entity}.{'create' if is_created else 'edit'}",
            self.entity,
            model.id,
            f"{'Created' if is_created else 'Edited'} {self.entity} {label} ({model.slug})",
            before=None if is_created else before,
            after=after,
        )

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, IntegrityError):
            # Two people saved the same name or slug at once; the form's check passed for both.
            flash(
                f"Another {self.entity} already uses this name or slug; nothing was saved.",
                "error",
            )
            return True
        return bool(super().handle_view_exception(exc))

    # StaffModelView unrouted these; here they are Flask-Admin's own again, with a 400 status
    # when a POST shows the form with errors.
    @expose("/new/", methods=("GET", "POST"))  # type: ignore[untyped-decorator]
    def create_view(self) -> Any:
        return _with_form_status(ModelView.create_view.__wrapped__(self))

    @expose("/edit/", methods=("GET", "POST"))  # type: ignore[untyped-decorator]
    def edit_view(self) -> Any:
        return _with_form_status(ModelView.edit_view.__wrapped__(self))


def _with_form_status(response: Any) -> Any:
    # A POST that renders the form again failed validation (or was refused): say so with 400.
    if request.method == "POST" and isinstance(response, str):
        return response, 400
    return response


class BrandView(ReferenceView):
    entity = "brand"
    description = "The brands products belong to."

    def __init__(self, **kwargs: Any) -> None:
        self.form = taxonomy_form(Brand, "brand")
        super().__init__(Brand, db, **kwargs)


class CategoryView(ReferenceView):
    entity = "category"
    description = "The shop's categories, in menu order."
    edited = ("name", "slug", "description", "position")
    column_list = ("name", "slug", "position")
    column_sortable_list = ("name", "slug", "position")
    column_export_list = ("name", "slug", "position")
    column_default_sort = ("position", False)
    column_labels: ClassVar[dict[str, str]] = {
        "name": "Name",
        "slug": "Slug",
        "position": "Position",
    }

    def __init__(self, **kwargs: Any) -> None:
        self.form = category_form(Category)
        super().__init__(Category, db, **kwargs)


class ConcernView(ReferenceView):
    entity = "concern"
    description = "The skin concerns products and answers share."

    def __init__(self, **kwargs: Any) -> None:
        self.form = taxonomy_form(SkinConcern, "skin concern")
        super().__init__(SkinConcern, db, **kwargs)


class TopicView(ReferenceView):
    entity = "topic"
    description = "Editorial topics of the column, beside the skin concerns."

    def __init__(self, **kwargs: Any) -> None:
        self.form = taxonomy_form(Topic, "topic")
        super().__init__(Topic, db, **kwargs)


class DoctorView(ReferenceView):
    entity = "doctor"
    description = "The doctors who write and review answers."
    edited = ("name", "slug", "credentials", "title", "practice", "bio")
    column_list = ("name", "slug", "credentials", "practice")
    column_searchable_list = ("name", "slug", "practice")
    column_export_list = ("name", "slug", "credentials", "title", "practice")
    column_labels: ClassVar[dict[str, str]] = {
        "name": "Name",
        "slug": "Slug",
        "credentials": "Credentials",
        "title": "Title",
        "practice": "Practice",
    }

    def __init__(self, **kwargs: Any) -> None:
        self.form = doctor_form(Doctor)
        super().__init__(Doctor, db, **kwargs)
