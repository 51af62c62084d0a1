"""Whole-page cache for the public pages, exact by a content version kept in the database.

A product, answer, listing or home page is rendered once per *content version* and URL, and
served from the cache (Flask-Caching: in the process by default, Redis when `REDIS_URL` is
set) until anything it could show changes. Exactness comes from one counter:

- Every flush that touches a table a public page shows (products, sizes, stock, images,
  answers, doctors, topics, links, ...) marks the session, and the commit that makes the
  change durable also bumps `content_versions.version`, in the same transaction. A staff
  edit, a new link or a stock change is therefore visible on the very next request, in every
  process, on every machine: each request reads the counter (one indexed single-row query).
- The only change that needs no write is a scheduled answer's publish time passing. The same
  query reads the newest public publish time (a *version moment* the column registers),
  which moves exactly then, so it is part of the key too.

Which tables count and which moments are read is told by the domains at app init
(`watch_tables`, `add_version_moment`; see shop/core/registry.py): core names no domain's table.

What differs between visitors is never cached: the page is rendered with *holes* for the
CSRF token and for what the packages registered (`add_page_hole`: the header's cart badge),
and each response fills them in for its visitor. Pages with flashed messages are rendered
fresh and not stored.

For HTTP caching, each response carries an ETag made of the cache key and what was filled in
for this visitor, a Last-Modified, and ``Cache-Control: private, no-cache``: browsers revalidate
every time and get a 304 while nothing changed, and shared caches never keep a page that holds
one visitor's CSRF token.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_app_context,
    make_response,
    request,
    session,
)
from flask_caching import Cache
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.sql.elements import ColumnElement

from shop.core.models import ContentVersion, utcnow
from shop.core.registry import PageHole, VersionMoment, registry
from shop.extensions import db

cache = Cache()

CHANGED = "shop_content_changed"
PENDING = "shop_content_pending"
MAX_KEY_PATH = 512
# Per process, so page text can never forge a hole.
_HOLE = secrets.token_hex(8)
CSRF_HOLE = f"__csrf_{_HOLE}__"
# What a version moment compares with: the request's time, bound as :now when the query runs.
REQUEST_TIME: ColumnElement[datetime] = sa.literal_column(":now", sa.DateTime(timezone=True))


@dataclass(frozen=True)
class Rendered:
    """A page as rendered for everyone, and what its view needs on every request."""

    html: str
    status: int = 200  # only 200s are kept; a 400 page for a bad query is rendered each time
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Version:
    """What the public pages were built from: the counter and each registered moment (the
    newest public answer's publish time)."""

    number: int
    changed_at: datetime
    moments: tuple[datetime | None, ...] = ()

    @property
    def key(self) -> str:
        return ":".join([str(self.number), *(m.isoformat() if m else "-" for m in self.moments)])

    @property
    def last_modified(self) -> datetime:
        return max(_utc(m) for m in (self.changed_at, *self.moments) if m is not None)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def enabled() -> bool:
    """Tell whether pages are cached (CACHE_TYPE=NullCache turns every page cache off)."""
    return str(current_app.config.get("CACHE_TYPE", "")).rsplit(".", 1)[-1] != "NullCache"


def _version_query(moments: dict[str, VersionMoment]) -> sa.TextualSelect:
    # Composed once per app and kept as text: building the ORM statement anew on each
    # request cost more than running it. Literal binds write the moments' constants (an
    # answer's public statuses) into the SQL; only the request time stays a parameter (so a
    # constant must not hold ":word", which text() would take for one).
    statement = sa.select(
        ContentVersion.version,
        ContentVersion.changed_at,
        *(moment(REQUEST_TIME).label(name) for name, moment in moments.items()),
    ).where(ContentVersion.id == 1)
    text = sa.text(str(statement.compile(compile_kwargs={"literal_binds": True})))
    moment_type = sa.DateTime(timezone=True)
    if moments:
        text = text.bindparams(sa.bindparam("now", type_=moment_type))
    return text.columns(
        sa.column("version", sa.BigInteger),
        sa.column("changed_at", moment_type),
        *(sa.column(name, moment_type) for name in moments),
    )


def version_query(app: Flask) -> sa.TextualSelect:
    """Return the app's content-version query: the counter and every registered moment."""
    found = registry(app)
    if found.version_query is None:
        found.version_query = _version_query(found.version_moments)
    query: sa.TextualSelect = found.version_query
    return query


def read_version(now: datetime | None = None) -> Version:
    """Read the content version: one query, on a read-only connection of its own."""
    moment = now or utcnow()
    # Read-only: on SQLite no transaction is begun (the driver runs the SELECT as its own
    # read), so serving a cached page never waits for, or holds, the write lock.
    query = version_query(current_app)
    with db.engine.connect().execution_options(shop_read_only=True) as conn:
        row = conn.execute(query, {"now": moment}).one_or_none()
    if row is None:
        return Version(0, moment, (None,) * len(registry(current_app).version_moments))
    return Version(int(row[0]), row[1], tuple(row[2:]))


def bump_version(session: Session) -> None:
    """Move the content version on, inside the session's transaction."""
    moved = session.execute(
        sa.update(ContentVersion)
        .where(ContentVersion.id == 1)
        .values(version=ContentVersion.version + 1, changed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        # The migration writes the row; a schema made by create_all (tests) starts without.
        session.execute(sa.insert(ContentVersion).values(id=1, version=1, changed_at=utcnow()))


def _watched() -> set[str]:
    # The session events are installed once for every app; each app watches its own tables.
    return registry(current_app).watched_tables if has_app_context() else set()


def _mark_flush(session: Session, flush_context: UOWTransaction) -> None:
    if session.info.get(CHANGED):
        return
    watched = _watched()
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in watched:
            session.info[CHANGED] = True
            return


def _mark_statement(state: Any) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _watched():
        state.session.info[CHANGED] = True


def _bump_before_commit(session: Session) -> None:
    # Flush first: the commit's own flush comes after this hook, too late to be seen here.
    session.flush()
    # Every check runs, even when the version moves anyway: each keeps its own record of
    # what the pages show up to date (see `add_commit_check`).
    checks = registry(current_app).commit_checks if has_app_context() else []
    changed = [check(session) for check in checks]  # a list: every check runs
    if any(changed):
        session.info[CHANGED] = True
    session.info.pop(PENDING, None)
    if session.info.pop(CHANGED, None):
        bump_version(session)


def _forget(session: Session, *args: Any) -> None:
    session.info.pop(CHANGED, None)
    session.info.pop(PENDING, None)


def pending(session: Session) -> dict[str, set[int]]:
    """Notes a domain keeps for its commit check in this unit of work (dropped on rollback)."""
    notes: dict[str, set[int]] = session.info.setdefault(PENDING, {})
    return notes


def _install_session_events() -> None:
    if sa.event.contains(Session, "after_flush", _mark_flush):
        return
    sa.event.listen(Session, "after_flush", _mark_flush)
    sa.event.listen(Session, "do_orm_execute", _mark_statement)
    sa.event.listen(Session, "before_commit", _bump_before_commit)
    sa.event.listen(Session, "after_rollback", _forget)


def csrf_token() -> str:
    """The template's `csrf_token()`: a hole while a page is rendered for the cache."""
    if g.get("page_holes"):
        return CSRF_HOLE
    return generate_csrf()  # type: ignore[no-any-return]


def _render(render: Callable[[], Rendered]) -> Rendered:
    g.page_holes = True
    try:
        return render()
    finally:
        g.page_holes = False


def serve(render: Callable[[], Rendered]) -> tuple[Response, dict[str, Any]]:
    """Answer a GET with the cached page for this URL, rendering it on a miss.

    `render` builds the page for everyone (it may abort with 404); the holes are filled for
    this visitor. Returns the response and the page's `meta` for the view's own work.
    """
    path = request.full_path
    storable = enabled() and "_flashes" not in session and len(path) <= MAX_KEY_PATH
    version = read_version() if storable else None
    key = f"page:{version.key}:{path}" if version else None
    page = cache.get(key) if key else None
    if page is None:
        had_token = "csrf_token" in g
        page = _render(render)
        # A token made while rendering belongs to this visitor alone: never store that page.
        leaked = not had_token and "csrf_token" in g
        if leaked:
            current_app.logger.warning("%s rendered a CSRF token for the cache; not stored", path)
        if key and page.status == 200 and not leaked:
            cache.set(key, page)
    token = generate_csrf()
    html = page.html.replace(CSRF_HOLE, token)
    filled = []
    for hole in registry(current_app).page_holes.values():
        filled.append(str(hole.fill()))
        html = html.replace(hole.marker, filled[-1])
    response = make_response(html, page.status)
    response.cache_control.private = True
    response.cache_control.no_cache = True
    if version is not None and page.status == 200:
        # What this visitor was given: the page's version and URL, their CSRF secret (the
        # token in an older copy stays valid with it), their holes (the cart badge).
        mine = "|".join([str(key), session.get("csrf_token", ""), *filled]).encode()
        response.set_etag(hashlib.sha256(mine).hexdigest()[:32])
        response.last_modified = version.last_modified
        response.make_conditional(request)
    return response, page.meta


def cached(render: Callable[[], str | tuple[str, int]]) -> Response:
    """Serve a page that needs nothing back from the cache: `render` returns the page (and
    its status when not 200)."""

    def rendered() -> Rendered:
        page = render()
        return Rendered(page) if isinstance(page, str) else Rendered(page[0], status=page[1])

    return serve(rendered)[0]


def init_pagecache(app: Flask) -> None:
    """Bind the cache, install the version-bumping session events and the template holes."""
    config = app.config
    if not config.get("CACHE_TYPE"):
        config["CACHE_TYPE"] = "RedisCache" if config.get("REDIS_URL") else "SimpleCache"
    if config.get("REDIS_URL"):
        config.setdefault("CACHE_REDIS_URL", config["REDIS_URL"])
    config.setdefault("CACHE_KEY_PREFIX", "shop:")
    cache.init_app(app)
    _install_session_events()
    # Flask-WTF offers csrf_token() as a global and through a context processor; ours, added
    # later, wins in both places. Registered holes join them (see `add_page_hole`).
    holes = registry(app).hole_functions
    holes["csrf_token"] = csrf_token
    app.jinja_env.globals.update(holes)
    app.context_processor(lambda: holes)


def add_page_hole(app: Flask, name: str, fill: Callable[[], Markup]) -> None:
    """Offer templates `name()`: `fill()` for this visitor, even on a page from the cache."""
    hole = PageHole(name, f"__{name}_{_HOLE}__", fill)
    registry(app).page_holes[name] = hole

    def show() -> Markup:
        if g.get("page_holes"):
            return Markup(hole.marker)  # noqa: S704 - a fixed marker, replaced before sending
        return hole.fill()

    show.__name__ = show.__qualname__ = name
    registry(app).hole_functions[name] = show
    app.jinja_env.globals[name] = show


def watch_tables(app: Flask, *tables: str) -> None:
    """Have a write to any of these tables bump the content version: public pages show them."""
    registry(app).watched_tables.update(tables)


def add_commit_check(app: Flask, check: Callable[[Session], bool]) -> None:
    """Run `check(session)` before every commit; True moves the content version on.

    For what a write changes only sometimes on a page: a domain notes what it touched (in
    `pending(session)`) and its check decides, in the committing transaction, whether any
    page would now read differently.
    """
    registry(app).commit_checks.append(check)


def add_version_moment(app: Flask, name: str, moment: VersionMoment) -> None:
    """Make a time part of the content version: `moment(now)` builds a scalar SQL expression
    (read in the same query as the counter) whose value moves when pages change with no
    write, such as a scheduled publish time passing."""
    found = registry(app)
    found.version_moments[name] = moment
    found.version_query = None
