"""A page of results with the numbers a pager needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of items out of `total`, numbered from 1."""

    items: Sequence[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.number - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.number * self.per_page)

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to show, with None where a gap ("…") goes."""
        shown = {1, self.pages}
        shown.update(range(max(1, self.number - around), min(self.pages, self.number + around) + 1))
        result: list[int | None] = []
        previous = 0
        for n in sorted(shown):
            if n - previous > 1:
                result.append(None)
            result.append(n)
            previous = n
        return result
