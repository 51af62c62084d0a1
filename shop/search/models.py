"""The search index: one row of plain text per product and per answer.

`search_documents` is an ordinary table, the same on both engines, written by
`shop.search.services`. What each engine builds on top of it is deliberately outside the
models, made by DDL that runs after `create_all` (tests) and by the migration
(`20261125_6c1f0a9e5b2d_search_index.py`), and hidden from Alembic by
`alembic_include_name`:

- SQLite: `search_fts`, an FTS5 table over `search_documents` (external content, so
  the text is stored once), kept in step by three triggers, plus FTS5's shadow tables.
- PostgreSQL: `search_documents.search_vector`, a stored generated `tsvector` (title
  weight A, keywords B, body D) with a GIN index.

Both are derived from `search_documents` inside the database, so they cannot drift
from it whatever writes the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.extensions import Model

FTS_TABLE = "search_fts"
VECTOR_COLUMN = "search_vector"
VECTOR_INDEX = "ix_search_documents_search_vector"
# How much a match in each column counts: title, then keywords, then body.
SQLITE_WEIGHTS = (10.0, 4.0, 1.0)

SQLITE_CREATE = (
    # porter: English stemming as PostgreSQL's 'english' configuration does;
    # remove_diacritics: "creme" finds "crème"; prefix: fast "rep*" lookups.
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "title, keywords, body, content='search_documents', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, title, keywords, body) "
    "VALUES (new.id, new.title, new.keywords, new.body); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, keywords, body) "
    "VALUES ('delete', old.id, old.title, old.keywords, old.body); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, keywords, body) "
    "VALUES ('delete', old.id, old.title, old.keywords, old.body); "
    "INSERT INTO search_fts(rowid, title, keywords, body) "
    "VALUES (new.id, new.title, new.keywords, new.body); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS search_documents_au",
    "DROP TRIGGER IF EXISTS search_documents_ad",
    "DROP TRIGGER IF EXISTS search_documents_ai",
    "DROP TABLE IF EXISTS search_fts",
)


def _weighted(column: str, weight: str) -> str:
    # PostgreSQL's parser would take "<b>word</b>" for markup and skip the word; SQLite
    # indexes it. Reading angle brackets as spaces makes both find the same words.
    text = f"translate(coalesce({column}, ''), '<>', '  ')"
    return f"setweight(to_tsvector('english'::regconfig, {text}), '{weight}')"


POSTGRES_CREATE = (
    f"ALTER TABLE search_documents ADD COLUMN {VECTOR_COLUMN} tsvector GENERATED ALWAYS AS ("
    + " || ".join(_weighted(c, w) for c, w in (("title", "A"), ("keywords", "B"), ("body", "D")))
    + ") STORED",
    f"CREATE INDEX {VECTOR_INDEX} ON search_documents USING gin ({VECTOR_COLUMN})",
)


class SearchDocument(Model):
    """What search reads for one product or one answer, as plain text.

    Holds every product and answer whatever its status: who may see a hit is decided
    when searching, so a scheduled answer becomes findable at its time with no job.
    """

    __tablename__ = "search_documents"
    __table_args__ = (
        sa.CheckConstraint("(product_id IS NULL) <> (answer_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), unique=True, default=None
    )
    answer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("answers.id", ondelete="CASCADE"), unique=True, default=None
    )
    # Product name or answer question: ranked highest and highlighted in results.
    title: Mapped[str] = mapped_column(sa.Text)
    # Brand, ingredients, category, concerns; or an answer's bottom line, topics, doctor.
    keywords: Mapped[str] = mapped_column(sa.Text, default="")
    # Description and directions; or the answer and the reader's letter. Snippets come from here.
    body: Mapped[str] = mapped_column(sa.Text, default="")

    def __repr__(self) -> str:
        subject = f"product {self.product_id}" if self.product_id else f"answer {self.answer_id}"
        return f"<SearchDocument {subject}>"


@sa.event.listens_for(SearchDocument.__table__, "after_create")
def _create_engine_index(target: sa.Table, connection: sa.Connection, **kw: Any) -> None:
    """Build the engine's own index when `create_all` makes the table (the tests do)."""
    engine_ddl = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}
    for statement in engine_ddl.get(connection.dialect.name, ()):
        connection.exec_driver_sql(statement)


@sa.event.listens_for(SearchDocument.__table__, "before_drop")
def _drop_engine_index(target: sa.Table, connection: sa.Connection, **kw: Any) -> None:
    """Drop SQLite's FTS5 table with the documents (PostgreSQL's go with the table)."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            connection.exec_driver_sql(statement)


def alembic_include_name(name: str | None, type_: str, parent_names: Mapping[str, object]) -> bool:
    """Tell Alembic to leave the engines' own index structures out of its comparison."""
    if name is None:
        return True
    if type_ == "table":
        # search_fts and FTS5's shadow tables (search_fts_data, _idx, _docsize, _config).
        return not (name == FTS_TABLE or name.startswith(FTS_TABLE + "_"))
    if parent_names.get("table_name") == "search_documents":
        return not (
            (type_ == "column" and name == VECTOR_COLUMN)
            or (type_ == "index" and name == VECTOR_INDEX)
        )
    return True
