"""When each page of the sitemap last changed, for the pages the domains leave undated."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa

from shop.catalog.models import Product, ProductStatus, SkinConcern
from shop.core.sitemap import SitemapEntry
from shop.editorial.models import Answer, Doctor, Topic, answer_concerns, answer_topics
from shop.editorial.queries import is_public
from shop.extensions import db


def _latest(moments: Iterable[datetime | None]) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def _answer_change() -> sa.ColumnElement[datetime]:
    # An answer changes when it is edited or when a scheduled one goes public.
    return sa.case(
        (Answer.published_at > Answer.updated_at, Answer.published_at), else_=Answer.updated_at
    )


def latest_product_change() -> datetime | None:
    """When an active product last changed: what the home page and the catalogue show."""
    return db.session.scalar(
        sa.select(sa.func.max(Product.updated_at)).where(Product.status == ProductStatus.ACTIVE)
    )


def latest_answer_change(now: datetime | None = None) -> datetime | None:
    """When a public answer last changed or went public."""
    return db.session.scalar(sa.select(sa.func.max(_answer_change())).where(is_public(now)))


def doctor_changes(now: datetime | None = None) -> dict[str, datetime]:
    """Each doctor's page changes with their newest or last edited public answer."""
    rows = db.session.execute(
        sa.select(Doctor.slug, sa.func.max(_answer_change()))
        .join(Answer, Answer.doctor_id == Doctor.id)
        .where(is_public(now))
        .group_by(Doctor.slug)
    ).all()
    return {slug: when for slug, when in rows if when is not None}


def topic_changes(now: datetime | None = None) -> dict[str, datetime]:
    """Each topic page (editorial topic or skin concern) changes with its public answers."""
    changes: dict[str, datetime] = {}
    for model, link, column in (
        (Topic, answer_topics, answer_topics.c.topic_id),
        (SkinConcern, answer_concerns, answer_concerns.c.concern_id),
    ):
        rows = db.session.execute(
            sa.select(model.slug, sa.func.max(_answer_change()))
            .join(link, column == model.id)
            .join(Answer, Answer.id == link.c.answer_id)
            .where(is_public(now))
            .group_by(model.slug)
        ).all()
        for slug, when in rows:
            latest = _latest([changes.get(slug), when])
            if latest is not None:
                changes[slug] = latest
    return changes


def dated(entries: list[SitemapEntry], now: datetime | None = None) -> list[SitemapEntry]:
    """Give the doctor and topic entries the domains leave undated their last change."""
    known = {
        "editorial.doctor": doctor_changes(now),
        "editorial.topic": topic_changes(now),
    }
    return [
        replace(e, lastmod=known.get(e.endpoint, {}).get(e.slug)) if e.lastmod is None else e
        for e in entries
    ]
