"""Editing an answer's links: staff add, edit, reorder and remove its products.

Every change to one answer's links first locks the answer's row (SELECT ... FOR UPDATE
on PostgreSQL; SQLite writes one at a time anyway), so two editors reordering the same
answer take turns, and positions are renumbered 1..n in the doctor's order on every
change, whatever gaps or ties older rows (the demo's 0-based ones) had.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from shop.catalog.models import Product, ProductStatus
from shop.core.errors import DomainError, NotFound
from shop.editorial.models import Answer
from shop.extensions import db
from shop.links import suggestions
from shop.links.models import AnswerProductLink


class LinkError(DomainError):
    """A link change was refused."""


NOTE_MAX: int = AnswerProductLink.note.type.length
CAUTION_MAX: int = AnswerProductLink.caution.type.length
DIRECTIONS = ("up", "down")


@dataclass(frozen=True)
class LinkChange:
    """What one change did to one link, as the audit log records it (None: no link)."""

    link_id: int
    answer_id: int
    product_id: int
    product_name: str
    answer_question: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    swapped_with: str | None = None  # the product a move exchanged places with

    @property
    def changed(self) -> bool:
        """True when the link is not as it was."""
        return self.before != self.after


def link_state(link: AnswerProductLink) -> dict[str, Any]:
    """A link's editable state, for audit entries."""
    return {
        "answer_id": link.answer_id,
        "product_id": link.product_id,
        "position": link.position,
        "note": link.note,
        "caution": link.caution,
    }


def _lock_answer(answer_id: int) -> str:
    """Lock an answer's row for a change to its links; return its question."""
    question = db.session.scalar(
        sa.select(Answer.question).where(Answer.id == answer_id).with_for_update()
    )
    if question is None:
        raise NotFound("There is no such answer.")
    return question


def _links_in_order(answer_id: int) -> list[AnswerProductLink]:
    return list(
        db.session.scalars(
            sa.select(AnswerProductLink)
            .where(AnswerProductLink.answer_id == answer_id)
            .order_by(AnswerProductLink.position, AnswerProductLink.id)
            .execution_options(populate_existing=True)
        )
    )


def _renumber(links: Sequence[AnswerProductLink]) -> None:
    for position, link in enumerate(links, start=1):
        if link.position != position:
            link.position = position


def _locked_link(link_id: int) -> tuple[AnswerProductLink, list[AnswerProductLink], str]:
    """The link, all its answer's links in order (renumbered) and the answer's question."""
    answer_id = db.session.scalar(
        sa.select(AnswerProductLink.answer_id).where(AnswerProductLink.id == link_id)
    )
    if answer_id is None:
        raise NotFound("That link no longer exists; it may have just been removed.")
    question = _lock_answer(answer_id)
    links = _links_in_order(answer_id)
    link = next((item for item in links if item.id == link_id), None)
    if link is None:  # removed while we waited for the lock
        raise NotFound("That link no longer exists; it may have just been removed.")
    _renumber(links)
    return link, links, question


def _check_text(note: str, caution: str) -> tuple[str, str]:
    note, caution = note.strip(), caution.strip()
    if len(note) > NOTE_MAX:
        raise LinkError(f"Keep the doctor's note to {NOTE_MAX} characters or fewer.")
    if len(caution) > CAUTION_MAX:
        raise LinkError(f"Keep the caution to {CAUTION_MAX} characters or fewer.")
    return note, caution


def _product_name(product_id: int) -> str:
    name = db.session.scalar(sa.select(Product.name).where(Product.id == product_id))
    return name or f"product #{product_id}"


def add_link(answer_id: int, product_id: int, note: str = "", caution: str = "") -> LinkChange:
    """Recommend a product in an answer, after its other products.

    Refused for a product the answer already recommends and for an archived product.
    """
    note, caution = _check_text(note, caution)
    question = _lock_answer(answer_id)
    product = db.session.execute(
        sa.select(Product.name, Product.status).where(Product.id == product_id)
    ).first()
    if product is None:
        raise NotFound("There is no such product.")
    name, status = product
    if status == ProductStatus.ARCHIVED:
        raise LinkError(f"{name} is archived: it is no longer sold, so it cannot be recommended.")
    links = _links_in_order(answer_id)
    if any(link.product_id == product_id for link in links):
        raise LinkError(f"This answer already recommends {name}.")
    _renumber(links)
    link = AnswerProductLink(
        answer_id=answer_id,
        product_id=product_id,
        position=len(links) + 1,
        note=note,
        caution=caution,
    )
    db.session.add(link)
    db.session.flush()
    return LinkChange(link.id, answer_id, product_id, name, question, None, link_state(link))


def update_link(link_id: int, note: str, caution: str) -> LinkChange:
    """Change the doctor's note and caution beside one recommended product."""
    note, caution = _check_text(note, caution)
    link, _, question = _locked_link(link_id)
    before = link_state(link)
    link.note, link.caution = note, caution
    db.session.flush()
    name = _product_name(link.product_id)
    return LinkChange(
        link.id, link.answer_id, link.product_id, name, question, before, link_state(link)
    )


def move_link(link_id: int, direction: str) -> LinkChange:
    """Move a recommended product one place up or down (at either end: no change)."""
    if direction not in DIRECTIONS:
        raise LinkError("A product can only be moved up or down.")
    link, links, question = _locked_link(link_id)
    before = link_state(link)
    index = links.index(link)
    target = index - 1 if direction == "up" else index + 1
    swapped = None
    if 0 <= target < len(links):
        other = links[target]
        link.position, other.position = other.position, link.position
        swapped = _product_name(other.product_id)
    db.session.flush()
    name = _product_name(link.product_id)
    return LinkChange(
        link.id,
        link.answer_id,
        link.product_id,
        name,
        question,
        before,
        link_state(link),
        swapped,
    )


def unlink(link_id: int) -> LinkChange:
    """Stop recommending a product in an answer; the products after it move up."""
    link, links, question = _locked_link(link_id)
    before = link_state(link)
    name = _product_name(link.product_id)
    db.session.delete(link)
    db.session.flush()
    _renumber([item for item in links if item is not link])
    db.session.flush()
    return LinkChange(
        link_id, before["answer_id"], before["product_id"], name, question, before, None
    )


def accept_suggestion(answer_id: int, product_id: int, note: str = "") -> LinkChange:
    """Link a suggested product to the answer, after its other products."""
    return add_link(answer_id, product_id, note)


def dismiss_suggestion(answer_id: int, product_id: int) -> str:
    """Turn a suggested product down for this answer for good; return the product's name."""
    linked = db.session.scalar(
        sa.select(AnswerProductLink.id).where(
            AnswerProductLink.answer_id == answer_id, AnswerProductLink.product_id == product_id
        )
    )
    if linked is not None:
        raise LinkError("This answer recommends that product: remove the link instead.")
    suggestions.dismiss_suggestion(answer_id, product_id)
    return _product_name(product_id)
