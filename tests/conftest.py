"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from SHOP_TEST_POSTGRES_URL (a server URL whose database may be
any existing one); each test session creates its own throwaway database there, so
parallel runs never meet. Without the variable, the PostgreSQL half skips and says why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop import create_app
from shop.extensions import db as _db

# Shared fixtures that live in their own modules.
pytest_plugins = [
    "tests.fixtures_mail",
    "tests.fixtures_stripe",
    "tests.fixtures_live",
    "tests.fixtures_staff",
]

POSTGRES_ENV = "SHOP_TEST_POSTGRES_URL"
REQUIRE_ENV = "SHOP_REQUIRE_SERVICES"
BACKENDS = ("sqlite", "postgresql")


def skip_or_fail(reason: str) -> None:
    """Skip a test whose server is missing, with a reason; in CI (SHOP_REQUIRE_SERVICES=1) fail."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1 makes this a failure)")
    pytest.skip(reason)


def postgres_admin_url() -> str | None:
    """Return the configured PostgreSQL server URL with the psycopg 3 driver, or None."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return url


class ThrowawayDatabases:
    """Creates fresh databases for one test session and drops them at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []

    def new(self, backend: str) -> str:
        """Return the URL of a new empty database on `backend`."""
        name = f"shop_test_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.db')}"
        admin = postgres_admin_url()
        if admin is None:
            pytest.skip(
                f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1/test)"
            )
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except sa.exc.OperationalError as exc:
            skip_or_fail(f"PostgreSQL at {POSTGRES_ENV} is unreachable: {exc.orig}")
        finally:
            engine.dispose()
        self.created.append(name)
        return sa.make_url(admin).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        admin = postgres_admin_url()
        if admin is None or not self.created:
            return
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in self.created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThrowawayDatabases]:
    dbs = ThrowawayDatabases(tmp_path_factory.mktemp("databases"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def schema_urls(databases: ThrowawayDatabases) -> dict[str, str]:
    """Database URLs whose schema has been created, one per backend, made on first use."""
    return {}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database engine under test."""
    return str(request.param)


def make_app(database_url: str, media_root: Path, **overrides: Any) -> Flask:
    return create_app(
        {
            "SHOP_ENV": "testing",
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(media_root),
            "MAIL_FILE_DIR": f"{media_root}-mail",
            "SHOP_BASE_URL": "http://shop.test",
            **overrides,
        }
    )


@pytest.fixture
def app(
    backend: str,
    databases: ThrowawayDatabases,
    schema_urls: dict[str, str],
    tmp_path: Path,
) -> Iterator[Flask]:
    """The app on an empty schema (tables made once per session, emptied after each test)."""
    if backend not in schema_urls:
        url = databases.new(backend)
        setup = make_app(url, tmp_path)
        with setup.app_context():
            _db.create_all()
            _db.engine.dispose()
        schema_urls[backend] = url
    application = make_app(schema_urls[backend], tmp_path / "media")

    @application.teardown_request
    def end_unit_of_work(exc: BaseException | None) -> None:
        # Requests share the test's app context, so Flask-SQLAlchemy would keep their
        # transaction open. End it as a real request's teardown does: what the view did
        # not commit is gone (so a missing commit fails the test), and SQLite's lock is freed.
        _db.session.rollback()
        # Per-request caches live in `g`, which the shared context would otherwise keep:
        # ours, Flask-Login's signed-in user and Flask-WTF's CSRF token. A real request
        # starts with an empty `g`.
        for key in ("catalog_categories", "queued_mail_ids", "_login_user", "csrf_token"):
            g.pop(key, None)

    with application.app_context():
        yield application
        _db.session.remove()
        _empty_tables(_db)
        _db.engine.dispose()


def _empty_tables(db: SQLAlchemy) -> None:
    tables = db.metadata.sorted_tables
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


@pytest.fixture
def db(app: Flask) -> SQLAlchemy:
    """The database, bound to the test app."""
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def _backend_of(nodeid: str) -> str | None:
    params = nodeid.rpartition("[")[2].rstrip("]").split("-") if nodeid.endswith("]") else []
    return next((b for b in BACKENDS if b in params), None)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many database tests ran on each engine, so a CI log shows PostgreSQL ran."""
    ran = dict.fromkeys(BACKENDS, 0)
    skipped = dict.fromkeys(BACKENDS, 0)
    for outcome, reports in terminalreporter.stats.items():
        for report in reports:
            backend = _backend_of(getattr(report, "nodeid", ""))
            if backend is None:
                continue
            if outcome == "skipped":
                skipped[backend] += 1
            elif outcome in ("passed", "failed") and report.when == "call":
                ran[backend] += 1
    terminalreporter.write_line(
        f"Database tests run: SQLite {ran['sqlite']}, PostgreSQL {ran['postgresql']}; "
        f"skipped: SQLite {skipped['sqlite']}, PostgreSQL {skipped['postgresql']}"
    )
