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
    """Create the app: settings, logging, extensions, then every package's own `init_app`."""
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
    from shop.core.security import init_security
    from shop.core.storage import init_storage

    init_assets(app)  # first: its after_request hook (compression) must run last
    init_security(app)
    init_storage(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)

    from shop import (
        accounts,
        admin,
        cart,
        catalog,
        checkout,
        core,
        demo,
        editorial,
        inventory,
        links,
        mail,
        models,  # noqa: F401  (registers every table with the metadata)
        orders,
        pages,
        payments,
        promotions,
        search,
        seo,
    )

    # Each package wires itself: its blueprint, CLI group, and what it tells core (template
    # values, page holes, the tables the page cache watches).
    for package in (
        core,  # first, after csrf: its page cache's csrf_token() replaces Flask-WTF's global
        accounts,
        admin,
        catalog,
        editorial,
        links,
        checkout,
        orders,
        payments,
        search,
        seo,
        pages,
        cart,
        inventory,
        promotions,
        mail,
        demo,
    ):
        package.init_app(app)
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
