"""Writing the shop's own pages.

Every staff edit names the version the editor opened (`Page.version` is SQLAlchemy's version
column), so a stale form is refused instead of overwriting a colleague's save. The pages
table is not among the page cache's watched tables, so every write here moves the content
version on itself, in the same transaction: the next request of any process shows the new
text. Services flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from shop.core.errors import FieldError, NotFound, RecordChanged
from shop.core.pagecache import bump_version
from shop.extensions import db
from shop.pages.models import BODY_MAX, SEO_MAX, STANDARD_PAGES, TITLE_MAX, Page

# The conflict page keeps the editor's unsaved text below the current version (admin/pages.py).
PAGE_CHANGED_THEN = "Here is the current version, with your text below it to copy from."


@dataclass(frozen=True)
class PageContent:
    """What staff write on a page."""

    title: str
    body_markdown: str
    seo_description: str | None = None


@dataclass(frozen=True)
class PageChange:
    """The outcome of an edit: the page and the fields that changed (for the audit log)."""

    page: Page
    before: dict[str, Any]
    after: dict[str, Any]


def page_fields(page: Page) -> dict[str, Any]:
    """A page's editable content as plain JSON values (for audit entries and forms)."""
    return {
        "title": page.title,
        "body_markdown": page.body_markdown,
        "seo_description": page.seo_description,
    }


def _checked(content: PageContent) -> PageContent:
    title = content.title.strip()
    if not title:
        raise FieldError("title", "Enter the page's title.")
    if len(title) > TITLE_MAX:
        raise FieldError("title", f"Keep the title to {TITLE_MAX} characters or fewer.")
    body = content.body_markdown.replace("\r\n", "\n").strip()
    if len(body) > BODY_MAX:
        raise FieldError("body_markdown", f"Keep the text to {BODY_MAX:,} characters or fewer.")
    seo = (content.seo_description or "").strip() or None
    if seo is not None and len(seo) > SEO_MAX:
        raise FieldError(
            "seo_description", f"Keep the description to {SEO_MAX} characters or fewer."
        )
    return PageContent(title, body, seo)


def _apply(page: Page, content: PageContent) -> None:
    page.title = content.title
    page.body_markdown = content.body_markdown
    page.seo_description = content.seo_description


def update_page(slug: str, content: PageContent, version: int) -> PageChange:
    """Save an edit of the page `slug` opened at `version`; refuse it if the page moved on."""
    checked = _checked(content)
    # Row-locked, then compared: of two editors saving at once, the second waits and then
    # sees the first one's version.
    page = db.session.scalar(
        sa.select(Page)
        .where(Page.slug == slug)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if page is None:
        raise NotFound("There is no page at that address.")
    if page.version != version:
        raise RecordChanged("page", PAGE_CHANGED_THEN)
    old = page_fields(page)
    _apply(page, checked)
    new = page_fields(page)
    changed = [k for k in new if new[k] != old[k]]
    if changed:
        try:
            db.session.flush()
        except StaleDataError as exc:
            raise RecordChanged("page", PAGE_CHANGED_THEN) from exc
        bump_version(db.session())
    return PageChange(page, {k: old[k] for k in changed}, {k: new[k] for k in changed})


def write_page(slug: str, content: PageContent) -> Page:
    """Create the page `slug` or overwrite its content, whatever its version (demo, setup)."""
    checked = _checked(content)
    page = db.session.scalar(sa.select(Page).where(Page.slug == slug))
    if page is None:
        page = Page(slug=slug)
        db.session.add(page)
    _apply(page, checked)
    db.session.flush()
    bump_version(db.session())
    return page


def ensure_standard_pages() -> list[Page]:
    """Create the standard pages that are missing, titled and still to be written.

    The migration makes them on a real database; a schema made another way (the tests)
    starts without them.
    """
    have = set(db.session.scalars(sa.select(Page.slug)))
    made = [
        Page(slug=s.slug, title=s.title, body_markdown="")
        for s in STANDARD_PAGES
        if s.slug not in have
    ]
    if made:
        db.session.add_all(made)
        db.session.flush()
        bump_version(db.session())
    return made
