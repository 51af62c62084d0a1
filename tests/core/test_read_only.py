"""Pages that only read are built while a sale holds the database's write lock, and a page
marked read-only that tries to write is refused before anything is sent."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask
from flask_sqlalchemy import SQLAlchemy

from shop.core.models import ContentVersion
from shop.core.readonly import ReadOnlyWrite, read_only_gets
from shop.extensions import csrf
from shop.links.services import add_link
from tests.factories import make_answer, make_product
from tests.html import visible_text


@contextmanager
def writer_holding_the_lock(db: SQLAlchemy) -> Iterator[None]:
    """Another process in the middle of a write: SQLite's write lock taken and kept."""
    path = db.engine.url.database
    assert path
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE content_versions SET changed_at = changed_at")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_public_pages_are_built_while_another_process_holds_the_write_lock(
    app: Flask, db: SQLAlchemy, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL readers never wait for a writer; the write lock is SQLite's")
    app.config["CACHE_TYPE"] = "NullCache"  # every request builds its page from the database
    product = make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 2500, 9)])
    answer = make_answer("Which cream for winter?", slug="winter-cream")
    add_link(answer.id, product.id, note="Thick enough for January.")
    db.session.commit()
    db.session.remove()
    visitor = app.test_client()

    with writer_holding_the_lock(db):
        pages = {
            url: visitor.get(url)
            for url in (
                "/",
                "/products/",
                "/products/barrier-cream",
                "/answers/winter-cream",
                "/search?q=cream",
                "/sitemap.xml",
            )
        }
        for url, page in pages.items():
            assert page.status_code == 200, url
        assert "Barrier Cream" in visible_text(pages["/answers/winter-cream"])
        assert "In stock" in visible_text(pages["/products/barrier-cream"])


def test_a_read_only_page_that_writes_is_refused_and_writes_nothing(
    app: Flask, db: SQLAlchemy
) -> None:
    bp = Blueprint("careless", __name__)
    read_only_gets(bp)

    @bp.route("/careless", methods=["GET", "POST"])
    def careless() -> str:
        db.session.execute(sa.update(ContentVersion).values(version=ContentVersion.version + 99))
        db.session.commit()
        return "written"

    csrf.exempt(careless)
    app.register_blueprint(bp)
    db.session.add(ContentVersion(id=1, version=1))
    db.session.commit()
    db.session.remove()
    visitor = app.test_client()

    with pytest.raises(ReadOnlyWrite):
        visitor.get("/careless")
    db.session.remove()
    assert db.session.scalar(sa.select(ContentVersion.version)) == 1

    assert visitor.post("/careless").status_code == 200  # a POST is a write: it may
    db.session.remove()
    assert db.session.scalar(sa.select(ContentVersion.version)) == 100
