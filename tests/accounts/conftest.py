"""Staff fixtures: accounts with known passwords, and a client that signs in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.accounts.services import create_staff
from tests.html import csrf_token

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _forget_user_between_requests(app: Flask) -> None:
    # The test requests share one app context, so Flask-Login's user and Flask-WTF's CSRF
    # token, cached in `g` per request, would outlive the request (and the session that
    # sign-in clears); a real request starts with an empty `g`.
    @app.teardown_request
    def forget_user(exc: BaseException | None) -> None:
        g.pop("_login_user", None)
        g.pop("csrf_token", None)


@pytest.fixture
def make_staff(db: SQLAlchemy) -> Callable[..., StaffUser]:
    def make(email: str = "ann@example.com", role: StaffRole = StaffRole.EDITOR) -> StaffUser:
        user = create_staff(email, PASSWORD, role)
        db.session.commit()
        return user

    return make


def sign_in(
    client: FlaskClient, email: str, password: str = PASSWORD, next_url: str | None = None
) -> tuple[int, str]:
    """Post the sign-in form with its real CSRF token; return (status, Location)."""
    url = "/admin/login" + (f"?next={next_url}" if next_url else "")
    token = csrf_token(client.get(url))
    response = client.post(url, data={"csrf_token": token, "email": email, "password": password})
    return response.status_code, response.headers.get("Location", "")
