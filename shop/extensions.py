"""Extensions, created unbound and bound to the app in `create_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

# A naming convention gives every constraint a stable name, so Alembic can drop and
# alter them identically on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Models subclass `Model`: at run time Flask-SQLAlchemy's db.Model (bound to Base), and for
# the type checker the typed DeclarativeBase it wraps.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate(compare_type=True, render_as_batch=True)
csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI: memory by default, Redis when REDIS_URL is set.
limiter = Limiter(key_func=get_remote_address)


@sa.event.listens_for(sa.Engine, "connect")
def _sqlite_pragmas(dbapi_connection: object, connection_record: object) -> None:
    """Make SQLite behave like a server database for a web app.

    Foreign keys enforced; WAL so readers and a writer do not block each other; a wait
    for locks instead of an instant error; and transactions that begin with BEGIN
    IMMEDIATE (see `_sqlite_begin`), so two requests never both read and then both try
    to upgrade to a write, which SQLite answers with an immediate "database is locked".
    """
    if not type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]  # we issue BEGIN
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@sa.event.listens_for(sa.Engine, "begin")
def _sqlite_begin(connection: sa.Connection) -> None:
    """Take SQLite's write lock when a transaction starts (others wait on busy_timeout).

    A connection opened with ``execution_options(shop_read_only=True)`` only reads: it begins
    nothing, so each SELECT is the driver's own short read and never waits for the lock.
    """
    if connection.dialect.name == "sqlite":
        if connection.get_execution_options().get("shop_read_only"):
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE")
