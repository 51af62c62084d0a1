"""Import every domain's models so the metadata (and Alembic) sees all tables."""

from shop.catalog.models import Brand, Category, Product, ProductImage, SkinConcern, Variant
from shop.editorial.models import Answer, Doctor, ReaderQuestion, Topic
from shop.inventory.models import StockAdjustment, StockRecord
from shop.mail.models import OutboxMessage

__all__ = [
    "Answer",
    "Brand",
    "Category",
    "Doctor",
    "OutboxMessage",
    "Product",
    "ProductImage",
    "ReaderQuestion",
    "SkinConcern",
    "StockAdjustment",
    "StockRecord",
    "Topic",
    "Variant",
]
