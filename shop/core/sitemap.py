"""What each domain contributes to /sitemap.xml."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SitemapEntry:
    """One public page: the endpoint that serves it, its slug, and when it last changed."""

    endpoint: str
    slug: str
    lastmod: datetime | None
