"""The skincare shop: `create_app()` builds the Flask application."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from shop.config import load_config
from shop.extensions import csrf, db, limiter, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the app: settings, extensions, blueprints, CLI and error pages."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(app.instance_path, config))
    _configure_logging(app)
    if app.config["SHOP_PROXY_COUNT"]:
        # Behind N reverse proxies, trust their X-Forwarded-* headers (client address for
        # rate limits, https for URLs); never trust them when nothing sits in front.
        n = app.config["SHOP_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    from shop.core.assets import init_assets

    init_assets(app)  # first: its after_request hook (compression) must run last
    from shop.core.security import init_security

    init_security(app)
    from shop.core.storage import init_storage

    init_storage(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    from shop.core.pagecache import init_pagecache

    init_pagecache(app)  # after csrf: its csrf_token() replaces Flask-WTF's template global

    from shop import models  # noqa: F401  (registers every table with the metadata)
    from shop.accounts import init_accounts
    from shop.accounts.views import bp as accounts_bp
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
    from shop.cart import register_cart
    from shop.catalog.views import bp as catalog_bp
    from shop.checkout.views import bp as checkout_bp
    from shop.cli import register_cli
    from shop.core.health import register_health
    from shop.core.templating import register_templating
    from shop.core.web import register_web
    from shop.editorial.views import bp as editorial_bp
    from shop.links.services import init_stats
    from shop.links.views import bp as links_bp
    from shop.orders.views import bp as orders_bp
    from shop.pages import init_pages
    from shop.payments.gateway import init_payments
    from shop.payments.views import bp as payments_bp
    from shop.search.views import bp as search_bp
    from shop.seo.views import bp as seo_bp

    register_templating(app)
    register_web(app)
    register_health(app)
    init_accounts(app)
    app.register_blueprint(accounts_bp)
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
    app.register_blueprint(catalog_bp)
    app.register_blueprint(editorial_bp)
    app.register_blueprint(links_bp)
    init_stats(app)
    app.register_blueprint(checkout_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(payments_bp)
    init_payments(app)
    app.register_blueprint(search_bp)
    app.register_blueprint(seo_bp)
    init_pages(app)
    register_cart(app)
    register_cli(app)

    from shop.editorial.questions import notify_answered_questions
    from shop.mail.services import register_mail_producer

    register_mail_producer(app, notify_answered_questions)
    return app


def _configure_logging(app: Flask) -> None:
    """Send the app's log lines to stderr, once, at the configured level."""
    level = logging.getLevelName(str(app.config["LOG_LEVEL"]).upper())
    root = logging.getLogger("shop")
    if not any(getattr(h, "_shop_handler", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._shop_handler = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else logging.INFO)
    app.logger.setLevel(root.level)
