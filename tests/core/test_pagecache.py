"""The page cache: visitors get cached pages, yet every change shows on the next request.

"Another process" is a second Flask app on the same database, with its own in-process cache,
as a second gunicorn worker or machine would be: a change made through one is seen by the
other because the content version lives in the database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole
from shop.catalog.models import Product
from shop.core.models import ContentVersion, utcnow
from shop.editorial.models import Answer, AnswerStatus
from shop.inventory.services import (
    adjust_on_hand,
    allocate_stock,
    consume_stock,
    release_stock,
)
from shop.links.services import add_link
from tests.admin.test_products import _save
from tests.conftest import make_app
from tests.factories import make_answer, make_concern, make_product
from tests.fixtures_staff import sign_in
from tests.html import csrf_token, visible_text
from tests.sql import counted_selects

EDITOR = "ed@example.com"


@pytest.fixture
def other_app(app: Flask, db: SQLAlchemy, tmp_path: Path) -> Iterator[Flask]:
    """A second app process on the same database, with a cache of its own."""
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media")
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def cream(db: SQLAlchemy) -> Product:
    concern = make_concern("Dryness", "dryness")
    product = make_product(
        "Barrier Cream", slug="barrier-cream", concerns=[concern], variants=[("50 ml", 2500, 9)]
    )
    make_answer("Why is my skin so dry?", slug="dry-skin", concerns=[concern])
    db.session.commit()
    return product


def _reader_sees(other_app: Flask, db: SQLAlchemy, url: str) -> str:
    # The test's own session may hold SQLite's write lock; end its transaction first.
    db.session.rollback()
    with other_app.test_client() as reader:
        response = reader.get(url)
        assert response.status_code == 200
        return visible_text(response)


def _queries(db: SQLAlchemy, client: FlaskClient, url: str) -> int:
    db.session.remove()
    with counted_selects(db) as selects:
        assert client.get(url).status_code == 200
    return len(selects)


def test_a_second_visitor_gets_the_cached_page_with_their_own_token(
    app: Flask, db: SQLAlchemy, cream: Product
) -> None:
    first, second = app.test_client(), app.test_client()
    sku = cream.variants[0].sku
    built = _queries(db, first, "/products/barrier-cream")
    served = _queries(db, second, "/products/barrier-cream")
    assert served == 1 < built  # only the content version is read for the second visitor
    tokens = []
    for visitor in (first, second):
        db.session.rollback()
        page = visitor.get("/products/barrier-cream")
        tokens.append(csrf_token(page))
        added = visitor.post(
            "/cart/add", data={"csrf_token": tokens[-1], "variant": sku, "quantity": "1"}
        )
        assert added.status_code == 303  # each visitor's token works for them
    assert tokens[0] != tokens[1]
    with first:
        db.session.rollback()
        assert "Cart (1 item" in visible_text(first.get("/products/barrier-cream"))
    db.session.rollback()
    assert "Cart (" not in visible_text(app.test_client().get("/products/barrier-cream"))


def test_a_staff_price_edit_shows_at_once_in_another_process(
    client: FlaskClient, db: SQLAlchemy, other_app: Flask, make_staff: object, cream: Product
) -> None:
    assert "$25.00" in _reader_sees(other_app, db, "/products/barrier-cream")
    assert "$25.00" in _reader_sees(other_app, db, "/products/")
    make_staff(EDITOR, StaffRole.EDITOR)  # type: ignore[operator]
    assert sign_in(client, EDITOR)[0] == 303
    variant = cream.variants[0]
    saved = _save(client, cream, {f"size{variant.id}-price": "19.99"})
    assert saved.status_code == 303
    for url in ("/products/barrier-cream", "/products/", "/"):
        page = _reader_sees(other_app, db, url)
        assert "$19.99" in page
        assert "$25.00" not in page


def test_a_new_link_shows_on_both_pages_in_another_process(
    db: SQLAlchemy, other_app: Flask, cream: Product
) -> None:
    answer = make_answer("Which cream for winter?", slug="winter-cream")
    db.session.commit()
    assert "Barrier Cream" not in _reader_sees(other_app, db, "/answers/winter-cream")
    assert "Which cream for winter?" not in _reader_sees(other_app, db, "/products/barrier-cream")
    add_link(answer.id, cream.id, note="Thick enough for January.")
    db.session.commit()
    assert "Thick enough for January." in _reader_sees(other_app, db, "/answers/winter-cream")
    assert "Which cream for winter?" in _reader_sees(other_app, db, "/products/barrier-cream")


def test_a_stock_change_shows_at_once_in_another_process(
    db: SQLAlchemy, other_app: Flask, cream: Product
) -> None:
    assert "In stock" in _reader_sees(other_app, db, "/products/barrier-cream")
    adjust_on_hand(cream.variants[0].id, -7, reason="damaged")
    db.session.commit()
    assert "Only 2 left" in _reader_sees(other_app, db, "/products/barrier-cream")
    adjust_on_hand(cream.variants[0].id, -2, reason="damaged")
    db.session.commit()
    assert "Sold out" in _reader_sees(other_app, db, "/products/barrier-cream")
    assert "Sold out" in _reader_sees(other_app, db, "/products/")


def _version(db: SQLAlchemy) -> int:
    db.session.rollback()
    return int(db.session.scalar(sa.select(ContentVersion.version)) or 0)


def _sell(db: SQLAlchemy, variant_id: int, quantity: int) -> None:
    """A checkout holds the units, then its payment sells them: two units of work."""
    allocate_stock({variant_id: quantity})
    db.session.commit()
    consume_stock({variant_id: quantity})
    db.session.commit()


@pytest.fixture
def shelf(db: SQLAlchemy, cream: Product) -> list[str]:
    """The cream recommended by an answer, and the public pages that show its stock."""
    answer = make_answer("Which cream for winter?", slug="winter-cream")
    add_link(answer.id, cream.id, note="Thick enough for January.")
    db.session.commit()
    return ["/products/barrier-cream", "/answers/winter-cream", "/products/", "/"]


def test_a_sale_that_changes_no_stock_words_leaves_every_page_cached(
    app: Flask, db: SQLAlchemy, cream: Product, shelf: list[str]
) -> None:
    variant_id = cream.variants[0].id
    visitor = app.test_client()
    for url in shelf:
        _queries(db, visitor, url)  # built and kept
    before = _version(db)

    _sell(db, variant_id, 1)  # 9 in stock, then 8: "In stock" either way

    assert _version(db) == before
    for url in shelf:
        assert _queries(db, visitor, url) == 1, url  # served from the cache, not rebuilt
        assert "In stock" in visible_text(visitor.get(url)), url


def test_each_sale_that_changes_the_stock_words_shows_at_once_everywhere(
    db: SQLAlchemy, other_app: Flask, cream: Product, shelf: list[str]
) -> None:
    for url in shelf[:2]:
        assert "In stock" in _reader_sees(other_app, db, url)
    variant_id = cream.variants[0].id

    _sell(db, variant_id, 5)  # 9 -> 4: the hold alone already reads "Only 4 left"
    for url in shelf:
        assert "Only 4 left" in _reader_sees(other_app, db, url), url
    assert "In stock" not in _reader_sees(other_app, db, "/products/barrier-cream")

    _sell(db, variant_id, 1)
    assert "Only 3 left" in _reader_sees(other_app, db, "/answers/winter-cream")

    allocate_stock({variant_id: 3})  # the last three held by a checkout: nothing to buy
    db.session.commit()
    for url in shelf:
        assert "Sold out" in _reader_sees(other_app, db, url), url

    release_stock({variant_id: 3})  # that checkout expired: they can be bought again
    db.session.commit()
    for url in shelf:
        assert "Only 3 left" in _reader_sees(other_app, db, url), url


def test_stock_words_stay_exact_when_the_same_commit_also_edits_the_product(
    db: SQLAlchemy, other_app: Flask, cream: Product
) -> None:
    variant_id = cream.variants[0].id
    adjust_on_hand(variant_id, -5, reason="damaged")  # 9 -> 4, and a new name with it
    cream.name = "Barrier Cream Rich"
    db.session.commit()
    assert "Only 4 left" in _reader_sees(other_app, db, "/products/barrier-cream")

    adjust_on_hand(variant_id, 5, reason="restock")  # back to the words before either
    db.session.commit()
    page = _reader_sees(other_app, db, "/products/barrier-cream")
    assert "In stock" in page
    assert "Only 4 left" not in page


def test_unpublishing_takes_an_answer_off_every_cached_page(
    db: SQLAlchemy, other_app: Flask, cream: Product
) -> None:
    assert "Why is my skin so dry?" in _reader_sees(other_app, db, "/")
    assert "Why is my skin so dry?" in _reader_sees(other_app, db, "/answers/")
    dry = db.session.scalars(sa.select(Answer).where(Answer.slug == "dry-skin")).one()
    dry.status = AnswerStatus.DRAFT
    db.session.commit()
    assert "Why is my skin so dry?" not in _reader_sees(other_app, db, "/")
    assert "Why is my skin so dry?" not in _reader_sees(other_app, db, "/answers/")
    db.session.rollback()
    with other_app.test_client() as reader:
        assert reader.get("/answers/dry-skin").status_code == 404


def test_a_scheduled_answer_appears_when_its_time_comes_with_no_write(
    db: SQLAlchemy, other_app: Flask, cream: Product
) -> None:
    due = utcnow() + timedelta(seconds=1.5)
    make_answer("Is it time yet?", slug="soon", status=AnswerStatus.SCHEDULED, published_at=due)
    db.session.commit()
    assert "Is it time yet?" not in _reader_sees(other_app, db, "/answers/")
    while utcnow() < due + timedelta(milliseconds=50):  # nothing is written meanwhile
        time.sleep(0.05)
    assert "Is it time yet?" in _reader_sees(other_app, db, "/answers/")


def test_revalidation_gets_304_until_something_changes(
    client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    first = client.get("/products/barrier-cream")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert first.headers["Last-Modified"]
    db.session.rollback()
    again = client.get("/products/barrier-cream", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    adjust_on_hand(cream.variants[0].id, -8, reason="damaged")
    db.session.commit()
    changed = client.get("/products/barrier-cream", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Only 1 left" in visible_text(changed)
    # Another visitor's copy (another CSRF secret) is not this visitor's.
    db.session.rollback()
    stranger = FlaskClient(client.application, use_cookies=True)
    assert (
        stranger.get(
            "/products/barrier-cream", headers={"If-None-Match": changed.headers["ETag"]}
        ).status_code
        == 200
    )


def test_a_flashed_message_is_shown_to_its_visitor_only(
    app: Flask, client: FlaskClient, db: SQLAlchemy, cream: Product
) -> None:
    token = csrf_token(client.get("/products/barrier-cream"))
    sku = cream.variants[0].sku
    client.post("/cart/add", data={"csrf_token": token, "variant": sku, "quantity": "1"})
    db.session.rollback()
    mine = visible_text(client.get("/products/barrier-cream"))
    assert "Added" in mine
    db.session.rollback()
    assert "Added" not in visible_text(app.test_client().get("/products/barrier-cream"))
    db.session.rollback()
    assert "Added" not in visible_text(client.get("/products/barrier-cream"))  # shown once


def test_with_the_cache_off_every_request_builds_the_page(
    app: Flask, db: SQLAlchemy, cream: Product
) -> None:
    app.config["CACHE_TYPE"] = "NullCache"
    visitor = app.test_client()
    built = _queries(db, visitor, "/products/barrier-cream")
    assert _queries(db, visitor, "/products/barrier-cream") == built > 1
    response = visitor.get("/products/barrier-cream")
    assert "ETag" not in response.headers
    assert "Barrier Cream" in visible_text(response)


def test_the_version_query_names_the_public_statuses(app: Flask) -> None:
    # The query is written out for speed; it must use the statuses `is_public` allows.
    from shop.core.pagecache import version_query

    sql = str(version_query(app))
    for status in (AnswerStatus.SCHEDULED, AnswerStatus.PUBLISHED):
        assert f"'{status.value}'" in sql
    assert f"'{AnswerStatus.DRAFT.value}'" not in sql


def test_with_redis_every_process_shares_the_pages_and_sees_changes(
    app: Flask, db: SQLAlchemy, tmp_path: Path, cream: Product
) -> None:
    """With REDIS_URL set, a page built by one process is served by another, still fresh."""
    import os
    import uuid

    from tests.conftest import skip_or_fail

    redis_url = os.environ.get("SHOP_TEST_REDIS_URL")
    if not redis_url:
        skip_or_fail(
            "The shared page-cache test needs SHOP_TEST_REDIS_URL (redis://127.0.0.1:6379/0)"
        )
        return
    # A key prefix of this test's own, so parallel runs sharing the Redis never meet.
    settings = {"REDIS_URL": redis_url, "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}:"}
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    workers = [make_app(url, tmp_path / f"w{n}", **settings) for n in range(2)]
    try:
        builder, server = (w.test_client() for w in workers)
        with workers[0].app_context():
            built = _queries(db, builder, "/products/barrier-cream")
        with workers[1].app_context():
            served = _queries(db, server, "/products/barrier-cream")
        assert served == 1 < built  # the second process found the first one's page in Redis
        adjust_on_hand(cream.variants[0].id, -8, reason="damaged")
        db.session.commit()
        db.session.rollback()
        assert "Only 1 left" in visible_text(server.get("/products/barrier-cream"))
    finally:
        for worker in workers:
            with worker.app_context():
                db.session.remove()
                db.engine.dispose()
