"""What the column tells the page cache: the tables its pages show, and the one change that
needs no write (a scheduled answer's publish time passing)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.sql.elements import ColumnElement

from shop.core.pagecache import add_version_moment, watch_tables
from shop.editorial.models import (
    Answer,
    AnswerStatus,
    Doctor,
    Topic,
    answer_concerns,
    answer_topics,
)

# The statuses `Answer.is_public` lets through once the publish time has come.
PUBLIC_STATUSES = (AnswerStatus.SCHEDULED, AnswerStatus.PUBLISHED)


def newest_public_publish(now: ColumnElement[datetime]) -> ColumnElement[datetime | None]:
    """Build the newest publish time of an answer visitors can see at `now`."""
    return (
        sa.select(sa.func.max(Answer.published_at))
        .where(
            Answer.status.in_(PUBLIC_STATUSES),
            Answer.published_at.is_not(None),
            Answer.published_at <= now,
        )
        .scalar_subquery()
    )


def register_pagecache(app: Flask) -> None:
    """Watch the column's tables and make the newest public publish time part of the version."""
    watch_tables(
        app,
        Answer.__tablename__,
        answer_concerns.name,
        answer_topics.name,
        Doctor.__tablename__,
        Topic.__tablename__,
    )
    add_version_moment(app, "last_published", newest_public_publish)
