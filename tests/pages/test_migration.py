"""A fresh install (the schema built by the migrations) has the five pages the footer needs."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import upgrade

from shop.extensions import db
from shop.pages.models import STANDARD_PAGES
from tests.conftest import ThrowawayDatabases, make_app
from tests.html import visible_text
from tests.pages.test_views import FOOTER_PATHS, footer_links


def test_a_fresh_install_answers_every_footer_link(
    backend: str, databases: ThrowawayDatabases, tmp_path: Path
) -> None:
    app = make_app(databases.new(backend), tmp_path)
    with app.app_context():
        upgrade()
        client = app.test_client()
        home = client.get("/")
        assert [href for href, _ in footer_links(home)] == FOOTER_PATHS
        for standard in STANDARD_PAGES:
            response = client.get(f"/pages/{standard.slug}")
            assert response.status_code == 200
            text = visible_text(response)
            assert f"{standard.title} We are still writing this page." in text
        db.session.remove()
        db.engine.dispose()
