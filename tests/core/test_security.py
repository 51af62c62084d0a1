"""Security headers and cookie flags, as a browser receives them."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shop.core.security import content_security_policy, safe_next
from shop.extensions import db
from tests.conftest import make_app


def _directives(policy: str) -> dict[str, str]:
    return dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())


@pytest.mark.parametrize("path", ["/", "/products/", "/answers/", "/admin/login", "/no-such"])
def test_every_page_carries_the_policy_and_the_safety_headers(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path)
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_hsts_is_sent_over_https_only(client: FlaskClient) -> None:
    secure = client.get("/", base_url="https://shop.test")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_forms_may_go_to_the_shop_and_to_stripe_checkout() -> None:
    live = _directives(content_security_policy({}))
    assert live["form-action"] == "'self' https://checkout.stripe.com"
    sandbox = _directives(content_security_policy({"STRIPE_API_BASE": "http://127.0.0.1:12111"}))
    assert sandbox["form-action"] == "'self' http://127.0.0.1:12111"


def test_images_may_come_from_the_media_url() -> None:
    policy = _directives(content_security_policy({"MEDIA_URL": "https://cdn.example/media"}))
    assert policy["img-src"] == "'self' data: https://cdn.example"


def test_production_session_cookies_are_secure_httponly_and_lax(
    backend: str, app: Flask, tmp_path: Path
) -> None:
    production = make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "media",
        SHOP_ENV="production",
        SECRET_KEY="k" * 40,
        WTF_CSRF_ENABLED=False,
    )
    try:
        client = production.test_client()
        response = client.post("/cart/add", data={"variant": "NO-SUCH", "quantity": "1"})
    finally:
        with production.app_context():
            db.engine.dispose()
    cookie = next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= flags


@pytest.mark.parametrize(
    ("target", "inside", "expected"),
    [
        ("/answers/x?y=1", "/", "/answers/x?y=1"),
        ("/admin/orders", "/admin/", "/admin/orders"),
        ("/cart", "/admin/", None),
        ("//evil.example/", "/", None),
        ("/%2F%2Fevil.example/", "/", None),
        ("/\\evil.example/", "/", None),
        ("/\t/evil.example/", "/", None),
        ("https://evil.example/", "/", None),
        ("javascript:alert(1)", "/", None),
        ("/admin/%2e%2e/cart", "/admin/", None),
        ("", "/", None),
        (None, "/", None),
        ("/" + "a" * 2001, "/", None),
    ],
)
def test_next_can_only_lead_inside_the_shop(
    target: str | None, inside: str, expected: str | None
) -> None:
    assert safe_next(target, inside) == expected
