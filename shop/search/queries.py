"""The search: products and answers matching a visitor's words, best first, in two groups.

Each engine contributes the same five pieces (see `_Fts`): a source to read documents
from, a match condition, a ranking, a highlighted title and a snippet. Everything else,
including who may see a hit, is one query shape for both: a product is found only
while it is active, an answer only while `editorial.queries.is_public(now)` holds, so a
draft never shows and a scheduled answer appears at its time.

A page costs the same few statements however many hits it shows: one count and one
page of hits per group (product images come in one more), and, only when nothing has
every word, the counts again for hits with any of them.

When nothing at all is found, words the shop does not know are corrected to the nearest
word it does (`shop.search.spelling`), and the corrected search is shown if it finds
anything ("Showing results for retinol"). The vocabulary is the words of what visitors
may see, read from the index once per state of the content and kept in the process, so
a correction never proposes a word from a draft, and both databases propose the same.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.orm import QueryableAttribute, selectinload

from shop.catalog.models import Product, ProductStatus
from shop.catalog.queries import ProductCard, card_columns, variant_summary
from shop.core.models import ContentVersion, utcnow
from shop.core.pagination import Page
from shop.editorial.models import Answer
from shop.editorial.queries import is_public
from shop.extensions import db
from shop.search.models import FTS_TABLE, SQLITE_WEIGHTS, VECTOR_COLUMN, SearchDocument
from shop.search.parser import _WORD, MAX_TERM_CHARS, STOP_WORDS, SearchQuery, parse_query
from shop.search.spelling import Vocabulary

PRODUCTS = "products"
ANSWERS = "answers"
GROUPS = (PRODUCTS, ANSWERS)
PER_GROUP = 10  # hits per group on the first page of results
PER_PAGE = 20  # hits per page when one group is shown on its own
MAX_PAGE = 500

# Private-use characters the engines put around matched words, and that stand in for
# "<" and ">" while PostgreSQL makes a headline (its parser would drop what looks like
# markup). Stored text never holds them (services strips them), so after escaping they
# can only be ours.
MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"
LESS_THAN = "\ue002"
GREATER_THAN = "\ue003"
RESERVED = MARK_OPEN + MARK_CLOSE + LESS_THAN + GREATER_THAN
SNIPPET_TOKENS = 24
_HEADLINE_MARKS = f"StartSel={MARK_OPEN}, StopSel={MARK_CLOSE}"
TITLE_HEADLINE = f"{_HEADLINE_MARKS}, HighlightAll=true"
BODY_HEADLINE = (
    f"{_HEADLINE_MARKS}, MaxWords={SNIPPET_TOKENS}, MinWords=12, MaxFragments=2, "
    'FragmentDelimiter=" … "'
)


_Select = TypeVar("_Select", bound="sa.Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class ProductHit:
    card: ProductCard
    title: Markup
    snippet: Markup


@dataclass(frozen=True)
class AnswerHit:
    answer: Answer
    title: Markup
    snippet: Markup


@dataclass(frozen=True)
class GroupResults:
    """One group of hits (products or answers), as a page."""

    kind: str
    page: Page[Any]

    @property
    def more(self) -> bool:
        """True when this group has hits beyond those shown."""
        return self.page.total > self.page.last_index


@dataclass(frozen=True)
class SearchResults:
    """What a search found: its groups in display order, and how the words were matched."""

    query: SearchQuery
    groups: list[GroupResults]
    # Nothing had every word, so these are hits with any of them.
    relaxed: bool = False
    # Only one group was asked for (`?group=`), page by page.
    group: str | None = None
    # What was typed, when these are the results of a corrected spelling of it.
    corrected_from: SearchQuery | None = None

    @property
    def total(self) -> int:
        return sum(g.page.total for g in self.groups)


@dataclass(frozen=True)
class _Fts:
    source: sa.FromClause
    matches: sa.ColumnElement[bool]
    # The same match as a condition on search_documents alone, for counting.
    matching_documents: sa.ColumnElement[bool]
    order: sa.ColumnElement[Any]
    title: sa.ColumnElement[str]
    snippet: sa.ColumnElement[str]


def highlighted(text: str | None) -> Markup:
    """Escape an engine's highlighted text, then turn its markers into <mark> elements."""
    safe = str(escape(text or "")).replace(LESS_THAN, "&lt;").replace(GREATER_THAN, "&gt;")
    if safe.count(MARK_OPEN) != safe.count(MARK_CLOSE):
        safe = safe.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    # Escaped first, so the only markup left is the <mark> elements put in here.
    return Markup(safe.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>"))  # noqa: S704


def search(
    text: str | None,
    group: str | None = None,
    page: int = 1,
    now: datetime | None = None,
    correct: bool = True,
) -> SearchResults:
    """Search products and answers; question-like searches list answers first.

    With `group`, return that group alone, `page` by page; otherwise the first hits of
    each group. When nothing matches and `correct` holds, search for the nearest words
    the shop knows instead, if that finds anything.
    """
    query = parse_query(text)
    kinds = [group] if group in GROUPS else list(GROUPS)
    if query.question_like:
        kinds.sort(key=lambda kind: kind != ANSWERS)
    if query.is_empty:
        return SearchResults(query, [], group=group if group in GROUPS else None)
    now = now or utcnow()
    # A question is searched for any of its key terms, best first: asking never finds
    # less than naming the thing asked about.
    fts = _engine(query, match_any=query.question_like)
    totals = {kind: _count(kind, fts, now) for kind in kinds}
    relaxed = False
    corrected_from = None
    if not any(totals.values()) and correct and (better := _corrected(query, now)):
        better_fts = _engine(better, match_any=better.question_like)
        better_totals = {kind: _count(kind, better_fts, now) for kind in kinds}
        if any(better_totals.values()):
            query, fts, totals, corrected_from = better, better_fts, better_totals, query
    if not any(totals.values()) and len(query.terms) > 1 and not query.question_like:
        relaxed = True
        fts = _engine(query, match_any=True)
        totals = {kind: _count(kind, fts, now) for kind in kinds}
    single = len(kinds) == 1
    per_page = PER_PAGE if single else PER_GROUP
    groups = []
    for kind in kinds:
        total = totals[kind]
        # A page past the end shows the last one: old links and edited URLs still land.
        last = max(1, -(-total // per_page))
        number = max(1, min(page, last, MAX_PAGE)) if single else 1
        hits: list[Any] = []
        if total:
            fetch = _product_hits if kind == PRODUCTS else _answer_hits
            hits = fetch(fts, now, per_page, (number - 1) * per_page)
        groups.append(GroupResults(kind, Page(hits, number, per_page, total)))
    return SearchResults(
        query, groups, relaxed, kinds[0] if single else None, corrected_from=corrected_from
    )


def _corrected(query: SearchQuery, now: datetime) -> SearchQuery | None:
    """The query with each word the shop does not know put right, or None if none can be."""
    vocabulary = vocabulary_now(now)
    fixes: dict[str, str] = {}
    for index, term in enumerate(query.terms):
        last = index == len(query.terms) - 1
        if not vocabulary.knows(term, prefix=last) and (nearest := vocabulary.closest(term)):
            fixes[term] = nearest
    if not fixes:
        return None

    def fix(word: re.Match[str]) -> str:
        return fixes.get(word.group().lower()[:MAX_TERM_CHARS], word.group())

    # The visitor's own words with the misspelt ones replaced, read again as typed.
    return parse_query(_WORD.sub(fix, query.text))


# A vocabulary is rebuilt when the index gains, loses or hides documents, and otherwise
# at most this often while the content version moves: stock changes move it too, and a
# rebuild reads every document (about two seconds for 15,000 on a busy machine). Until
# then an edited word is not yet proposed: no result depends on it, only a suggestion.
REFRESH_SECONDS = 300.0


@dataclass(frozen=True)
class _Built:
    state: tuple[Any, ...]
    version: int | None
    at: float
    vocabulary: Vocabulary


_vocabularies: dict[str, _Built] = {}
_vocabulary_lock = threading.Lock()


def vocabulary_now(now: datetime) -> Vocabulary:
    """The words of everything visitors may see now, kept while the content stays the same."""
    version, *state = _content_state(now)
    key = str(db.engine.url)
    built = _vocabularies.get(key)
    moment = time.monotonic()
    fresh = built is not None and (built.version == version or moment - built.at < REFRESH_SECONDS)
    if built is not None and fresh and built.state == tuple(state):
        return built.vocabulary
    vocabulary = Vocabulary(_public_words(now))
    with _vocabulary_lock:
        _vocabularies[key] = _Built(tuple(state), version, moment, vocabulary)
    return vocabulary


def _content_state(now: datetime) -> tuple[Any, ...]:
    # The content version moves with every committed change; the counts also see a change
    # not yet committed or made around the ORM, and the public ones a scheduled answer
    # coming due. All in one statement.
    def scalar(stmt: sa.Select[Any]) -> sa.ScalarSelect[Any]:
        return stmt.scalar_subquery()

    row = db.session.execute(
        sa.select(
            scalar(sa.select(ContentVersion.version).where(ContentVersion.id == 1)),
            scalar(sa.select(sa.func.count()).select_from(SearchDocument)),
            scalar(sa.select(sa.func.max(SearchDocument.id))),
            scalar(sa.select(sa.func.count()).select_from(Product).where(_public(PRODUCTS, now))),
            scalar(sa.select(sa.func.count()).select_from(Answer).where(_public(ANSWERS, now))),
        )
    ).one()
    return tuple(row)


def _public_words(now: datetime) -> Counter[str]:
    """Every word of the public products' and answers' documents, with how often it appears."""
    public = sa.or_(
        SearchDocument.product_id.in_(sa.select(Product.id).where(_public(PRODUCTS, now))),
        SearchDocument.answer_id.in_(sa.select(Answer.id).where(_public(ANSWERS, now))),
    )
    rows = db.session.execute(
        sa.select(SearchDocument.title, SearchDocument.keywords, SearchDocument.body).where(public)
    )
    counts: Counter[str] = Counter()
    for row in rows:
        text = " ".join(row)
        if not text.isascii():  # NFKC leaves ASCII as it is
            text = unicodedata.normalize("NFKC", text)
        counts.update(_WORD.findall(text.lower()))
    # Filtered once per distinct word rather than once per occurrence.
    for word in list(counts):
        if len(word) > MAX_TERM_CHARS or word.isdigit() or word in STOP_WORDS:
            del counts[word]
    return counts


def _engine(query: SearchQuery, match_any: bool) -> _Fts:
    if db.session.get_bind().dialect.name == "postgresql":
        return _postgres(query.tsquery(match_any))
    return _sqlite(query.fts5(match_any))


def _sqlite(expression: str) -> _Fts:
    fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))
    # FTS5 names the table itself as the MATCH target and as the auxiliary functions' cursor.
    ref: sa.ColumnElement[Any] = sa.literal_column(FTS_TABLE)
    matches = ref.op("MATCH")(sa.literal(expression, sa.String))
    return _Fts(
        source=sa.join(fts, SearchDocument, SearchDocument.id == fts.c.rowid),
        matches=matches,
        # Left to itself, SQLite counts by probing FTS5 once per product; this runs it once.
        matching_documents=SearchDocument.id.in_(sa.select(fts.c.rowid).where(matches)),
        order=sa.func.bm25(ref, *SQLITE_WEIGHTS),
        title=sa.func.highlight(ref, 0, MARK_OPEN, MARK_CLOSE),
        snippet=sa.func.snippet(ref, 2, MARK_OPEN, MARK_CLOSE, "…", SNIPPET_TOKENS),
    )


def _postgres(expression: str) -> _Fts:
    english: sa.ColumnElement[Any] = sa.literal_column("'english'::regconfig")
    vector: sa.ColumnElement[Any] = sa.literal_column(f"search_documents.{VECTOR_COLUMN}")
    tsquery = sa.func.to_tsquery(english, sa.literal(expression, sa.String))

    def shown(column: QueryableAttribute[str]) -> sa.ColumnElement[str]:
        return sa.func.translate(column, "<>", LESS_THAN + GREATER_THAN)

    matches = vector.op("@@")(tsquery)
    return _Fts(
        source=cast(sa.Table, SearchDocument.__table__),
        matches=matches,
        matching_documents=matches,
        # Normalisation 1 divides by the log of the length, so long answers do not win on
        # length alone. PostgreSQL puts ts_headline after the sort and limit (it is costly).
        order=sa.func.ts_rank_cd(vector, tsquery, 1).desc(),
        title=sa.func.ts_headline(english, shown(SearchDocument.title), tsquery, TITLE_HEADLINE),
        snippet=sa.func.ts_headline(english, shown(SearchDocument.body), tsquery, BODY_HEADLINE),
    )


def _visible(stmt: _Select, kind: str, now: datetime) -> _Select:
    """Join the documents' products or answers, keeping those visitors may see."""
    if kind == PRODUCTS:
        return stmt.join(Product, Product.id == SearchDocument.product_id).where(
            _public(PRODUCTS, now)
        )
    return stmt.join(Answer, Answer.id == SearchDocument.answer_id).where(_public(ANSWERS, now))


def _public(kind: str, now: datetime) -> sa.ColumnElement[bool]:
    return Product.status == ProductStatus.ACTIVE if kind == PRODUCTS else is_public(now)


def _count(kind: str, fts: _Fts, now: datetime) -> int:
    # Semi-joins, each run once: as a plain join, SQLite's planner may walk every public
    # product and probe the full-text index for each one.
    model: type[Product | Answer] = Product if kind == PRODUCTS else Answer
    key = SearchDocument.product_id if kind == PRODUCTS else SearchDocument.answer_id
    found = sa.select(key).where(fts.matching_documents)
    stmt = sa.select(sa.func.count()).select_from(model).where(model.id.in_(found))
    return int(db.session.scalar(stmt.where(_public(kind, now))) or 0)


def _product_hits(fts: _Fts, now: datetime, limit: int, offset: int) -> list[ProductHit]:
    summary = variant_summary(
        within=sa.select(SearchDocument.product_id).where(fts.matching_documents)
    )
    stmt = _visible(
        sa.select(
            Product,
            *card_columns(summary),
            fts.title.label("title_marked"),
            fts.snippet.label("snippet_marked"),
        )
        .select_from(fts.source)
        .where(fts.matches),
        PRODUCTS,
        now,
    )
    rows = db.session.execute(
        stmt.join(summary, summary.c.product_id == Product.id)
        .order_by(fts.order, Product.id)
        .options(selectinload(Product.images))
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        ProductHit(
            card=ProductCard.from_row(row),
            title=highlighted(row.title_marked),
            snippet=highlighted(row.snippet_marked),
        )
        for row in rows
    ]


def _answer_hits(fts: _Fts, now: datetime, limit: int, offset: int) -> list[AnswerHit]:
    columns = (fts.title.label("title_marked"), fts.snippet.label("snippet_marked"))
    rows = db.session.execute(
        _visible(
            sa.select(Answer, *columns).select_from(fts.source).where(fts.matches), ANSWERS, now
        )
        .order_by(fts.order, Answer.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        AnswerHit(
            answer=row[0],
            title=highlighted(row.title_marked),
            snippet=highlighted(row.snippet_marked),
        )
        for row in rows
    ]
