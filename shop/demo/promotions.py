"""The demo's promotion codes: one for everyone and one for a column answer's readers.

They are stored without Stripe ids, because Stripe (or the local sandbox) need not be
running when the demo loads; `promotions sync` (which `scripts/devserver.py` runs right
after it starts the sandbox) makes them at Stripe.
"""

from __future__ import annotations

import sqlalchemy as sa

from shop.editorial.models import Answer
from shop.extensions import db
from shop.promotions.models import Promotion

WELCOME_CODE = "WELCOME10"
READER_CODE = "READERS15"
READER_ANSWER = "adult-hormonal-acne-jawline"


def load_promotions(currency: str) -> list[str]:
    """Add the demo codes (not yet at Stripe); returns the codes added."""
    added = [Promotion(code=WELCOME_CODE, percent_off=10, currency=currency)]
    answer_id = db.session.scalar(sa.select(Answer.id).where(Answer.slug == READER_ANSWER))
    if answer_id is not None:
        added.append(
            Promotion(code=READER_CODE, percent_off=15, currency=currency, answer_id=answer_id)
        )
    db.session.add_all(added)
    db.session.flush()
    return [p.code for p in added]
