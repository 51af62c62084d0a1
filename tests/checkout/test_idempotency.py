"""Idempotency keys are this installation's own: two databases on one Stripe account never
send the same key, though both have an "order 1"."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from flask_sqlalchemy import SQLAlchemy

from shop.extensions import db as _db
from shop.orders.models import Order
from shop.payments.installation import idempotency_prefix
from shop.payments.models import Installation
from tests.conftest import ThrowawayDatabases, make_app
from tests.factories import make_product
from tests.fixtures_stripe import StripeSandbox
from tests.html import csrf_token


def _fresh_shop(
    databases: ThrowawayDatabases, backend: str, media: Path, sandbox: StripeSandbox
) -> Flask:
    """A new installation: its own empty database, built by the migrations."""
    shop = make_app(
        databases.new(backend),
        media,
        STRIPE_API_BASE=sandbox.url,
        STRIPE_SECRET_KEY=sandbox.api_key,
        STRIPE_MAX_NETWORK_RETRIES=0,
    )
    with shop.app_context():
        upgrade()
        make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 2800, 5)])
        _db.session.commit()
        _db.engine.dispose()
    return shop


def _buy_one(shop: Flask) -> str:
    """Add the cream to a cart and check out, as a customer would; return where we are sent."""
    with shop.app_context():
        client = shop.test_client()
        page = client.get("/products/barrier-cream")
        sku = _db.session.scalar(sa.text("SELECT sku FROM variants"))
        _db.session.rollback()
        added = client.post(
            "/cart/add", data={"csrf_token": csrf_token(page), "variant": sku, "quantity": "1"}
        )
        assert added.status_code == 303
        started = client.post("/checkout", data={"csrf_token": csrf_token(client.get("/cart"))})
        assert started.status_code == 303
        [order_id] = _db.session.scalars(sa.select(Order.id)).all()
        assert order_id == 1
        _db.session.remove()
        _db.engine.dispose()
        return str(started.headers["Location"])


def test_two_fresh_databases_send_different_keys_for_their_order_1(
    backend: str, databases: ThrowawayDatabases, tmp_path: Path, stripe_sandbox: StripeSandbox
) -> None:
    first = _fresh_shop(databases, backend, tmp_path / "first", stripe_sandbox)
    second = _fresh_shop(databases, backend, tmp_path / "second", stripe_sandbox)
    pay_pages = [_buy_one(first), _buy_one(second)]

    # Each got its own payment page: the second was not handed the first one's session.
    assert all(page.startswith(stripe_sandbox.url + "/pay/cs_") for page in pay_pages)
    assert pay_pages[0] != pay_pages[1]
    created = stripe_sandbox.requests(path="/v1/checkout/sessions", method="POST")
    assert [r["params"]["client_reference_id"] for r in created] == ["1", "1"]
    assert [r["status"] for r in created] == [200, 200]
    keys = [str(r["idempotency_key"]) for r in created]
    assert keys[0] != keys[1]
    assert all("-checkout-order-1-" in key for key in keys)


def test_the_prefix_is_made_once_on_first_use_and_kept(db: SQLAlchemy) -> None:
    """A database the migration did not build (the tests' own) gets its row when first asked."""
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Installation)) == 0
    made = idempotency_prefix()
    assert len(made) == 16
    db.session.commit()
    assert idempotency_prefix() == made
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Installation)) == 1
    db.session.rollback()


@pytest.mark.parametrize("outside", [True, False])
def test_making_the_prefix_outside_a_unit_of_work_commits_it(db: SQLAlchemy, outside: bool) -> None:
    db.session.rollback()
    if not outside:
        db.session.scalar(sa.select(sa.func.count()).select_from(Order))  # a unit of work
    made = idempotency_prefix()
    db.session.rollback()
    kept = db.session.scalar(sa.select(Installation.idempotency_prefix))
    db.session.rollback()
    assert kept == (made if outside else None)
