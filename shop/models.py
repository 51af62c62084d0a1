"""Import every domain's models so the metadata (and Alembic) sees all tables."""

from shop.catalog.models import Brand, Category, Product, ProductImage, SkinConcern, Variant
from shop.inventory.models import StockAdjustment, StockRecord

__all__ = [
    "Brand",
    "Category",
    "Product",
    "ProductImage",
    "SkinConcern",
    "StockAdjustment",
    "StockRecord",
    "Variant",
]
