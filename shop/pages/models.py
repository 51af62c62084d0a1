"""The shop's own pages: contact, shipping and returns, privacy, terms, about the doctor."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.core.models import TimestampMixin
from shop.extensions import Model

SLUG_MAX = 60
TITLE_MAX = 120
BODY_MAX = 50_000  # the admin preview's limit too
SEO_MAX = 320  # search engines show about 155 characters


@dataclass(frozen=True)
class StandardPage:
    """A page every shop has: the footer links to it whatever the database holds."""

    slug: str
    title: str  # the title a fresh install starts with; staff may change it
    footer_label: str


# The footer's links, in its order. The migration creates one row for each (with an empty
# body, for staff to write); the demo loader writes the demo shop's copy into them.
STANDARD_PAGES = (
    StandardPage("contact", "Contact us", "Contact"),
    StandardPage("shipping-returns", "Shipping and returns", "Shipping & returns"),
    StandardPage("privacy", "Privacy policy", "Privacy"),
    StandardPage("terms", "Terms of sale", "Terms of sale"),
    StandardPage("about", "About the doctor", "About the doctor"),
)


class Page(TimestampMixin, Model):
    """One page of the shop's own copy, written in Markdown by staff."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX), unique=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    body_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    # The page's meta description; without one, the start of the text is used.
    seo_description: Mapped[str | None] = mapped_column(sa.String(SEO_MAX), default=None)
    # Optimistic locking, as on answers: a stale edit form cannot overwrite a newer save.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it once)

    def __repr__(self) -> str:
        return f"<Page {self.slug}>"
