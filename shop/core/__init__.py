"""Shared building blocks: money, Markdown, pagination, slugs, errors, the page cache, assets.

Core imports no domain: what only a domain knows (its tables, its template values, its page
holes) it registers at app init through the seams listed in `registry.py`.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the page cache, template filters and globals, the media route, error pages and
    health checks (after the CSRF extension: the page cache's csrf_token() replaces its own)."""
    from shop.core.health import register_health
    from shop.core.pagecache import init_pagecache
    from shop.core.readonly import install_guards
    from shop.core.templating import register_templating
    from shop.core.web import register_web

    init_pagecache(app)  # after csrf: its csrf_token() replaces Flask-WTF's template global
    register_templating(app)
    register_web(app)
    register_health(app)
    install_guards(app)
