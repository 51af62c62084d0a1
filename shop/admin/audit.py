"""Recording staff writes. Called by admin views inside the unit of work they commit, so a
change and its audit entry are stored together or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from shop.admin.models import AuditEntry
from shop.extensions import db


def record(
    actor_id: int | None,
    actor_email: str,
    action: str,
    entity: str,
    entity_id: int | str,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry for a staff write (flushes; the caller commits)."""
    entry = AuditEntry(
        actor_id=actor_id,
        actor_email=actor_email,
        action=action[:60],
        entity=entity[:40],
        entity_id=str(entity_id)[:64],
        summary=summary[:300],
        before=before,
        after=after,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def entries(
    entity: str | None = None,
    entity_id: int | str | None = None,
    actor_id: int | None = None,
    limit: int = 100,
) -> Sequence[AuditEntry]:
    """The newest audit entries, optionally for one record or one member of staff."""
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity is not None:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == str(entity_id))
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    return db.session.scalars(stmt).all()
