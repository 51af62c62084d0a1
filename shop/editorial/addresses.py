"""An answer's address (`/answers/<slug>`): placeholders for drafts, slugs made from the
headline, and the old slugs that keep working after a rename.

The rules:
- A draft whose slug nobody chose carries a placeholder (`Answer.slug_placeholder`). It is
  not an address: publishing or scheduling replaces it with a slug made from the headline,
  before any mail is written, so readers are only ever sent the final address.
- A slug made by the shop never takes one another answer holds now or held before (it gets
  -2, -3 …), so an old address keeps leading where it always led.
- When the slug of an answer that has been public changes, the old slug is kept and answers
  with a 301 to the current one. Old slugs point at the answer, not at the next slug, so a
  chain of renames resolves in one step; the current slug of an answer always wins.

Writes flush; the caller commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from shop.core.slugs import SLUG_MAX, slugify
from shop.editorial.models import Answer, AnswerOldSlug
from shop.extensions import db

PLACEHOLDER_PREFIX = "draft-"
# Past this many numbered variants something is wrong; refuse rather than loop on.
NUMBERED_MAX = 1000


class NoFreeSlug(Exception):
    """No slug could be made: the headline has no letters or digits, or every variant is taken."""


def placeholder_slug() -> str:
    """A stand-in slug for a draft nobody has chosen a slug for (unique by chance: 48 bits)."""
    return f"{PLACEHOLDER_PREFIX}{secrets.token_hex(6)}"


def _numbered(base: str, n: int) -> str:
    if n == 1:
        return base
    suffix = f"-{n}"
    return f"{base[: SLUG_MAX - len(suffix)].rstrip('-')}{suffix}"


def _taken_by_others(slug: str, answer_id: int | None) -> bool:
    others = answer_id or 0
    current = sa.select(Answer.id).where(Answer.slug == slug, Answer.id != others)
    old = sa.select(AnswerOldSlug.answer_id).where(
        AnswerOldSlug.slug == slug, AnswerOldSlug.answer_id != others
    )
    return bool(db.session.scalar(sa.select(sa.or_(current.exists(), old.exists()))))


def headline_slug(headline: str, answer_id: int | None) -> str:
    """The slug made from `headline` for answer `answer_id` (None: a new one): the first of
    slug, slug-2, slug-3 … that no other answer holds now or held before."""
    base = slugify(headline)
    if not base:
        raise NoFreeSlug("The headline has no letters or digits to make an address from.")
    for n in range(1, NUMBERED_MAX + 1):
        candidate = _numbered(base, n)
        if not _taken_by_others(candidate, answer_id):
            return candidate
    raise NoFreeSlug(f"Every address from {base} to {_numbered(base, NUMBERED_MAX)} is taken.")


def has_been_out(answer: Answer) -> bool:
    """Tell whether the answer has been published or scheduled, so its slug is an address."""
    return not answer.slug_placeholder and answer.published_at is not None


def move_slug(answer: Answer, slug: str, *, placeholder: bool = False) -> None:
    """Give `answer` the slug `slug`; an address it was public at keeps working (301)."""
    old = answer.slug
    if old != slug and answer.id is not None:  # a new answer has no address to leave
        # Without autoflush: the answer's other changes go in the caller's one flush.
        with db.session.no_autoflush:
            # Coming back to one of its own old slugs: that address is current again.
            db.session.execute(
                sa.delete(AnswerOldSlug).where(
                    AnswerOldSlug.slug == slug, AnswerOldSlug.answer_id == answer.id
                )
            )
            if has_been_out(answer):
                # The last answer to leave an address owns it, whoever held it before.
                db.session.execute(sa.delete(AnswerOldSlug).where(AnswerOldSlug.slug == old))
                db.session.add(AnswerOldSlug(slug=old, answer_id=answer.id))
    answer.slug = slug
    answer.slug_placeholder = placeholder


def settle_slug(answer: Answer) -> None:
    """Replace a draft's placeholder with a slug made from its headline (before it goes out)."""
    if answer.slug_placeholder:
        move_slug(answer, headline_slug(answer.question, answer.id))


@dataclass(frozen=True)
class AnswerAddress:
    """What the editor tells staff about an answer's address."""

    slug: str | None  # None: the headline gives no slug; staff must type one
    made_from_headline: bool  # a proposal from the headline, settled when it is published
    old_slugs: tuple[str, ...]  # addresses that redirect here, newest first


def address_of(answer: Answer) -> AnswerAddress:
    """The address an answer has, or will have when it is published."""
    old = tuple(
        db.session.scalars(
            sa.select(AnswerOldSlug.slug)
            .where(AnswerOldSlug.answer_id == answer.id)
            .order_by(AnswerOldSlug.retired_at.desc(), AnswerOldSlug.slug)
        )
    )
    if not answer.slug_placeholder:
        return AnswerAddress(answer.slug, False, old)
    try:
        proposed: str | None = headline_slug(answer.question, answer.id)
    except NoFreeSlug:
        proposed = None
    return AnswerAddress(proposed, True, old)
