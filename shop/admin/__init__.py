"""The staff admin at /admin/: workflow screens per domain, calling the same services as the
storefront, and an audit log of every staff write."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install every admin screen, in the navigation's registration order."""
    from shop.admin.answers import init_answers_admin
    from shop.admin.dashboard import init_dashboard_admin
    from shop.admin.linking import init_linking_admin
    from shop.admin.orders import init_orders_admin
    from shop.admin.pages import init_pages_admin
    from shop.admin.products import init_products_admin
    from shop.admin.promotions import init_promotions_admin
    from shop.admin.questions import init_questions_admin
    from shop.admin.records import init_records_admin
    from shop.admin.staff import init_staff_admin
    from shop.admin.stock import init_stock_admin

    init_stock_admin(app)
    init_orders_admin(app)
    init_questions_admin(app)
    init_dashboard_admin(app)
    init_products_admin(app)
    init_answers_admin(app)
    init_linking_admin(app)
    init_pages_admin(app)
    init_promotions_admin(app)
    init_staff_admin(app)
    init_records_admin(app)
