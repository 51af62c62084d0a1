"""Reading the shop's own pages: one by its address, all for the admin, the sitemap's entries."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from shop.core.markdown import render_markdown
from shop.core.sitemap import SitemapEntry
from shop.extensions import db
from shop.pages.models import STANDARD_PAGES, Page, StandardPage

DESCRIPTION_MAX = 155  # what search engines show of a meta description


def page_by_slug(slug: str) -> Page | None:
    """The page at /pages/<slug>, or None."""
    return db.session.scalar(sa.select(Page).where(Page.slug == slug))


def all_pages() -> Sequence[Page]:
    """Every page: the standard ones in the footer's order, then any others by title."""
    order = {s.slug: n for n, s in enumerate(STANDARD_PAGES)}
    pages = db.session.scalars(sa.select(Page).order_by(Page.title)).all()
    return sorted(pages, key=lambda p: order.get(p.slug, len(order)))


def footer_pages() -> tuple[StandardPage, ...]:
    """The pages the footer links to (fixed in code: the footer never waits for a query)."""
    return STANDARD_PAGES


def meta_description(page: Page, shop_name: str) -> str:
    """The page's description for search engines: the one staff wrote, else its first words."""
    if page.seo_description:
        return page.seo_description
    text = " ".join(render_markdown(page.body_markdown).striptags().split())
    if not text:
        return f"{page.title}: {shop_name}."
    if len(text) <= DESCRIPTION_MAX:
        return text
    return text[: DESCRIPTION_MAX - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def sitemap_entries() -> list[SitemapEntry]:
    """The pages that have been written, with when each last changed."""
    rows = db.session.execute(
        sa.select(Page.slug, Page.updated_at).where(Page.body_markdown != "").order_by(Page.slug)
    ).all()
    return [SitemapEntry("pages.page", slug, updated) for slug, updated in rows]
