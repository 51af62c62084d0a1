"""The staff admin at /admin/: workflow screens per domain, calling the same services as the
storefront, and an audit log of every staff write.

Each screen's blueprint is nested in the one `admin` blueprint, so its endpoints read
`admin.orders.index`, `admin.dashboard.home` and so on; the data lists (Flask-Admin) keep
their own blueprints under /admin/data.
"""

from __future__ import annotations

from functools import cache

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")


@cache
def _nest_screens() -> None:
    """Nest every screen's blueprint in `bp`, once per process.

    Tests build many apps from the same blueprints, and a blueprint's children cannot change
    once it has been registered on an app. The screens are imported here, not at the top, so
    that `shop.models` importing `shop.admin.models` does not pull in every screen.
    """
    from shop.admin import (
        answers,
        dashboard,
        linking,
        orders,
        pages,
        preview,
        products,
        promotions,
        questions,
        staff,
        stock,
    )

    for screen in (
        stock.bp,
        orders.bp,
        questions.bp,
        dashboard.bp,
        products.bp,
        preview.bp,
        answers.bp,
        linking.bp,
        pages.bp,
        promotions.bp,
        staff.bp,
    ):
        bp.register_blueprint(screen)


def init_app(app: Flask) -> None:
    """Mount the admin's screens and data lists and list them in the admin navigation."""
    from shop.admin import (
        answers,
        dashboard,
        linking,
        orders,
        pages,
        products,
        promotions,
        questions,
        records,
        staff,
        stock,
    )

    _nest_screens()
    app.register_blueprint(bp)
    # In this order: a data list's section (records, last) takes the place of the screens it
    # shows as tabs, and sections NAV_ORDER does not name keep the order they came in.
    stock.register_sections(app)
    orders.register_sections(app)
    questions.register_sections(app)
    dashboard.register_sections(app)
    products.register_sections(app)
    answers.register_sections(app)
    linking.register_sections(app)
    pages.register_sections(app)
    promotions.register_sections(app)
    staff.register_sections(app)
    records.init_records_admin(app)
