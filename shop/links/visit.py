"""The answers a reader saw in this visit, kept in the signed session cookie.

Nothing leaves the browser but a few answer ids with times; no third party, no profile.
The cookie is signed, so a visitor cannot make the shop believe they read answers they
did not (and could gain nothing by it: credit is only ever given to their own order).
"""

from __future__ import annotations

import time

from flask import current_app, session

KEY = "visit_answers"
MAX_REMEMBERED = 12


def note_answer_seen(answer_id: int) -> None:
    """Remember that this visit read an answer (the latest read moves to the end)."""
    seen = [pair for pair in session.get(KEY, []) if pair[0] != answer_id]
    seen.append([answer_id, int(time.time())])
    session[KEY] = seen[-MAX_REMEMBERED:]


def answers_seen() -> list[int]:
    """Answer ids read in this visit (within VISIT_HOURS), oldest first."""
    horizon = time.time() - 3600 * int(current_app.config["VISIT_HOURS"])
    pairs = session.get(KEY, [])
    return [
        int(answer_id)
        for answer_id, when in pairs
        if isinstance(answer_id, int) and isinstance(when, int) and when >= horizon
    ]
