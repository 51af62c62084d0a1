"""Reads of the column for visitors. Every public read passes `now`, so a scheduled
answer appears at its time without any job running, and drafts never leak."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from shop.catalog.models import SkinConcern
from shop.core.models import utcnow
from shop.core.pagination import Page
from shop.core.sitemap import SitemapEntry
from shop.editorial.models import (
    Answer,
    AnswerOldSlug,
    AnswerStatus,
    Doctor,
    Topic,
    answer_concerns,
    answer_topics,
)
from shop.extensions import db


@dataclass(frozen=True)
class TopicRef:
    """A topic page's subject: one of the shared skin concerns or an editorial topic."""

    kind: str  # "concern" or "topic"
    id: int
    slug: str
    name: str
    description: str


def is_public(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """The condition under which visitors may see an answer at `now`."""
    return sa.and_(
        Answer.status.in_([AnswerStatus.SCHEDULED, AnswerStatus.PUBLISHED]),
        Answer.published_at.is_not(None),
        Answer.published_at <= (now or utcnow()),
    )


def _public_select(now: datetime | None) -> sa.Select[Answer]:
    return (
        sa.select(Answer)
        .where(is_public(now))
        .options(selectinload(Answer.concerns), selectinload(Answer.topics))
    )


def _newest_first(stmt: sa.Select[Any]) -> sa.Select[Any]:
    return stmt.order_by(Answer.published_at.desc(), Answer.id.desc())


def _newest(stmt: sa.Select[Answer], limit: int, offset: int = 0) -> Sequence[Answer]:
    """The newest answers `stmt` selects: their ids first, from the (status, published_at)
    index alone, then just those rows (sorting whole rows, bodies and all, was the cost)."""
    ids = sa.select(Answer.id)
    if stmt.whereclause is not None:
        ids = ids.where(stmt.whereclause)
    ids = _newest_first(ids).limit(limit).offset(offset)
    return db.session.scalars(_newest_first(stmt.where(Answer.id.in_(ids)))).all()


def _with_topic(stmt: sa.Select[Answer], topic: TopicRef) -> sa.Select[Answer]:
    if topic.kind == "concern":
        ids = sa.select(answer_concerns.c.answer_id).where(answer_concerns.c.concern_id == topic.id)
    else:
        ids = sa.select(answer_topics.c.answer_id).where(answer_topics.c.topic_id == topic.id)
    return stmt.where(Answer.id.in_(ids))


def _page(stmt: sa.Select[Answer], number: int, per_page: int) -> Page[Answer]:
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    items = _newest(stmt, per_page, (number - 1) * per_page)
    return Page(items=items, number=number, per_page=per_page, total=total or 0)


def published_answers(
    page: int = 1,
    per_page: int = 12,
    topic: TopicRef | None = None,
    doctor_id: int | None = None,
    now: datetime | None = None,
) -> Page[Answer]:
    """Return a page of public answers, newest first, optionally of one topic or doctor."""
    stmt = _public_select(now)
    if topic is not None:
        stmt = _with_topic(stmt, topic)
    if doctor_id is not None:
        stmt = stmt.where(Answer.doctor_id == doctor_id)
    return _page(stmt, page, per_page)


def latest_answers(limit: int = 3, now: datetime | None = None) -> Sequence[Answer]:
    """Return the newest public answers."""
    return _newest(_public_select(now), limit)


def _with_tags() -> list[Any]:
    """Load an answer's concerns and topics in the same query (a few rows each): for a
    handful of answers that is one round trip instead of three."""
    return [joinedload(Answer.concerns), joinedload(Answer.topics)]


def public_answer(slug: str, now: datetime | None = None) -> Answer | None:
    """Return the public answer with this slug, with everything its page shows."""
    stmt = (
        sa.select(Answer)
        .where(is_public(now), Answer.slug == slug)
        .options(*_with_tags(), joinedload(Answer.reviewed_by))
    )
    return db.session.scalars(stmt).unique().first()


def moved_answer_slug(old_slug: str, now: datetime | None = None) -> str | None:
    """Return the current slug of the public answer that used to live at `old_slug`.

    Asked only when no public answer has that slug now, so an old slug never hides the
    answer that holds it today."""
    return db.session.scalar(
        sa.select(Answer.slug)
        .join(AnswerOldSlug, AnswerOldSlug.answer_id == Answer.id)
        .where(AnswerOldSlug.slug == old_slug, Answer.slug != old_slug, is_public(now))
    )


def related_answers(
    answer: Answer, limit: int = 3, now: datetime | None = None
) -> Sequence[Answer]:
    """Return public answers sharing the most concerns and topics with `answer`."""
    concern_ids = [c.id for c in answer.concerns]
    topic_ids = [t.id for t in answer.topics]
    shared = sa.union_all(
        sa.select(answer_concerns.c.answer_id.label("answer_id")).where(
            answer_concerns.c.concern_id.in_(concern_ids)
        ),
        sa.select(answer_topics.c.answer_id.label("answer_id")).where(
            answer_topics.c.topic_id.in_(topic_ids)
        ),
    ).subquery("shared")
    overlap = (
        sa.select(shared.c.answer_id, sa.func.count().label("score"))
        .group_by(shared.c.answer_id)
        .subquery("overlap")
    )
    stmt = (
        sa.select(Answer)
        .join(overlap, overlap.c.answer_id == Answer.id)
        .where(is_public(now), Answer.id != answer.id)
        .order_by(overlap.c.score.desc(), Answer.published_at.desc(), Answer.id.desc())
        .limit(limit)
        .options(*_with_tags())
    )
    found = list(db.session.scalars(stmt).unique().all())
    if len(found) < limit:
        # Too few neighbours: fill with the newest answers so the reader always has somewhere to go.
        seen = {a.id for a in found} | {answer.id}
        filler = _newest_first(_public_select(now).where(Answer.id.not_in(seen)))
        found.extend(db.session.scalars(filler.limit(limit - len(found))).all())
    return found


def topic_by_slug(slug: str) -> TopicRef | None:
    """Return the skin concern or editorial topic with this slug."""
    concern = db.session.scalar(sa.select(SkinConcern).where(SkinConcern.slug == slug))
    if concern is not None:
        return TopicRef("concern", concern.id, concern.slug, concern.name, concern.description)
    topic = db.session.scalar(sa.select(Topic).where(Topic.slug == slug))
    if topic is not None:
        return TopicRef("topic", topic.id, topic.slug, topic.name, topic.description)
    return None


def topics_with_answers(now: datetime | None = None) -> list[tuple[TopicRef, int]]:
    """Return every concern and editorial topic that has public answers, with their counts."""
    public_ids = sa.select(Answer.id).where(is_public(now))
    concern_rows = db.session.execute(
        sa.select(SkinConcern, sa.func.count())
        .join(answer_concerns, answer_concerns.c.concern_id == SkinConcern.id)
        .where(answer_concerns.c.answer_id.in_(public_ids))
        .group_by(SkinConcern.id)
    ).all()
    topic_rows = db.session.execute(
        sa.select(Topic, sa.func.count())
        .join(answer_topics, answer_topics.c.topic_id == Topic.id)
        .where(answer_topics.c.answer_id.in_(public_ids))
        .group_by(Topic.id)
    ).all()
    refs = [(TopicRef("topic", t.id, t.slug, t.name, t.description), n) for t, n in topic_rows] + [
        (TopicRef("concern", c.id, c.slug, c.name, c.description), n) for c, n in concern_rows
    ]
    return sorted(refs, key=lambda pair: pair[0].name)


def doctor_by_slug(slug: str) -> Doctor | None:
    """Return the doctor with this slug."""
    return db.session.scalar(sa.select(Doctor).where(Doctor.slug == slug))


def feed_answers(limit: int = 20, now: datetime | None = None) -> Sequence[Answer]:
    """Return the newest public answers for the Atom feed."""
    return latest_answers(limit, now)


def sitemap_entries(now: datetime | None = None) -> list[SitemapEntry]:
    """Return the column's public pages: answers, doctors with answers, topics with answers."""
    answers = db.session.execute(
        sa.select(Answer.slug, Answer.updated_at, Answer.published_at)
        .where(is_public(now))
        .order_by(Answer.slug)
    ).all()
    doctors = db.session.scalars(
        sa.select(Doctor.slug)
        .where(Doctor.id.in_(sa.select(Answer.doctor_id).where(is_public(now))))
        .order_by(Doctor.slug)
    ).all()
    entries = [
        SitemapEntry("editorial.answer", slug, max(updated, published) if published else updated)
        for slug, updated, published in answers
    ]
    entries += [SitemapEntry("editorial.doctor", slug, None) for slug in doctors]
    entries += [
        SitemapEntry("editorial.topic", ref.slug, None) for ref, _ in topics_with_answers(now)
    ]
    return entries
