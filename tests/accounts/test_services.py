"""Staff accounts: creating, authenticating, locking out, changing passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask_sqlalchemy import SQLAlchemy

from shop.accounts import services
from shop.accounts.models import StaffRole, StaffUser
from shop.accounts.services import (
    AuthError,
    authenticate,
    change_password,
    create_staff,
)
from shop.core.errors import DomainError
from shop.core.models import utcnow
from tests.fixtures_staff import PASSWORD


def _stored(db: SQLAlchemy) -> StaffUser:
    db.session.expire_all()
    user: StaffUser | None = db.session.scalar(sa.select(StaffUser))
    assert user is not None
    return user


def test_create_stores_an_argon2id_hash_and_a_lowercased_email(db: SQLAlchemy) -> None:
    create_staff("  Ann@Example.COM ", PASSWORD, "owner")
    db.session.commit()
    user = _stored(db)
    assert user.email == "ann@example.com"
    assert user.role == StaffRole.OWNER
    assert user.active
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("email", "password", "role", "message"),
    [
        ("ann@example.com", "short", "editor", "at least 12 characters"),
        ("ann@example.com", PASSWORD, "boss", "The role must be one of"),
        ("not-an-email", PASSWORD, "editor", "Enter an email address"),
    ],
)
def test_create_refuses_bad_input(
    db: SQLAlchemy, email: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        create_staff(email, password, role)


def test_create_refuses_a_duplicate_email(db: SQLAlchemy) -> None:
    create_staff("ann@example.com", PASSWORD, "editor")
    db.session.commit()
    with pytest.raises(DomainError, match="already exists"):
        create_staff("ANN@example.com", PASSWORD, "owner")


def test_authenticate_returns_the_account_and_notes_the_time(db: SQLAlchemy) -> None:
    create_staff("ann@example.com", PASSWORD, "editor")
    user = authenticate("Ann@Example.com", PASSWORD)
    db.session.commit()
    assert user.email == "ann@example.com"
    assert _stored(db).last_login_at is not None


def test_wrong_password_and_unknown_email_give_the_same_message(db: SQLAlchemy) -> None:
    create_staff("ann@example.com", PASSWORD, "editor")
    with pytest.raises(AuthError) as wrong:
        authenticate("ann@example.com", "wrong password here")
    with pytest.raises(AuthError) as unknown:
        authenticate("nobody@example.com", PASSWORD)
    assert wrong.value.message == unknown.value.message == services.SIGN_IN_FAILED


def test_an_inactive_account_cannot_sign_in(db: SQLAlchemy) -> None:
    user = create_staff("ann@example.com", PASSWORD, "editor")
    user.active = False
    with pytest.raises(AuthError, match="do not match"):
        authenticate("ann@example.com", PASSWORD)


def test_five_failures_lock_the_account_for_fifteen_minutes(db: SQLAlchemy) -> None:
    create_staff("ann@example.com", PASSWORD, "editor")
    db.session.commit()
    start = utcnow()
    for n in range(4):
        with pytest.raises(AuthError, match="do not match"):
            authenticate("ann@example.com", f"wrong password {n}", now=start)
        db.session.commit()
    with pytest.raises(AuthError, match="wait 15 minutes"):
        authenticate("ann@example.com", "wrong password 5", now=start)
    db.session.commit()

    # Even the right password is refused while locked...
    with pytest.raises(AuthError, match="wait 15 minutes"):
        authenticate("ann@example.com", PASSWORD, now=start + timedelta(minutes=14))
    # ...and works once the 15 minutes are over.
    user = authenticate("ann@example.com", PASSWORD, now=start + timedelta(minutes=15, seconds=1))
    db.session.commit()
    assert user.locked_until is None
    assert user.failed_logins == 0


def test_a_success_resets_the_failure_count(db: SQLAlchemy) -> None:
    create_staff("ann@example.com", PASSWORD, "editor")
    for _ in range(4):
        with pytest.raises(AuthError):
            authenticate("ann@example.com", "wrong password!")
    authenticate("ann@example.com", PASSWORD)
    db.session.commit()
    assert _stored(db).failed_logins == 0
    for _ in range(4):  # four more failures do not lock: the count started again
        with pytest.raises(AuthError, match="do not match"):
            authenticate("ann@example.com", "wrong password!")


def test_sign_in_rehashes_when_the_parameters_changed(db: SQLAlchemy) -> None:
    user = create_staff("ann@example.com", PASSWORD, "editor")
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    db.session.commit()
    old = user.password_hash
    authenticate("ann@example.com", PASSWORD)
    db.session.commit()
    new = _stored(db).password_hash
    assert new != old
    assert not services._hasher.check_needs_rehash(new)


def test_change_password(db: SQLAlchemy) -> None:
    user = create_staff("ann@example.com", PASSWORD, "editor")
    with pytest.raises(DomainError, match="current password is not right"):
        change_password(user.id, "not my password", "a brand new password")
    with pytest.raises(DomainError, match="at least 12"):
        change_password(user.id, PASSWORD, "too short")
    change_password(user.id, PASSWORD, "a brand new password")
    db.session.commit()
    authenticate("ann@example.com", "a brand new password")
    with pytest.raises(AuthError):
        authenticate("ann@example.com", PASSWORD)
