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
  query reads the newest public publish time, which moves exactly then, so it is part of the
  key too.

What differs between visitors is never cached: the page is rendered with *holes* for the
CSRF token and the header's cart badge, and each response fills them in for its visitor.
Pages with flashed messages are rendered fresh and not stored.

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
from flask import Flask, Response, current_app, g, make_response, request, session
from flask_caching import Cache
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.orm import Session, UOWTransaction

from shop.core.models import ContentVersion, utcnow
from shop.extensions import db

cache = Cache()

# Tables whose rows some public page shows. A write to any of them bumps the content version.
WATCHED_TABLES = frozenset(
    {
        "answer_concerns",
        "answer_product_links",
        "answer_topics",
        "answers",
        "brands",
        "categories",
        "doctors",
        "product_concerns",
        "product_images",
        "products",
        # An answer's page offers its reader codes: a code made or ended shows at once.
        "promotions",
        "skin_concerns",
        "stock_records",
        "topics",
        "variants",
    }
)
CHANGED = "shop_content_changed"
MAX_KEY_PATH = 512
# Per process, so page text can never forge a hole.
_HOLE = secrets.token_hex(8)
CSRF_HOLE = f"__csrf_{_HOLE}__"
CART_HOLE = f"__cart_{_HOLE}__"


@dataclass(frozen=True)
class Rendered:
    """A page as rendered for everyone, and what its view needs on every request."""

    html: str
    status: int = 200  # only 200s are kept; a 400 page for a bad query is rendered each time
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Version:
    """What the public pages were built from: the counter and the newest public answer."""

    number: int
    changed_at: datetime
    last_published: datetime | None

    @property
    def key(self) -> str:
        published = self.last_published.isoformat() if self.last_published else "-"
        return f"{self.number}:{published}"

    @property
    def last_modified(self) -> datetime:
        moments = [_utc(self.changed_at)]
        if self.last_published is not None:
            moments.append(_utc(self.last_published))
        return max(moments)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def enabled() -> bool:
    """Tell whether pages are cached (CACHE_TYPE=NullCache turns every page cache off)."""
    return str(current_app.config.get("CACHE_TYPE", "")).rsplit(".", 1)[-1] != "NullCache"


# Written out once: building the ORM statement anew cost more than running it. The answer
# statuses are the stored values of AnswerStatus.SCHEDULED and PUBLISHED (see `is_public`).
_VERSION_QUERY = (
    sa.text(
        "SELECT version, changed_at, (SELECT max(published_at) FROM answers"
        " WHERE status IN ('scheduled', 'published') AND published_at IS NOT NULL"
        " AND published_at <= :now) AS last_published"
        " FROM content_versions WHERE id = 1"
    )
    .bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True)))
    .columns(
        sa.column("version", sa.BigInteger),
        sa.column("changed_at", sa.DateTime(timezone=True)),
        sa.column("last_published", sa.DateTime(timezone=True)),
    )
)


def read_version(now: datetime | None = None) -> Version:
    """Read the content version: one query, on a read-only connection of its own."""
    moment = now or utcnow()
    # Read-only: on SQLite no transaction is begun (the driver runs the SELECT as its own
    # read), so serving a cached page never waits for, or holds, the write lock.
    with db.engine.connect().execution_options(shop_read_only=True) as conn:
        row = conn.execute(_VERSION_QUERY, {"now": moment}).one_or_none()
    if row is None:
        return Version(0, moment, None)
    return Version(int(row[0]), row[1], row[2])


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


def _mark_flush(session: Session, flush_context: UOWTransaction) -> None:
    if session.info.get(CHANGED):
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in WATCHED_TABLES:
            session.info[CHANGED] = True
            return


def _mark_statement(state: Any) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED_TABLES:
        state.session.info[CHANGED] = True


def _bump_before_commit(session: Session) -> None:
    # Flush first: the commit's own flush comes after this hook, too late to be seen here.
    session.flush()
    if session.info.pop(CHANGED, None):
        bump_version(session)


def _forget(session: Session, *args: Any) -> None:
    session.info.pop(CHANGED, None)


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


def cart_badge() -> Markup:
    """The header's "(2 items)" after Cart: a hole while a page is rendered for the cache."""
    if g.get("page_holes"):
        return Markup(CART_HOLE)  # noqa: S704 - a fixed marker, replaced before sending
    from shop.cart.views import cart_count

    n = cart_count()
    if not n:
        return Markup("")
    items = "item" if n == 1 else "items"
    return Markup(  # noqa: S704 - an integer and fixed words
        f' <span class="cart-count">({n}<span class="visually-hidden"> {items}</span>)</span>'
    )


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
    badge = str(cart_badge())
    html = page.html.replace(CSRF_HOLE, token).replace(CART_HOLE, badge)
    response = make_response(html, page.status)
    response.cache_control.private = True
    response.cache_control.no_cache = True
    if version is not None and page.status == 200:
        # What this visitor was given: the page's version and URL, their CSRF secret (the
        # token in an older copy stays valid with it), their cart badge.
        mine = f"{key}|{session.get('csrf_token', '')}|{badge}".encode()
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
    # later, wins in both places.
    holes = {"csrf_token": csrf_token, "cart_badge": cart_badge}
    app.jinja_env.globals.update(holes)
    app.context_processor(lambda: holes)
