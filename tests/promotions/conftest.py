"""The shop talking to the local Stripe sandbox (reset before each test), as the CLI and the
admin do when they make and end promotion codes."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from shop.extensions import db
from shop.payments.gateway import init_payments
from shop.promotions.models import Promotion
from tests.fixtures_stripe import StripeSandbox


@pytest.fixture
def stripe_shop(app: Flask, stripe_sandbox: StripeSandbox) -> StripeSandbox:
    """The test app's gateway pointed at the sandbox; yields the sandbox."""
    app.config.update(
        STRIPE_API_BASE=stripe_sandbox.url,
        STRIPE_SECRET_KEY=stripe_sandbox.api_key,
        STRIPE_MAX_NETWORK_RETRIES=0,
        STRIPE_TIMEOUT=3,
    )
    init_payments(app)
    return stripe_sandbox


def sent(sandbox: StripeSandbox, path: str) -> list[dict[str, Any]]:
    """The parameters of each POST the sandbox answered with 200 at `path`, oldest first."""
    return [r["params"] for r in sandbox.requests(path=path, method="POST") if r["status"] == 200]


def at_stripe(sandbox: StripeSandbox, promotion_code_id: str) -> dict[str, Any]:
    """The promotion code as the sandbox holds it now."""
    found = sandbox.api("GET", f"/v1/promotion_codes/{promotion_code_id}")
    assert found.status == 200, found.text
    data: dict[str, Any] = found.json()
    return data


def promotions() -> list[Promotion]:
    """Every stored promotion, read afresh."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Promotion).order_by(Promotion.id)))
