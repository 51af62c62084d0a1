"""The data lists (Flask-Admin) under /admin/data: search, filters, sorting, paging, CSV export,
and the reference data editors (brands, categories, skin concerns, topics, doctors)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_admin import Admin, AdminIndexView, expose  # type: ignore[import-untyped]
from flask_admin.theme import Bootstrap4Theme  # type: ignore[import-untyped]

from shop.accounts.models import StaffRole
from shop.admin.records.base import refuse, request_nonce, staff_can_open
from shop.admin.records.lists import AnswerList, OrderList, ProductList, QuestionList, VariantList
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
    """Mount the data lists at /admin/data and add them to the admin navigation."""
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
        VariantList(name="Stock list", endpoint="records_variants", url="variants"),
        OrderList(name="Order list", endpoint="records_orders", url="orders"),
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
    register_section(
        app,
        "records_products.index_view",
        "Products",
        (StaffRole.EDITOR,),
        "find, filter and export products",
    )
    register_section(
        app,
        "records_answers.index_view",
        "Answers",
        (StaffRole.EDITOR,),
        "find, filter and export answers",
    )
    register_section(
        app,
        "records_variants.index_view",
        "Stock list",
        (StaffRole.FULFILMENT,),
        "every variant's price and stock, sortable, as CSV",
    )
    register_section(
        app,
        "records_orders.index_view",
        "Order list",
        (StaffRole.FULFILMENT,),
        "find, filter and export orders",
    )
    register_section(
        app,
        "records_brands.index_view",
        REFERENCE,
        (StaffRole.EDITOR,),
        "brands, categories, skin concerns, topics, doctors",
    )
