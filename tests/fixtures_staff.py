"""Staff fixtures: accounts with known passwords, and a client that signs in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.accounts.services import create_staff
from tests.html import csrf_token

PASSWORD = "correct horse battery"


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
