"""Health checks for a load balancer or orchestrator, and the answer when the database is down.

`/healthz` says the process lives and answers requests (it touches nothing else), so a
restart is only ordered for a process that is really stuck. `/readyz` says this instance
can serve the shop: the database answers and its schema is at the newest migration. A
load balancer sends traffic only to ready instances, and a deploy that forgot
`flask db upgrade` never goes live.

When the database cannot be reached mid-request, visitors get the "briefly unavailable"
page with status 503 and a Retry-After, never a stack trace.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, Response, current_app, jsonify
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shop.extensions import db, limiter

RETRY_AFTER_SECONDS = 30


def _heads(app: Flask) -> set[str]:
    """The newest migration revisions shipped with this code (read once per process)."""
    heads: set[str] | None = app.extensions.get("shop_migration_heads")
    if heads is None:
        directory = Path(app.extensions["migrate"].directory)
        heads = set(ScriptDirectory(str(directory)).get_heads())
        app.extensions["shop_migration_heads"] = heads
    return heads


def healthz() -> Response:
    """The process lives."""
    response = jsonify(status="ok")
    response.cache_control.no_store = True
    return response


def readyz() -> tuple[Response, int]:
    """The database answers and its schema is at the newest migration."""
    checks: dict[str, str] = {}
    ready = True
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
        checks["database"] = "ok"
        expected = _heads(current_app)
        if current == expected:
            checks["migrations"] = "ok"
        else:
            ready = False
            have = ", ".join(sorted(current)) or "none"
            checks["migrations"] = (
                f"at {have}, expected {', '.join(sorted(expected))}: run flask db upgrade"
            )
    except (DBAPIError, PoolTimeout, OSError) as exc:
        ready = False
        current_app.logger.warning("Readiness check: the database is not answering: %s", exc)
        checks["database"] = "unreachable"
        checks["migrations"] = "unknown"
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.cache_control.no_store = True
    return response, 200 if ready else 503


def database_unavailable(exc: Exception) -> Response:
    """The friendly 503 page when the database cannot be reached (or its pool is drained)."""
    from shop.core.web import render_error

    current_app.logger.error("The database is not answering: %s", exc)
    # The connection may be gone; the session is reset at the end of the request anyway.
    with contextlib.suppress(DBAPIError):
        db.session.rollback()
    page, code = render_error(503, "Please try again in a minute. Nothing you sent was lost.")
    response = current_app.make_response((page, code))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.cache_control.no_store = True
    return response


def register_health(app: Flask) -> None:
    """Mount /healthz and /readyz (no rate limit, no session) and the 503 handler."""
    app.add_url_rule("/healthz", endpoint="healthz", view_func=limiter.exempt(healthz))
    app.add_url_rule("/readyz", endpoint="readyz", view_func=limiter.exempt(readyz))

    for error in (OperationalError, PoolTimeout):
        app.register_error_handler(error, database_unavailable)
