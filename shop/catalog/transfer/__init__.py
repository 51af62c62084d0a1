"""Catalogue CSV for staff: export, and an all-or-nothing import by SKU."""

from shop.catalog.transfer.common import (
    EXPORT_HEADER,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    REQUIRED_COLUMNS,
    CatalogImportError,
    ImportResult,
)
from shop.catalog.transfer.export import export_rows
from shop.catalog.transfer.importer import import_catalog

__all__ = [
    "EXPORT_HEADER",
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "REQUIRED_COLUMNS",
    "CatalogImportError",
    "ImportResult",
    "export_rows",
    "import_catalog",
]
