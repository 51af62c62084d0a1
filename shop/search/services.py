"""Keep the search index up to date.

How the index is kept, and why this way:

- What is searched is built in Python, once, for both engines: each product and answer
  has one `search_documents` row of plain text (Markdown rendered and stripped, so
  snippets show words, not `##` and `**`). Writing it in Python rather than in
  triggers means the brand, category, concerns, doctor and topics that live in other
  tables, and the Markdown, are handled by one piece of code that behaves the same on
  SQLite and PostgreSQL, instead of two sets of triggers that would have to agree.
- Changes made through the ORM are picked up by an `after_flush` listener on every
  session: a product or answer whose indexed fields changed, and every product or
  answer that shows a renamed brand, category, concern, doctor or topic, is rewritten
  in the same transaction, so a rename is searchable as soon as it is committed and a
  rolled-back edit leaves no trace. Status is not indexed: who may see a hit is
  decided when searching, against `now`, so publishing, scheduling, archiving and a
  scheduled answer coming due all need no index write at all.
- Deleting a product or answer deletes its document through the foreign key
  (ON DELETE CASCADE), whatever issued the DELETE.
- Writes that go around the ORM (the demo's bulk Core inserts, ORM-enabled bulk UPDATE
  statements, SQL typed by hand) are not seen; `reindex()` rebuilds everything and is
  what `flask --app shop search reindex` and `demo load` run. Run it once after the
  migration that adds the index, too: the migration creates the tables empty.
- The engines' own structures are derived from `search_documents` inside the database
  (see `shop.search.models`): on SQLite, triggers copy each write into the FTS5 table;
  on PostgreSQL, the weighted `tsvector` is a stored generated column. Neither can drift
  from the documents, whichever code writes them.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import nh3
import sqlalchemy as sa
from sqlalchemy.orm import Session, UOWTransaction

from shop.catalog.models import Brand, Category, Product, SkinConcern, product_concerns
from shop.core.markdown import render_markdown
from shop.core.models import conflict_insert
from shop.editorial.models import Answer, Doctor, Topic, answer_concerns, answer_topics
from shop.extensions import db
from shop.search.models import SearchDocument
from shop.search.queries import RESERVED

CHUNK = 500
MAX_FIELD_CHARS = 100_000
TEXT_COLUMNS = ("title", "keywords", "body")
_PENDING = "shop.search.pending"
_UNRESERVE = dict.fromkeys(map(ord, RESERVED), " ")

# The attributes a document is built from; a change to any other leaves it as it is.
INDEXED_ATTRIBUTES: dict[type[Any], tuple[str, ...]] = {
    Product: (
        "name",
        "brand",
        "brand_id",
        "category",
        "category_id",
        "key_ingredients",
        "description",
        "how_to_use",
        "concerns",
    ),
    Answer: (
        "question",
        "letter",
        "body",
        "bottom_line",
        "doctor",
        "doctor_id",
        "topics",
        "concerns",
    ),
}
# Rows whose name appears in other rows' documents.
NAMED = (Brand, Category, SkinConcern, Doctor, Topic)


@dataclass(frozen=True)
class ReindexResult:
    products: int
    answers: int


@dataclass
class _Changes:
    """What a flush changed that the index must follow."""

    product_ids: set[int] = field(default_factory=set)
    answer_ids: set[int] = field(default_factory=set)
    renamed: dict[type[Any], set[int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.product_ids or self.answer_ids or self.renamed)


def refresh_documents(
    connection: sa.Connection, product_ids: Iterable[int] = (), answer_ids: Iterable[int] = ()
) -> None:
    """Rewrite the search documents of these products and answers from their rows."""
    for chunk in _chunks(product_ids):
        _upsert(connection, "product_id", _product_documents(connection, chunk))
    for chunk in _chunks(answer_ids):
        _upsert(connection, "answer_id", _answer_documents(connection, chunk))


def reindex() -> ReindexResult:
    """Rebuild every product's and answer's search document (after bulk loads, upgrades)."""
    db.session.flush()
    connection = db.session.connection()
    product_ids = connection.scalars(sa.select(Product.id).order_by(Product.id)).all()
    answer_ids = connection.scalars(sa.select(Answer.id).order_by(Answer.id)).all()
    refresh_documents(connection, product_ids, answer_ids)
    if connection.dialect.name == "sqlite":
        # Re-read FTS5 from the documents, mending anything that went around the triggers.
        connection.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
    return ReindexResult(products=len(product_ids), answers=len(answer_ids))


def register_index_events() -> None:
    """Follow ORM changes to products, answers and the names they show (once per process)."""
    if not sa.event.contains(Session, "after_flush", _after_flush):
        sa.event.listen(Session, "before_flush", _before_flush)
        sa.event.listen(Session, "after_flush", _after_flush)


def _before_flush(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    # A deleted concern or topic takes its association rows with it, so which documents
    # named it can only be asked before the flush.
    gone: dict[type[Any], set[int]] = {}
    for obj in session.deleted:
        if isinstance(obj, SkinConcern | Topic) and obj.id is not None:
            gone.setdefault(type(obj), set()).add(obj.id)
    if gone:
        changes = session.info.setdefault(_PENDING, _Changes())
        products, answers = _showing(session.connection(), gone)
        changes.product_ids |= products
        changes.answer_ids |= answers


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    # new, dirty and attribute histories still show what this flush wrote.
    changes: _Changes = session.info.pop(_PENDING, None) or _Changes()
    for obj in session.new:
        if isinstance(obj, Product):
            changes.product_ids.add(obj.id)
        elif isinstance(obj, Answer):
            changes.answer_ids.add(obj.id)
    for obj in session.dirty:
        if isinstance(obj, Product) and _changed(obj, INDEXED_ATTRIBUTES[Product]):
            changes.product_ids.add(obj.id)
        elif isinstance(obj, Answer) and _changed(obj, INDEXED_ATTRIBUTES[Answer]):
            changes.answer_ids.add(obj.id)
        elif isinstance(obj, NAMED) and _changed(obj, ("name",)):
            changes.renamed.setdefault(type(obj), set()).add(obj.id)
    if not changes:
        return
    connection = session.connection()
    products, answers = _showing(connection, changes.renamed)
    refresh_documents(connection, changes.product_ids | products, changes.answer_ids | answers)


def _changed(obj: object, attributes: Sequence[str]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def _showing(
    connection: sa.Connection, named: dict[type[Any], set[int]]
) -> tuple[set[int], set[int]]:
    """Return the products and answers whose documents show any of these names."""
    products: set[int] = set()
    answers: set[int] = set()
    if ids := named.get(Brand):
        products.update(connection.scalars(sa.select(Product.id).where(Product.brand_id.in_(ids))))
    if ids := named.get(Category):
        products.update(
            connection.scalars(sa.select(Product.id).where(Product.category_id.in_(ids)))
        )
    if ids := named.get(SkinConcern):
        products.update(
            connection.scalars(
                sa.select(product_concerns.c.product_id).where(
                    product_concerns.c.concern_id.in_(ids)
                )
            )
        )
        answers.update(
            connection.scalars(
                sa.select(answer_concerns.c.answer_id).where(answer_concerns.c.concern_id.in_(ids))
            )
        )
    if ids := named.get(Doctor):
        answers.update(connection.scalars(sa.select(Answer.id).where(Answer.doctor_id.in_(ids))))
    if ids := named.get(Topic):
        answers.update(
            connection.scalars(
                sa.select(answer_topics.c.answer_id).where(answer_topics.c.topic_id.in_(ids))
            )
        )
    return products, answers


def _product_documents(connection: sa.Connection, ids: list[int]) -> list[dict[str, Any]]:
    rows = connection.execute(
        sa.select(
            Product.id,
            Product.name,
            Product.key_ingredients,
            Product.description,
            Product.how_to_use,
            Brand.name.label("brand"),
            Category.name.label("category"),
        )
        .join(Brand, Brand.id == Product.brand_id)
        .join(Category, Category.id == Product.category_id)
        .where(Product.id.in_(ids))
    ).all()
    concerns = _names(connection, product_concerns.c.product_id, product_concerns.c.concern_id, ids)
    return [
        {
            "product_id": row.id,
            "title": _clean(row.name),
            "keywords": _clean(
                ", ".join(
                    [
                        row.brand,
                        *(row.key_ingredients or []),
                        row.category,
                        *concerns.get(row.id, []),
                    ]
                )
            ),
            "body": _clean(f"{_plain(row.description)} {_plain(row.how_to_use)}"),
        }
        for row in rows
    ]


def _answer_documents(connection: sa.Connection, ids: list[int]) -> list[dict[str, Any]]:
    rows = connection.execute(
        sa.select(
            Answer.id,
            Answer.question,
            Answer.letter,
            Answer.body,
            Answer.bottom_line,
            Doctor.name.label("doctor"),
        )
        .join(Doctor, Doctor.id == Answer.doctor_id)
        .where(Answer.id.in_(ids))
    ).all()
    concerns = _names(connection, answer_concerns.c.answer_id, answer_concerns.c.concern_id, ids)
    topic_rows = connection.execute(
        sa.select(answer_topics.c.answer_id, Topic.name)
        .join(Topic, Topic.id == answer_topics.c.topic_id)
        .where(answer_topics.c.answer_id.in_(ids))
        .order_by(Topic.name)
    )
    topics: dict[int, list[str]] = {}
    for answer_id, name in topic_rows:
        topics.setdefault(answer_id, []).append(name)
    return [
        {
            "answer_id": row.id,
            "title": _clean(row.question),
            "keywords": _clean(
                " ".join(
                    [
                        *(row.bottom_line or []),
                        ", ".join([*topics.get(row.id, []), *concerns.get(row.id, [])]),
                        f"Dr. {row.doctor}",
                    ]
                )
            ),
            "body": _clean(f"{_plain(row.body)} {row.letter}"),
        }
        for row in rows
    ]


def _names(
    connection: sa.Connection,
    owner: sa.Column[int],
    concern: sa.Column[int],
    ids: list[int],
) -> dict[int, list[str]]:
    """Return the skin-concern names of each owner (product or answer), by owner id."""
    found: dict[int, list[str]] = {}
    rows = connection.execute(
        sa.select(owner, SkinConcern.name)
        .join(SkinConcern, SkinConcern.id == concern)
        .where(owner.in_(ids))
        .order_by(SkinConcern.name)
    )
    for owner_id, name in rows:
        found.setdefault(owner_id, []).append(name)
    return found


def _upsert(connection: sa.Connection, key: str, documents: list[dict[str, Any]]) -> None:
    """Insert or update documents by their product or answer; unchanged ones are left alone."""
    if not documents:
        return
    table = cast(sa.Table, SearchDocument.__table__)
    stmt = conflict_insert(connection.dialect, table)
    # Skipping identical rows spares FTS5 a delete and re-insert on every reindex.
    changed = sa.or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in TEXT_COLUMNS))
    connection.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c[key]],
            set_={c: stmt.excluded[c] for c in TEXT_COLUMNS},
            where=changed,
        ),
        documents,
    )


def _plain(markdown: str | None) -> str:
    """The words of Markdown copy, without its markup."""
    if not markdown:
        return ""
    return html.unescape(nh3.clean(str(render_markdown(markdown)), tags=set()))


def _clean(text: str | None) -> str:
    # The highlight markers may appear only where the search engine puts them.
    text = (text or "").translate(_UNRESERVE)
    return " ".join(text.split())[:MAX_FIELD_CHARS]


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]
