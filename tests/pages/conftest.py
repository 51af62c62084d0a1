"""Fixtures for the shop's own pages: the five standard pages, an editor signed in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.pages.models import Page
from shop.pages.services import ensure_standard_pages
from tests.fixtures_staff import sign_in


@pytest.fixture
def standard_pages(db: SQLAlchemy) -> list[Page]:
    """The five pages as a fresh install has them: titled, text still to be written."""
    made = ensure_standard_pages()
    db.session.commit()
    return made


@pytest.fixture
def editor(client: FlaskClient, make_staff: Callable[..., StaffUser]) -> StaffUser:
    user = make_staff("ed@example.com", StaffRole.EDITOR)
    assert sign_in(client, "ed@example.com")[0] == 303
    return user
