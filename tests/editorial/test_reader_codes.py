"""An answer's page offers its reader codes while they can be used."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.core.models import utcnow
from shop.editorial.models import Answer, AnswerStatus
from shop.extensions import db as _db
from shop.orders.services import LineSnapshot, create_pending_order
from shop.promotions.models import Promotion
from tests.cart.promotions import make_promotion
from tests.factories import make_answer, make_product
from tests.html import visible_text

PANEL = "Readers of this answer:"


@pytest.fixture
def answer(db: SQLAlchemy) -> Answer:
    found = make_answer("Why is my skin so dry in winter?", slug="dry-winter")
    db.session.commit()
    return found


def page_text(client: FlaskClient, slug: str = "dry-winter") -> str:
    _db.session.rollback()
    response = client.get(f"/answers/{slug}")
    assert response.status_code == 200
    return visible_text(response)


def test_the_answer_offers_its_code_to_readers(
    client: FlaskClient, db: SQLAlchemy, answer: Answer
) -> None:
    make_promotion("READERS15", percent_off=15, answer=answer)
    make_promotion(
        "DRY5",
        amount_off=500,
        min_subtotal=4000,
        expires_at=utcnow() + timedelta(days=30),
        answer=answer,
    )
    make_promotion("WELCOME10")  # the shop's, not this answer's
    db.session.commit()

    text = page_text(client)

    assert "Readers of this answer: 15% off with READERS15" in text
    assert "Readers of this answer: $5.00 off with DRY5 on orders of $40.00 or more, until" in text
    assert text.count("Enter it in your cart.") == 2
    assert "WELCOME10" not in text


def test_a_code_made_after_the_page_was_cached_shows_at_once(
    client: FlaskClient, db: SQLAlchemy, answer: Answer
) -> None:
    assert PANEL not in page_text(client)  # now cached
    promotion = make_promotion("READERS15", percent_off=15, answer=answer)
    db.session.commit()
    assert "15% off with READERS15" in page_text(client)

    promotion.ended_at = utcnow()  # the promotions service ends it
    db.session.commit()
    assert PANEL not in page_text(client)


@pytest.mark.parametrize("why", ["ended", "expired", "used-up", "not-at-stripe"])
def test_a_code_that_cannot_be_used_is_not_offered(
    client: FlaskClient, db: SQLAlchemy, answer: Answer, why: str
) -> None:
    promotion: Promotion = make_promotion(
        "READERS15",
        answer=answer,
        max_redemptions=1,
        ended_at=utcnow() if why == "ended" else None,
        expires_at=utcnow() - timedelta(seconds=1) if why == "expired" else None,
        stripe_promotion_code_id=None if why == "not-at-stripe" else "",
    )
    if why == "used-up":  # an open checkout holds the one redemption
        product = make_product("Cream", variants=[("50 ml", 2800, 5)])
        variant = product.variants[0]
        line = LineSnapshot(variant.id, "Cream", "50 ml", variant.sku, 2800, 1)
        create_pending_order([line], "USD", None, discount=280, promotion=promotion)
    db.session.commit()

    assert PANEL not in page_text(client)


def test_a_draft_answer_offers_nothing(client: FlaskClient, db: SQLAlchemy) -> None:
    draft = make_answer("A draft?", slug="a-draft", status=AnswerStatus.DRAFT)
    make_promotion("DRAFTCODE", answer=draft)
    db.session.commit()
    _db.session.rollback()
    response = client.get("/answers/a-draft")
    assert response.status_code == 404
    assert "DRAFTCODE" not in response.get_data(as_text=True)
