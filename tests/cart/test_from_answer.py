"""Adding a recommended product on an answer page brings the reader back to that product,
with the confirmation beside it, not to the top of a page 2,400 px above."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.links.models import AnswerProductLink
from tests.factories import make_answer, make_product
from tests.html import visible_text


@pytest.fixture
def answer(db: SQLAlchemy) -> dict[str, Any]:
    """An answer recommending two products, each with one size in stock."""
    cream = make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 2800, 10)])
    lotion = make_product("Oat Lotion", slug="oat-lotion", variants=[("200 ml", 1800, 7)])
    found = make_answer("Why is my skin so dry in winter?", slug="dry-winter")
    for position, product in enumerate([cream, lotion]):
        db.session.add(
            AnswerProductLink(answer_id=found.id, product_id=product.id, position=position)
        )
    db.session.commit()
    return {"slug": found.slug, "lotion_sku": lotion.variants[0].sku}


def _card(page: str, slug: str) -> str:
    """The HTML of one product's card on the answer page, found by its id."""
    found = re.search(rf'<li class="recommendation" id="product-{slug}">.*?</li>', page, re.S)
    assert found is not None, f"no card with id product-{slug}"
    return found.group(0)


def _form_fields(card: str) -> dict[str, str]:
    """What the card's add-to-cart form sends, as the browser reads it."""
    form = re.search(r'<form class="rec-buy".*?</form>', card, re.S)
    assert form is not None
    return {
        name: htmllib.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([\w-]+)" value="([^"]*)"', form.group(0)
        )
    }


def _top_messages(page: str) -> str:
    found = re.search(r'<div class="wrap flashes".*?</div>', page, re.S)
    return visible_text(found.group(0)) if found else ""


def test_adding_from_an_answer_returns_to_the_product_with_the_confirmation_beside_it(
    client: FlaskClient, answer: dict[str, Any]
) -> None:
    page = client.get(f"/answers/{answer['slug']}").get_data(as_text=True)
    fields = _form_fields(_card(page, "oat-lotion"))
    assert fields["variant"] == answer["lotion_sku"]

    response = client.post("/cart/add", data=fields)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/answers/{answer['slug']}#product-oat-lotion"

    back = client.get(f"/answers/{answer['slug']}").get_data(as_text=True)
    confirmation = "Added Oat Lotion (200 ml) to your cart. View cart"
    assert confirmation in visible_text(_card(back, "oat-lotion"))
    assert 'href="/cart">View cart</a>' in _card(back, "oat-lotion")
    assert "Added" not in visible_text(_card(back, "barrier-cream"))
    assert "Added" not in _top_messages(back)  # not 2,400 px above the reader
    assert "Oat Lotion" in visible_text(client.get("/cart"))

    # Shown once: reading the page again shows no confirmation.
    again = client.get(f"/answers/{answer['slug']}").get_data(as_text=True)
    assert "Added Oat Lotion" not in visible_text(again)


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/answers/dry-winter#product-oat-lotion",
        "//evil.example/#product-oat-lotion",
    ],
)
def test_a_card_link_elsewhere_is_refused_and_the_confirmation_shown_in_the_cart(
    client: FlaskClient, answer: dict[str, Any], next_url: str
) -> None:
    page = client.get(f"/answers/{answer['slug']}").get_data(as_text=True)
    fields = _form_fields(_card(page, "oat-lotion")) | {"next": next_url}
    response = client.post("/cart/add", data=fields)
    assert response.status_code == 303
    assert response.headers["Location"] == "/cart"
    cart = client.get("/cart").get_data(as_text=True)
    assert "Added Oat Lotion (200 ml) to your cart." in _top_messages(cart)


def test_a_card_fragment_for_another_product_shows_the_confirmation_at_the_top(
    client: FlaskClient, answer: dict[str, Any]
) -> None:
    page = client.get(f"/answers/{answer['slug']}").get_data(as_text=True)
    fields = _form_fields(_card(page, "oat-lotion"))
    fields["next"] = f"/answers/{answer['slug']}#product-barrier-cream"
    response = client.post("/cart/add", data=fields)
    assert response.headers["Location"] == fields["next"]
    back = client.get(f"/answers/{answer['slug']}").get_data(as_text=True)
    assert "Added Oat Lotion (200 ml) to your cart." in _top_messages(back)
    assert "Added" not in visible_text(_card(back, "barrier-cream"))
