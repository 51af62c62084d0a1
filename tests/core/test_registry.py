"""Core's seams: a page hole, a watched table or a version moment exists only once a package
registers it with the app, and the page cache then honours it.

The "bare" app here is core alone: no domain package is installed, so whatever its pages show
comes from what each test registers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, Response, render_template_string, session
from flask_sqlalchemy import SQLAlchemy
from markupsafe import Markup
from sqlalchemy.sql.elements import ColumnElement

from shop.core.assets import init_assets
from shop.core.models import ContentVersion, utcnow
from shop.core.pagecache import (
    add_page_hole,
    add_version_moment,
    cached,
    init_pagecache,
    read_version,
    watch_tables,
)
from shop.core.registry import registry
from shop.core.storage import init_storage
from shop.core.templating import add_template_values, register_templating
from shop.editorial.models import AnswerStatus
from shop.extensions import csrf
from shop.extensions import db as shop_db
from tests.factories import make_answer

# A table of the test's own, in a metadata of its own: no domain owns it.
notes = sa.Table(
    "notes",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("shown_at", sa.DateTime(timezone=True)),
)
PAGE = "{{ csrf_token() }}|{{ notes }} notes|{{ greeting() if greeting is defined else '-' }}"


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[Flask]:
    """Core alone on a SQLite file of its own, with a cached page listing the notes."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="bare-secret",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'bare.db'}",
        SHOP_NAME="Bare",
        MEDIA_STORAGE="local",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    init_assets(app)
    init_storage(app)
    shop_db.init_app(app)
    csrf.init_app(app)
    init_pagecache(app)
    register_templating(app)
    app.extensions["rendered"] = 0

    @app.get("/notes")
    def notes_page() -> Response:
        def render() -> str:
            app.extensions["rendered"] += 1
            count = shop_db.session.scalar(sa.select(sa.func.count()).select_from(notes))
            return render_template_string(PAGE, notes=count)

        return cached(render)

    with app.app_context():
        ContentVersion.metadata.create_all(shop_db.engine, tables=[ContentVersion.__table__])  # type: ignore[list-item]
        notes.create(shop_db.engine)
        shop_db.session.add(ContentVersion(id=1, version=1, changed_at=utcnow()))
        shop_db.session.commit()
    yield app
    with app.app_context():
        shop_db.session.remove()
        shop_db.engine.dispose()


def _add_note(app: Flask, shown_at: datetime | None = None) -> None:
    with app.app_context():
        shop_db.session.execute(sa.insert(notes).values(shown_at=shown_at))
        shop_db.session.commit()


def _newest_note(now: ColumnElement[datetime]) -> ColumnElement[datetime | None]:
    return sa.select(sa.func.max(notes.c.shown_at)).where(notes.c.shown_at <= now).scalar_subquery()


def test_an_app_that_registers_nothing_has_only_the_csrf_hole(bare: Flask) -> None:
    page = bare.test_client().get("/notes")
    assert page.status_code == 200
    token, count, greeting = page.get_data(as_text=True).split("|")
    assert len(token) > 20  # the visitor's own token, filled into the cached page
    assert (count, greeting) == ("0 notes", "-")
    found = registry(bare)
    assert found.page_holes == {}
    assert found.watched_tables == set()
    assert found.version_moments == {}
    assert "cart_badge" not in bare.jinja_env.globals
    assert "nav_categories" not in bare.jinja_env.globals
    with bare.test_request_context():
        assert bare.jinja_env.globals["image_srcset"]("products/7/a-600.jpg") == ""  # type: ignore[operator]


