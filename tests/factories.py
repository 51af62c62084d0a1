"""Plain functions that build catalogue rows for tests; each flushes, none commits."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from shop.catalog.models import (
    Brand,
    Category,
    Product,
    ProductImage,
    ProductStatus,
    SkinConcern,
    Variant,
)
from shop.core.models import utcnow
from shop.editorial.models import (
    Answer,
    AnswerStatus,
    Doctor,
    QuestionStatus,
    ReaderQuestion,
    Topic,
)
from shop.extensions import db
from shop.inventory.services import create_stock_record

_seq = itertools.count(1)


def make_brand(name: str | None = None, slug: str | None = None) -> Brand:
    n = next(_seq)
    brand = Brand(name=name or f"Brand {n}", slug=slug or f"brand-{n}", description="A test brand.")
    db.session.add(brand)
    db.session.flush()
    return brand


def make_category(name: str | None = None, slug: str | None = None, position: int = 0) -> Category:
    n = next(_seq)
    category = Category(
        name=name or f"Category {n}", slug=slug or f"category-{n}", position=position
    )
    db.session.add(category)
    db.session.flush()
    return category


def make_concern(name: str | None = None, slug: str | None = None) -> SkinConcern:
    n = next(_seq)
    concern = SkinConcern(name=name or f"Concern {n}", slug=slug or f"concern-{n}")
    db.session.add(concern)
    db.session.flush()
    return concern


def make_product(
    name: str | None = None,
    *,
    slug: str | None = None,
    brand: Brand | None = None,
    category: Category | None = None,
    concerns: Sequence[SkinConcern] = (),
    status: ProductStatus = ProductStatus.ACTIVE,
    variants: Sequence[tuple[str, int, int]] | None = None,
    featured_rank: int | None = None,
    image: bool = True,
    currency: str = "USD",
) -> Product:
    """Make a product; `variants` are (size label, price in cents, stock on hand)."""
    n = next(_seq)
    name = name or f"Product {n}"
    product = Product(
        name=name,
        slug=slug or f"product-{n}",
        brand=brand or make_brand(),
        category=category or make_category(),
        status=status,
        featured_rank=featured_rank,
        skin_types=["normal"],
        key_ingredients=["Glycerin"],
        description="A **test** product.",
        how_to_use="Apply daily.",
    )
    product.concerns = list(concerns)
    db.session.add(product)
    db.session.flush()
    for position, (size, price, on_hand) in enumerate(variants or [("50 ml", 2500, 10)]):
        variant = Variant(
            product_id=product.id,
            sku=f"SKU-{n}-{position}",
            size_label=size,
            price=price,
            currency=currency,
            position=position,
        )
        db.session.add(variant)
        db.session.flush()
        create_stock_record(variant.id, on_hand)
    if image:
        db.session.add(
            ProductImage(
                product_id=product.id,
                path=f"products/{product.slug}.svg",
                alt_text=f"{name} bottle",
            )
        )
    db.session.flush()
    db.session.refresh(product)
    return product


def make_doctor(name: str = "Miriam Hale", slug: str | None = None) -> Doctor:
    n = next(_seq)
    doctor = Doctor(
        slug=slug or f"doctor-{n}",
        name=name,
        credentials="MD, FAAD",
        title="Board-certified dermatologist",
        practice="Hale Dermatology",
        bio="Dr. Hale has treated skin for **twenty years**.",
    )
    db.session.add(doctor)
    db.session.flush()
    return doctor


def make_topic(name: str | None = None, slug: str | None = None) -> Topic:
    n = next(_seq)
    topic = Topic(name=name or f"Topic {n}", slug=slug or f"topic-{n}", description="About it.")
    db.session.add(topic)
    db.session.flush()
    return topic


def make_answer(
    question: str | None = None,
    *,
    slug: str | None = None,
    doctor: Doctor | None = None,
    status: AnswerStatus = AnswerStatus.PUBLISHED,
    published_at: datetime | None = None,
    days_ago: float = 1,
    concerns: Sequence[SkinConcern] = (),
    topics: Sequence[Topic] = (),
    body: str = "## What helps\n\n- Gentle cleansing\n- Daily sunscreen\n",
) -> Answer:
    """Make an answer; published `days_ago` days ago unless `published_at` is given."""
    n = next(_seq)
    if published_at is None and status is not AnswerStatus.DRAFT:
        published_at = utcnow() - timedelta(days=days_ago)
    answer = Answer(
        slug=slug or f"answer-{n}",
        question=question or f"Question number {n}?",
        letter="Dear Dr. Hale,\n\nMy skin is dry.\n\n— Dry in Denver",
        body=body,
        bottom_line=["Be gentle.", "Wear sunscreen."],
        doctor=doctor or make_doctor(slug=f"doc-for-{n}"),
        status=status,
        published_at=published_at,
        seo_description=f"Answer {n} about skin.",
    )
    answer.concerns = list(concerns)
    answer.topics = list(topics)
    db.session.add(answer)
    db.session.flush()
    return answer


def make_question(
    email: str = "reader@example.com",
    question: str = "Why is my skin so dry in winter?",
    *,
    name: str | None = "Sam",
    status: QuestionStatus = QuestionStatus.NEW,
    answer: Answer | None = None,
) -> ReaderQuestion:
    stored = ReaderQuestion(
        name=name, email=email, question=question, consent=True, status=status, answer=answer
    )
    db.session.add(stored)
    db.session.flush()
    return stored


# Cart factories (appended after the catalogue's and the column's).
import secrets  # noqa: E402

from shop.cart.models import Cart, CartLine  # noqa: E402


def make_cart(lines: Sequence[tuple[Variant, int]] = ()) -> Cart:
    """Make a cart holding (variant, quantity) lines, each seen at today's price."""
    cart = Cart(token=secrets.token_urlsafe(32), version=0)
    db.session.add(cart)
    db.session.flush()
    for variant, quantity in lines:
        db.session.add(
            CartLine(
                cart_id=cart.id,
                variant_id=variant.id,
                quantity=quantity,
                price_seen=variant.price,
            )
        )
    db.session.flush()
    return cart


