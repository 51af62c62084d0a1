"""Reads for the product editor: the choices its select lists offer."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from shop.catalog.models import Brand, Category, SkinConcern
from shop.extensions import db


@dataclass(frozen=True)
class Taxonomy:
    """(id, name) pairs for the brand, category and skin-concern lists."""

    brands: list[tuple[int, str]]
    categories: list[tuple[int, str]]
    concerns: list[tuple[int, str]]


def taxonomy() -> Taxonomy:
    """Every brand, category and skin concern, in the order the editor lists them."""
    brands = db.session.execute(sa.select(Brand.id, Brand.name).order_by(Brand.name)).all()
    categories = db.session.execute(
        sa.select(Category.id, Category.name).order_by(Category.position, Category.name)
    ).all()
    concerns = db.session.execute(
        sa.select(SkinConcern.id, SkinConcern.name).order_by(SkinConcern.name)
    ).all()
    return Taxonomy(
        brands=[(r.id, r.name) for r in brands],
        categories=[(r.id, r.name) for r in categories],
        concerns=[(r.id, r.name) for r in concerns],
    )
