"""What the export and the import share: the columns, limits, result and error types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shop.core.errors import DomainError

EXPORT_HEADER = (
    "sku",
    "product_slug",
    "product_name",
    "brand",
    "category",
    "variant",
    "price",
    "currency",
    "stock_on_hand",
    "status",
    "stock_allocated",
    "tax_code",
)
# `stock_allocated` is informative only: checkouts own it, so the import ignores it.
# `tax_code` is optional: a file without the column leaves products' tax codes as they are;
# a blank cell means the shop default (SHOP_DEFAULT_TAX_CODE).
REQUIRED_COLUMNS = EXPORT_HEADER[:10]
TAX_CODE_COLUMN = "tax_code"
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 100_000
IMPORT_REASON = "import"

Problem = tuple[int, str]


class CatalogImportError(DomainError):
    """The file was refused; `problems` lists every (line, reason) found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p[0])
        count = len(self.problems)
        super().__init__(
            f"The import was refused ({count} problem{'s' if count != 1 else ''}); "
            "nothing was changed."
        )


@dataclass(slots=True)
class ImportResult:
    """What an import did; `unchanged` counts rows that changed nothing at all."""

    rows: int = 0
    products_created: int = 0
    products_updated: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    stock_changes: int = 0
    unchanged: int = 0
    new_brands: list[str] = field(default_factory=list)
    new_categories: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Describe the import in one line for staff."""
        text = (
            f"Imported {self.rows} row{'s' if self.rows != 1 else ''}: "
            f"{self.products_created} products created, {self.products_updated} updated, "
            f"{self.variants_created} variants created, {self.variants_updated} updated, "
            f"{self.stock_changes} stock changes, {self.unchanged} unchanged."
        )
        # New brands and categories are named, so a typo that made one is noticed.
        if self.new_brands:
            text += f" New brands: {', '.join(self.new_brands)}."
        if self.new_categories:
            text += f" New categories: {', '.join(self.new_categories)}."
        return text