from typing import Any  # noqa: E402

from shop.orders.models import Order  # noqa: E402
from shop.orders.services import PaymentFacts, fulfil_checkout  # noqa: E402
from shop.promotions.models import Promotion  # noqa: E402


def promotion_named(code: str, percent_off: int = 10) -> Promotion:
    """The promotion `code`, as if made at Stripe (made-up ids); made the first time asked."""
    found = db.session.scalar(sa.select(Promotion).where(Promotion.code == code))
    if found is not None:
        return found
    promotion = Promotion(
        code=code,
        percent_off=percent_off,
        currency="USD",
        stripe_coupon_id=f"coupon_{code}",
        stripe_promotion_code_id=f"promo_test_{code}",
    )
    db.session.add(promotion)
    db.session.flush()
    return promotion


def pay_order(order: Order, email: str, **facts: Any) -> None:
    """Settle `order` as Stripe's completed session would: paid in full, with the order's code
    and discount as Stripe applied them; `facts` add or override."""
    promotion = db.session.get(Promotion, order.promotion_id) if order.promotion_id else None
    fulfil_checkout(
        order,
        PaymentFacts(
            **{
                "session_id": f"cs_test_{order.id}",
                "paid": True,
                "status": "complete",
                "payment_status": "paid",
                "amount_total": order.total,
                "currency": order.currency,
                "email": email,
                "payment_intent_id": f"pi_{order.id}",
                "amount_discount": order.discount,
                # Tax on the order is tax Stripe Tax computed.
                "amount_tax": order.tax,
                "automatic_tax": order.tax > 0,
                "promotion_code_id": promotion.stripe_promotion_code_id if promotion else None,
                **facts,
            }
        ),
    )
