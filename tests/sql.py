"""Counting the SQL a piece of work sends, to prove a page costs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy


@contextmanager
def counted_selects(db: SQLAlchemy) -> Iterator[list[str]]:
    """Collect every SELECT sent to the app's engine inside the `with` block."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
