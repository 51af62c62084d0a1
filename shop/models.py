"""Import every domain's models so the metadata (and Alembic) sees all tables."""

from shop.accounts.models import StaffUser
from shop.admin.models import AuditEntry
from shop.cart.models import Cart, CartLine
from shop.catalog.models import Brand, Category, Product, ProductImage, SkinConcern, Variant
from shop.core.models import ContentVersion
from shop.editorial.models import Answer, Doctor, ReaderQuestion, Topic
from shop.inventory.models import StockAdjustment, StockFace, StockRecord
from shop.links.models import (
    AnswerDailyStats,
    AnswerProductLink,
    DismissedSuggestion,
    OrderAttribution,
)
from shop.mail.models import OutboxMessage
from shop.orders.models import Order, OrderEvent, OrderLine
from shop.pages.models import Page
from shop.payments.models import StripeEvent
from shop.promotions.models import Promotion
from shop.search.models import SearchDocument

__all__ = [
    "Answer",
    "AnswerDailyStats",
    "AnswerProductLink",
    "AuditEntry",
    "Brand",
    "Cart",
    "CartLine",
    "Category",
    "ContentVersion",
    "DismissedSuggestion",
    "Doctor",
    "Order",
    "OrderAttribution",
    "OrderEvent",
    "OrderLine",
    "OutboxMessage",
    "Page",
    "Product",
    "ProductImage",
    "Promotion",
    "ReaderQuestion",
    "SearchDocument",
    "SkinConcern",
    "StaffUser",
    "StockAdjustment",
    "StockFace",
    "StockRecord",
    "StripeEvent",
    "Topic",
    "Variant",
]
