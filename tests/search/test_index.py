"""The index itself: the same on a migrated database as on one made from the models, and
in step with the documents however they change."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade
from flask_sqlalchemy import SQLAlchemy

from shop.catalog.models import Product
from shop.extensions import db as _db
from shop.search.models import SearchDocument
from shop.search.queries import search
from tests.conftest import ThrowawayDatabases, make_app
from tests.factories import make_answer, make_product


def _engine_structures(connection: sa.Connection) -> list[tuple[str, ...]]:
    """What each engine builds beside search_documents, as the database reports it."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master "
            "WHERE name = 'search_fts' OR type = 'trigger' ORDER BY name"
        )
    else:
        rows = connection.exec_driver_sql(
            "SELECT 'column', a.attname, pg_get_expr(d.adbin, d.adrelid) "
            "FROM pg_attribute a "
            "JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = 'search_documents'::regclass "
            "UNION ALL SELECT 'index', indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'search_documents' ORDER BY 2"
        )
    return [tuple(row) for row in rows]


def test_migration_builds_the_same_index_as_the_models(
    backend: str, databases: ThrowawayDatabases, tmp_path: Path
) -> None:
    found = []
    for build in ("migrate", "create_all"):
        app = make_app(databases.new(backend), tmp_path / build)
        with app.app_context():
            if build == "migrate":
                upgrade()
            else:
                _db.create_all()
            with _db.engine.connect() as connection:
                found.append(_engine_structures(connection))
            _db.engine.dispose()
    migrated, created = found
    assert migrated == created
    names = {row[1] for row in migrated}
    if backend == "sqlite":
        assert {"search_fts", "search_documents_ai", "search_documents_ad"} <= names
    else:
        assert {"search_vector", "ix_search_documents_search_vector"} <= names


def test_index_stays_in_step_through_inserts_updates_and_deletes(db: SQLAlchemy) -> None:
    kept = make_product("Kept Kelp Cream")
    renamed = make_product("Old Oat Balm")
    removed = make_product("Removed Rosehip Oil")
    bulk_removed = make_product("Bulk Birch Toner")
    answer = make_answer("What about kelp?", body="Kelp is fine.")
    db.session.commit()

    renamed.name = "New Nettle Balm"
    db.session.delete(removed)
    db.session.commit()
    # Deleting around the ORM takes the document too (ON DELETE CASCADE).
    db.session.execute(sa.delete(Product).where(Product.id == bulk_removed.id))
    db.session.commit()

    subjects = db.session.execute(
        sa.select(SearchDocument.product_id, SearchDocument.answer_id)
    ).all()
    assert sorted(subjects, key=str) == sorted(
        [(kept.id, None), (renamed.id, None), (None, answer.id)], key=str
    )
    if db.engine.dialect.name == "sqlite":
        # FTS5 compares its index with the documents and raises if they differ.
        db.session.execute(
            sa.text("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)")
        )
    totals = {q: [g.page.total for g in search(q).groups] for q in ("nettle", "oat", "rosehip")}
    assert totals == {"nettle": [1, 0], "oat": [0, 0], "rosehip": [0, 0]}
    assert [g.page.total for g in search("kelp").groups] == [1, 1]