def test_a_registered_hole_is_filled_for_each_visitor_on_a_cached_page(bare: Flask) -> None:
    def greeting() -> Markup:
        return Markup("Hello, {}").format(session.get("name", "stranger"))

    add_page_hole(bare, "greeting", greeting)

    @bare.get("/name/<name>")
    def set_name(name: str) -> str:
        session["name"] = name
        return "ok"

    ada, bob = bare.test_client(), bare.test_client()
    ada.get("/name/Ada")
    first = ada.get("/notes")
    second = bob.get("/notes")
    assert bare.extensions["rendered"] == 1  # Bob was served Ada's cached page
    assert first.get_data(as_text=True).endswith("|Hello, Ada")
    assert second.get_data(as_text=True).endswith("|Hello, stranger")
    etag = {"If-None-Match": first.headers["ETag"]}
    assert ada.get("/notes", headers=etag).status_code == 304
    # What the hole shows is part of the visitor's ETag: a new name is a new page for them.
    ada.get("/name/Ada L")
    renamed = ada.get("/notes", headers=etag)
    assert renamed.status_code == 200
    assert renamed.get_data(as_text=True).endswith("|Hello, Ada L")
    assert bare.extensions["rendered"] == 1


def _notes_seen(app: Flask) -> str:
    return app.test_client().get("/notes").get_data(as_text=True).split("|")[1]


def test_only_a_write_to_a_watched_table_shows_on_the_next_request(bare: Flask) -> None:
    assert _notes_seen(bare) == "0 notes"
    _add_note(bare)
    # Nobody said public pages show notes: the cached page stands.
    assert _notes_seen(bare) == "0 notes"
    watch_tables(bare, notes.name)
    _add_note(bare)
    assert _notes_seen(bare) == "2 notes"
    assert bare.extensions["rendered"] == 2


def test_a_version_moment_moves_the_version_with_no_write(bare: Flask) -> None:
    due = utcnow() + timedelta(minutes=5)
    _add_note(bare, shown_at=due)
    with bare.app_context():
        assert read_version().key == read_version(due + timedelta(seconds=1)).key == "1"
        add_version_moment(bare, "newest_note", _newest_note)
        before = read_version(due - timedelta(seconds=1))
        after = read_version(due + timedelta(seconds=1))
    assert before.moments == (None,)
    assert before.key != after.key
    assert after.moments[0] is not None
    assert after.moments[0].replace(tzinfo=due.tzinfo) == due
    assert after.last_modified == due


def test_template_values_are_the_app_s_own(bare: Flask, app: Flask) -> None:
    add_template_values(bare, motto=lambda: "Be kind to your skin")
    with bare.test_request_context():
        assert render_template_string("{{ motto() }}") == "Be kind to your skin"
    with app.test_request_context():
        assert render_template_string("{{ motto is defined }}") == "False"
    assert "motto" not in registry(app).template_values


def test_the_shop_registers_its_domains_with_core(app: Flask) -> None:
    found = registry(app)
    assert list(found.page_holes) == ["cart_badge"]
    assert {"products", "variants", "answers", "promotions"} <= found.watched_tables
    # Stock moves pages only when its words change: a commit check, not a watched table.
    assert "stock_records" not in found.watched_tables
    assert [check.__name__ for check in found.commit_checks] == ["stock_faces_changed"]
    assert "orders" not in found.watched_tables  # no public page shows an order
    assert list(found.version_moments) == ["last_published"]
    assert "nav_categories" in found.template_values
    assert found.image_copies is not None


@pytest.mark.parametrize(
    ("status", "published", "counts"),
    [
        (AnswerStatus.PUBLISHED, -60, True),
        (AnswerStatus.SCHEDULED, -60, True),  # its time has come
        (AnswerStatus.SCHEDULED, 60, False),
        (AnswerStatus.DRAFT, -60, False),  # a draft keeps its old publish time
    ],
)
def test_the_column_s_moment_is_the_newest_answer_visitors_can_see(
    app: Flask, db: SQLAlchemy, status: AnswerStatus, published: int, counts: bool
) -> None:
    moment = utcnow().replace(microsecond=0) + timedelta(seconds=published)
    answer = make_answer("When?", slug="when", status=status, published_at=moment)
    db.session.commit()
    newest = read_version().moments[0]
    assert (newest is not None) is counts
    assert answer.is_public() is counts
