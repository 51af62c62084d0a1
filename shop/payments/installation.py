"""This installation's idempotency prefix: read once per Stripe write, made on first use.

The migration makes the one `installation` row; a database built another way (the tests'
`create_all`) gets it the first time a key is needed. Two requests making it at once both
insert with ON CONFLICT DO NOTHING on the fixed id, so one wins and both read the winner's.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from shop.core.models import conflict_insert, utcnow
from shop.extensions import db
from shop.payments.models import Installation

INSTALLATION_ID = 1


def _read() -> str | None:
    return db.session.scalar(
        sa.select(Installation.idempotency_prefix).where(Installation.id == INSTALLATION_ID)
    )


def idempotency_prefix() -> str:
    """Return this installation's random prefix for Stripe idempotency keys, making it once.

    Called with no transaction open (as before a Stripe call), it is its own unit of work and
    commits at once, so no lock is held while Stripe answers; inside a unit of work it only
    flushes, and the caller's commit keeps the row.
    """
    own_unit = not db.session().in_transaction()
    prefix = _read()
    if prefix is None:
        db.session.execute(
            conflict_insert(db.session.get_bind().dialect, Installation)
            .values(
                id=INSTALLATION_ID, idempotency_prefix=secrets.token_hex(8), created_at=utcnow()
            )
            .on_conflict_do_nothing(index_elements=[Installation.id])
        )
        prefix = _read()
        if prefix is None:  # pragma: no cover - the insert or the winner's row is there
            raise RuntimeError("the installation row could not be made")
    if own_unit:
        db.session.commit()
    return prefix


def idempotency_key(*parts: object) -> str:
    """Build an idempotency key from this installation's prefix and `parts`."""
    return "-".join([idempotency_prefix(), *(str(part) for part in parts)])
