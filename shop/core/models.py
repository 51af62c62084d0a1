"""Column helpers shared by every domain's models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from shop.extensions import Model


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def conflict_insert(dialect: sa.Dialect, table: Any) -> postgresql.Insert | sqlite.Insert:
    """Start an INSERT that can say ON CONFLICT, in the words of the database in use."""
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    return insert(table)


class TimestampMixin:
    """`created_at` and `updated_at`, kept by the database session."""

    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


def str_enum(cls: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum column: the members' values as strings, checked by SQLAlchemy."""
    return sa.Enum(
        cls,
        name=name,
        native_enum=False,
        length=max(16, *(len(str(m.value)) for m in cls)),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class ContentVersion(Model):
    """One row: a counter every change to what public pages show moves on (shop/core/pagecache)."""

    __tablename__ = "content_versions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=1)
    changed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
