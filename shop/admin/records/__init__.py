"""The data lists (Flask-Admin) under /admin/data: search, filters, sorting, paging, CSV export,
and the reference data editors (brands, categories, skin concerns, topics, doctors).

Orders and stock are listed by their own screens (admin/orders.py, admin/stock.py), which
have the same search, filters, sorting and export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose  # type: ignore[import-untyped]
from flask_admin.theme import Bootstrap4Theme  # type: ignore[import-untyped]
from werkzeug.wrappers import Response as BaseResponse

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole
from shop.admin.records.base import SEARCH_MAX, refuse, request_nonce, staff_can_open
from shop.admin.records.lists import AnswerList, ProductList, QuestionList
from shop.admin.records.reference import (
    BrandView,
    CategoryView,
    ConcernView,
    DoctorView,
    TopicView,
)
from shop.admin.sections import register_section

URL = "/admin/data"
ENDPOINT = "admin_data"
REFERENCE = "Reference data"


class DataIndex(AdminIndexView):  # type: ignore[misc]
    """/admin/data/: the lists this member of staff may open."""

    def is_accessible(self) -> bool:
        return staff_can_open(())

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return refuse(())

    @expose()  # type: ignore[untyped-decorator]
    def index(self) -> str:
        return str(self.render("admin/records/index.html"))


def init_records_admin(app: Flask) -> None:
    """Mount the data lists at /admin/data and give them their places in the admin navigation."""
    admin = Admin(
        app,
        name="Data",
        url=URL,
        endpoint=ENDPOINT,
        index_view=DataIndex(name="Data lists", endpoint=ENDPOINT, url=URL),
        theme=Bootstrap4Theme(base_template="admin/records/base.html"),
        csp_nonce_generator=request_nonce,
    )
    admin.add_views(
        ProductList(name="Products", endpoint="records_products", url="products"),
        AnswerList(name="Answers", endpoint="records_answers", url="answers"),
        QuestionList(name="Reader questions", endpoint="records_questions", url="questions"),
        BrandView(name="Brands", endpoint="records_brands", url="brands", category=REFERENCE),
        CategoryView(
            name="Categories", endpoint="records_categories", url="categories", category=REFERENCE
        ),
        ConcernView(
            name="Skin concerns", endpoint="records_concerns", url="concerns", category=REFERENCE
        ),
        TopicView(name="Topics", endpoint="records_topics", url="topics", category=REFERENCE),
        DoctorView(name="Doctors", endpoint="records_doctors", url="doctors", category=REFERENCE),
    )
    app.register_blueprint(moved)
    # Each list is a tab of the section it belongs to, beside the screens that edit its rows
    # (registered earlier by their own modules): one navigation entry per thing.
    register_section(
        app,
        "records_products.index_view",
        "Products",
        (StaffRole.EDITOR,),
        "find, filter and export products; add one",
        tabs=(
            ("All products", "records_products.index_view"),
            ("New product", "admin.products.new"),
        ),
    )
    register_section(
        app,
        "records_answers.index_view",
        "Answers",
        (StaffRole.EDITOR,),
        "find, filter and export answers; write one",
        tabs=(("All answers", "records_answers.index_view"), ("New answer", "admin.answers.new")),
    )
    register_section(
        app,
        "admin.questions.index",
        "Reader questions",
        (StaffRole.EDITOR,),
        "the Ask the doctor inbox, and every question to search and export",
        tabs=(("Inbox", "admin.questions.index"), ("Search all", "records_questions.index_view")),
    )
    register_section(
        app,
        "records_brands.index_view",
        REFERENCE,
        (StaffRole.EDITOR,),
        "brands, categories, skin concerns, topics, doctors",
        tabs=(
            ("Brands", "records_brands.index_view"),
            ("Categories", "records_categories.index_view"),
            ("Skin concerns", "records_concerns.index_view"),
            ("Topics", "records_topics.index_view"),
            ("Doctors", "records_doctors.index_view"),
        ),
    )


# The order and variant lists that lived here became part of the Orders and Stock screens;
# their old addresses (bookmarks, links in old mail) lead there, search and filter kept.
moved = Blueprint("records_moved", __name__, url_prefix=URL)


def _old_search() -> dict[str, Any]:
    search = request.args.get("search", "").strip()[:SEARCH_MAX]
    return {"q": search} if search else {}


def _old_status() -> dict[str, Any]:
    for key, value in request.args.items():
        if key.startswith("flt") and key.endswith("_status_equals") and value.strip():
            return {"status": value.strip()}
    return {}


@moved.get("/orders/")
@role_required(StaffRole.FULFILMENT)
def old_orders() -> BaseResponse:
    """The old order list: now the Orders screen."""
    return redirect(url_for("admin.orders.index", **_old_status(), **_old_search()), code=301)


@moved.get("/orders/export/<export_type>/")
@role_required(StaffRole.FULFILMENT)
def old_orders_export(export_type: str) -> BaseResponse:
    """The old order list's CSV: now the Orders screen's."""
    return redirect(url_for("admin.orders.export", **_old_status(), **_old_search()), code=301)


@moved.get("/variants/")
@role_required(StaffRole.FULFILMENT)
def old_variants() -> BaseResponse:
    """The old stock list: now the Stock screen."""
    return redirect(url_for("admin.stock.index", **_old_search()), code=301)


@moved.get("/variants/export/<export_type>/")
@role_required(StaffRole.FULFILMENT)
def old_variants_export(export_type: str) -> BaseResponse:
    """The old stock list's CSV: now the Stock screen's."""
    return redirect(url_for("admin.stock.export", **_old_search()), code=301)
