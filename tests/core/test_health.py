"""/healthz and /readyz, and what visitors see when the database is gone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade

from shop.extensions import db
from tests.conftest import ThrowawayDatabases, make_app


@pytest.fixture
def migrated(backend: str, databases: ThrowawayDatabases, tmp_path: Path) -> Iterator[Flask]:
    """The app on a database built by the migrations, as `flask db upgrade` builds it."""
    application = make_app(databases.new(backend), tmp_path / "media")
    with application.app_context():
        upgrade()
        yield application
        db.session.remove()
        db.engine.dispose()


def _unreachable(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/no-such-folder/shop.db"
    # Nothing listens on port 9 (discard): the connection is refused at once.
    return "postgresql://postgres@127.0.0.1:9/shop"


def test_healthz_answers_without_touching_the_database(backend: str, tmp_path: Path) -> None:
    app = make_app(_unreachable(backend, tmp_path), tmp_path / "media")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert "no-store" in response.headers["Cache-Control"]


def test_readyz_is_ready_at_the_newest_migration(migrated: Flask) -> None:
    response = migrated.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok"},
    }


def test_readyz_is_not_ready_when_a_migration_is_missing(migrated: Flask) -> None:
    downgrade(revision="-1")
    response = migrated.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["database"] == "ok"
    assert "run flask db upgrade" in response.json["checks"]["migrations"]


def test_database_unreachable_readyz_fails_and_pages_say_503(backend: str, tmp_path: Path) -> None:
    app = make_app(_unreachable(backend, tmp_path), tmp_path / "media")
    client = app.test_client()

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json is not None
    assert ready.json["checks"] == {"database": "unreachable", "migrations": "unknown"}

    for path in ("/", "/products/", "/answers/", "/search?q=retinol"):
        page = client.get(path)
        assert page.status_code == 503, path
        html = page.get_data(as_text=True)
        assert "The shop is briefly unavailable" in html
        assert "Nothing you sent was lost" in html
        assert "Traceback" not in html
        assert "OperationalError" not in html
        assert page.headers["Retry-After"] == "30"


def test_a_form_sent_while_the_database_is_down_gets_the_503_page(
    backend: str, tmp_path: Path
) -> None:
    app = make_app(_unreachable(backend, tmp_path), tmp_path / "media", WTF_CSRF_ENABLED=False)
    page = app.test_client().post("/cart/add", data={"variant": "SKU-1", "quantity": "1"})
    assert page.status_code == 503
    assert "The shop is briefly unavailable" in page.get_data(as_text=True)
