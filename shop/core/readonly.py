"""Public pages that only read never take, or wait for, SQLite's write lock.

On SQLite every transaction begins ``BEGIN IMMEDIATE`` (see `shop/extensions.py`), so two
requests never both read and then race to write. A page that only reads needs none of that:
in WAL mode its reads run beside a writer. A blueprint whose GETs only read says so with
`read_only_gets(bp)`; each GET or HEAD to it then opens the request's database session, at
its first query (a page served from the cache may make none), on a read-only connection,
which begins no transaction: each SELECT is SQLite's own short read,
so rendering a page while a sale commits waits for nobody, and a render never holds up a
sale. (A page is kept under the content version read before it was built, so a render that
sees a commit halfway is only ever newer than its key.) PostgreSQL readers never wait for
writers anyway; there it changes nothing.

A read-only request that tries to write is a bug, refused loudly before anything is sent.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, request
from sqlalchemy.orm import Session, UOWTransaction

from shop.extensions import db

READ_ONLY = "shop_read_only"


class ReadOnlyWrite(RuntimeError):
    """A request marked read-only tried to write to the database."""


def read_only_gets(bp: Blueprint) -> None:
    """Serve the blueprint's GET and HEAD requests from a read-only database session."""
    bp.before_request(_read_only_session)


def _read_only_session() -> None:
    if request.method not in ("GET", "HEAD"):
        return
    session = db.session()
    if session.in_transaction():  # something already read or wrote: keep its transaction
        return
    session.info[READ_ONLY] = True


def _end_read_only(exc: BaseException | None) -> None:
    # Normally the request's session ends with its app context; where one context serves
    # several requests (the test client inside `app.app_context()`), the next request must
    # not inherit the read-only connection or the mark.
    session = db.session()
    if session.info.pop(READ_ONLY, None) and session.in_transaction():
        session.rollback()


def _refuse_flush(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    if session.info.get(READ_ONLY):
        raise ReadOnlyWrite(f"{request.method} {request.path} is read-only but wrote rows")


def _read_only_statement(state: Any) -> None:
    session = state.session
    if not session.info.get(READ_ONLY):
        return
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlyWrite(f"{request.method} {request.path} is read-only but sent a write")
    if not session.in_transaction():
        # The session's first query: begin it on a read-only connection, so no BEGIN
        # IMMEDIATE (and on PostgreSQL no connection is taken for a page that makes none).
        session.connection(execution_options={READ_ONLY: True})


def install_guards(app: Flask) -> None:
    """Refuse writes from read-only requests, and end each read-only session with its request."""
    app.teardown_request(_end_read_only)
    if sa.event.contains(Session, "before_flush", _refuse_flush):  # global: once per process
        return
    sa.event.listen(Session, "before_flush", _refuse_flush)
    sa.event.listen(Session, "do_orm_execute", _read_only_statement)
