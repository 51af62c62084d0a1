"""Staff accounts: create, authenticate (with a lockout), change password.

Services flush; the caller commits. `authenticate` is the exception to "an error rolls
the unit back": the caller commits after an `AuthError` too, so failures are counted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shop.accounts.models import StaffRole, StaffUser
from shop.core.errors import DomainError
from shop.core.models import utcnow
from shop.extensions import db

PASSWORD_MIN = 12
PASSWORD_MAX = 1024
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)

SIGN_IN_FAILED = "That email and password do not match a staff account."
LOCKED = (
    "Too many failed sign-ins for this account. Please wait 15 minutes and try again, "
    "or ask the shop owner for help."
)

# argon2id with the library's current recommended parameters.
_hasher = PasswordHasher()


class AuthError(DomainError):
    """Signing in failed; the message never says whether the email exists."""


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password-only-for-timing")


def normalize_email(email: str) -> str:
    """Return the email as stored: trimmed and lowercased."""
    return email.strip().lower()


def _check_password_rules(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise DomainError(f"The password must be at least {PASSWORD_MIN} characters long.")
    if len(password) > PASSWORD_MAX:
        raise DomainError(f"The password must be at most {PASSWORD_MAX} characters long.")


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; make them comparable with aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def staff_by_email(email: str) -> StaffUser | None:
    """Return the staff account with this email, or None."""
    return db.session.scalar(sa.select(StaffUser).where(StaffUser.email == normalize_email(email)))


def create_staff(email: str, password: str, role: StaffRole | str) -> StaffUser:
    """Create a staff account with an argon2id password hash."""
    address = normalize_email(email)
    if not address or "@" not in address or len(address) > 254:
        raise DomainError("Enter an email address like name@example.com.")
    try:
        staff_role = StaffRole(role)
    except ValueError:
        choices = ", ".join(r.value for r in StaffRole)
        raise DomainError(f"The role must be one of: {choices}.") from None
    _check_password_rules(password)
    if staff_by_email(address) is not None:
        raise DomainError(f"A staff account for {address} already exists.")
    user = StaffUser(email=address, password_hash=_hasher.hash(password), role=staff_role)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str, now: datetime | None = None) -> StaffUser:
    """Return the active staff account these credentials open, or raise `AuthError`.

    An unknown email, an inactive account and a wrong password all give the same message
    (and cost the same argon2 verification). After `MAX_FAILED_LOGINS` wrong passwords in
    a row the account is locked for `LOCKOUT`, and says so: kept simple on purpose, this
    lockout message can appear only for real accounts, so it tells someone trying
    passwords that the email exists. The per-IP rate limit on the login page slows that
    probing down. A success resets the count and rehashes the password if the hashing
    parameters have changed since it was stored.
    """
    now = now or utcnow()
    user = staff_by_email(email)
    if user is None or not user.active:
        _verify(_dummy_hash(), password)
        raise AuthError(SIGN_IN_FAILED)
    if user.locked_until is not None and _aware(user.locked_until) > now:
        raise AuthError(LOCKED)
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.failed_logins = 0
            user.locked_until = now + LOCKOUT
            db.session.flush()
            raise AuthError(LOCKED)
        db.session.flush()
        raise AuthError(SIGN_IN_FAILED)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    db.session.flush()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def change_password(user_id: int, current: str, new: str) -> StaffUser:
    """Replace a staff member's password after checking the current one."""
    user = db.session.get(StaffUser, user_id)
    if user is None or not user.active:
        raise DomainError("This staff account no longer exists or is switched off.")
    if not _verify(user.password_hash, current):
        raise DomainError("Your current password is not right.")
    _check_password_rules(new)
    if new == current:
        raise DomainError("Choose a new password different from the current one.")
    user.password_hash = _hasher.hash(new)
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    return user
