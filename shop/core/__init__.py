"""Shared building blocks: money, Markdown, pagination, slugs, errors."""
