"""The read-only data lists: products, answers, reader questions.

Each row links to the screen that edits it; Flask-Admin only lists, searches, filters, sorts,
pages and exports (CSV)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import sqlalchemy as sa
from flask import has_request_context, url_for
from flask_admin.contrib.sqla.filters import FilterEqual  # type: ignore[import-untyped]

from shop.accounts.models import StaffRole
from shop.admin.records.base import StaffModelView, link
from shop.catalog.models import Brand, Category, Product, ProductStatus
from shop.core.templating import isodate, longdate
from shop.editorial.models import Answer, AnswerStatus, Doctor, QuestionStatus, ReaderQuestion
from shop.extensions import db

QUESTION_PREVIEW = 90


class ChoiceFilter(FilterEqual):  # type: ignore[misc]
    """ "Column equals one of these choices"; anything else in the address is refused."""

    def __init__(self, column: Any, name: str, choices: Callable[[], list[tuple[str, str]]]):
        super().__init__(column, name)
        self.choices = choices

    def get_options(self, view: Any) -> list[tuple[str, str]] | None:
        # Flask-Admin also asks once at start-up, outside any request: rows are read per list.
        return self.choices() if has_request_context() else None

    def validate(self, value: Any) -> bool:
        return str(value) in {v for v, _label in self.choices()}


class IdChoiceFilter(ChoiceFilter):
    def clean(self, value: Any) -> int:
        return int(value)


def _rows_of(model: Any, label: Any) -> Callable[[], list[tuple[str, str]]]:
    """Choices read from a table when the list is shown: (id, label)."""

    def choices() -> list[tuple[str, str]]:
        rows = db.session.execute(sa.select(model.id, label).order_by(label)).all()
        return [(str(row_id), str(text)) for row_id, text in rows]

    return choices


def _members_of(enum_cls: Any) -> Callable[[], list[tuple[str, str]]]:
    """Choices from an enum: (value, words)."""
    members = [(m.value, m.value.replace("_", " ").capitalize()) for m in enum_cls]
    return lambda: members


def _when(view: Any, context: Any, model: Any, name: str) -> str:
    return longdate(getattr(model, name))


def _status(view: Any, context: Any, model: Any, name: str) -> str:
    value = getattr(model, name)
    return str(value.value).replace("_", " ").capitalize() if value is not None else ""


def _iso(view: Any, context: Any, model: Any, name: str) -> str:
    return isodate(getattr(model, name))


def _raw_status(view: Any, context: Any, model: Any, name: str) -> str:
    value = getattr(model, name)
    return str(value.value) if value is not None else ""


class ProductList(StaffModelView):
    roles = (StaffRole.EDITOR,)
    description = "Every product; open one to edit it."
    new_link = ("New product", "admin.products.new")

    column_list = ("name", "brand", "category", "status", "updated_at")
    column_labels: ClassVar[dict[str, str]] = {
        "name": "Name",
        "brand": "Brand",
        "category": "Category",
        "status": "Status",
        "updated_at": "Updated",
        "slug": "Slug",
    }
    column_sortable_list = (
        "name",
        ("brand", "brand.name"),
        ("category", "category.name"),
        "status",
        "updated_at",
    )
    column_default_sort = ("updated_at", True)
    column_searchable_list = ("name", "slug")
    column_export_list = ("name", "slug", "brand", "category", "status", "updated_at")
    column_formatters: ClassVar[dict[str, Any]] = {
        "name": lambda v, c, m, n: link(url_for("admin.products.edit", product_id=m.id), m.name),
        "brand": lambda v, c, m, n: m.brand.name,
        "category": lambda v, c, m, n: m.category.name,
        "status": _status,
        "updated_at": _when,
    }
    column_formatters_export: ClassVar[dict[str, Any]] = {
        "brand": lambda v, c, m, n: m.brand.name,
        "category": lambda v, c, m, n: m.category.name,
        "status": _raw_status,
        "updated_at": _iso,
    }

    def __init__(self, **kwargs: Any) -> None:
        self.column_filters = (
            IdChoiceFilter(Product.brand_id, "Brand", _rows_of(Brand, Brand.name)),
            IdChoiceFilter(Product.category_id, "Category", _rows_of(Category, Category.name)),
            ChoiceFilter(Product.status, "Status", _members_of(ProductStatus)),
        )
        super().__init__(Product, db, **kwargs)


class AnswerList(StaffModelView):
    roles = (StaffRole.EDITOR,)
    description = "Every answer of the column, drafts and scheduled ones too."
    new_link = ("New answer", "admin.answers.new")

    column_list = ("question", "doctor", "status", "published_at", "updated_at")
    column_labels: ClassVar[dict[str, str]] = {
        "question": "Headline",
        "slug": "Slug",
        "doctor": "Doctor",
        "status": "Status",
        "published_at": "Published",
        "updated_at": "Updated",
    }
    column_sortable_list = (
        "question",
        ("doctor", "doctor.name"),
        "status",
        "published_at",
        "updated_at",
    )
    column_default_sort = ("updated_at", True)
    column_searchable_list = ("question", "slug")
    column_export_list = ("question", "slug", "doctor", "status", "published_at", "updated_at")
    column_formatters: ClassVar[dict[str, Any]] = {
        "question": lambda v, c, m, n: link(
            url_for("admin.answers.edit", answer_id=m.id), m.question
        ),
        "doctor": lambda v, c, m, n: m.doctor.name,
        "status": _status,
        "published_at": _when,
        "updated_at": _when,
    }
    column_formatters_export: ClassVar[dict[str, Any]] = {
        "doctor": lambda v, c, m, n: m.doctor.name,
        "status": _raw_status,
        "published_at": _iso,
        "updated_at": _iso,
    }

    def __init__(self, **kwargs: Any) -> None:
        self.column_filters = (
            ChoiceFilter(Answer.status, "Status", _members_of(AnswerStatus)),
            IdChoiceFilter(Answer.doctor_id, "Doctor", _rows_of(Doctor, Doctor.name)),
        )
        super().__init__(Answer, db, **kwargs)


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUESTION_PREVIEW else text[: QUESTION_PREVIEW - 1] + "…"


class QuestionList(StaffModelView):
    roles = (StaffRole.EDITOR,)
    description = "Every question readers sent through Ask the doctor."

    column_list = ("question", "name", "email", "status", "created_at")
    column_labels: ClassVar[dict[str, str]] = {
        "question": "Question",
        "name": "Name",
        "email": "Email",
        "status": "Status",
        "created_at": "Received",
    }
    column_sortable_list = ("name", "email", "status", "created_at")
    column_default_sort = ("created_at", True)
    column_searchable_list = ("question", "email", "name")
    column_export_list = ("question", "name", "email", "status", "created_at")
    column_formatters: ClassVar[dict[str, Any]] = {
        "question": lambda v, c, m, n: link(
            url_for("admin.questions.detail", question_id=m.id), _preview(m.question)
        ),
        "status": _status,
        "created_at": _when,
    }
    column_formatters_export: ClassVar[dict[str, Any]] = {
        "status": _raw_status,
        "created_at": _iso,
    }

    def __init__(self, **kwargs: Any) -> None:
        self.column_filters = (
            ChoiceFilter(ReaderQuestion.status, "Status", _members_of(QuestionStatus)),
        )
        super().__init__(ReaderQuestion, db, **kwargs)
