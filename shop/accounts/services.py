"""Staff accounts: create, authenticate (with a lockout), change password, and the
owners' management of accounts (role, deactivation, unlock, a new password).

Services flush; the caller commits. `authenticate` is the exception to "an error rolls
the unit back": the caller commits after an `AuthError` too, so failures are counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shop.accounts.models import StaffRole, StaffUser
from shop.core.errors import DomainError, NotFound
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


class EmailTaken(DomainError):
    """A staff account with this email already exists."""


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
        raise EmailTaken(f"A staff account for {address} already exists.")
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


# --- Managing accounts (the owners' staff screen) ---------------------------------------


def staff_accounts() -> Sequence[StaffUser]:
    """Every staff account: active ones first, then by email."""
    return db.session.scalars(
        sa.select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.email)
    ).all()


def _staff_or_error(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        raise NotFound("There is no staff account with that number.")
    return user


def _check_owners_remain(user: StaffUser) -> None:
    """Refuse when `user` is the last active owner: someone must be able to manage staff."""
    if user.role != StaffRole.OWNER or not user.active:
        return
    # Lock every active owner's row (PostgreSQL; SQLite's write transaction already
    # serialises), so two owners demoting each other at once cannot both succeed.
    owners = db.session.scalars(
        sa.select(StaffUser.id)
        .where(StaffUser.role == StaffRole.OWNER, StaffUser.active.is_(True))
        .order_by(StaffUser.id)
        .with_for_update()
    ).all()
    if len(owners) <= 1:
        raise DomainError(
            f"{user.email} is the last active owner; make another account an owner first."
        )


def set_staff_role(
    actor_id: int, user_id: int, role: StaffRole | str
) -> tuple[StaffRole, StaffRole]:
    """Give a staff account another role; return (old role, new role).

    An owner cannot demote themselves, and the last active owner is never demoted.
    """
    try:
        new_role = StaffRole(role)
    except ValueError:
        choices = ", ".join(r.value for r in StaffRole)
        raise DomainError(f"The role must be one of: {choices}.") from None
    user = _staff_or_error(user_id)
    old_role = user.role
    if old_role == new_role:
        raise DomainError(f"{user.email} already has the role {new_role.value}.")
    if old_role == StaffRole.OWNER:
        if user.id == actor_id:
            raise DomainError("You cannot take the owner role from yourself; ask another owner.")
        _check_owners_remain(user)
    user.role = new_role
    db.session.flush()
    return old_role, new_role


def set_staff_active(actor_id: int, user_id: int, active: bool) -> StaffUser:
    """Deactivate or reactivate a staff account.

    A deactivated account cannot sign in, and its open sessions stop loading their user
    at the next request (the session loader refuses inactive accounts). Nobody can
    deactivate themselves, and the last active owner is never deactivated.
    """
    user = _staff_or_error(user_id)
    if user.active == active:
        state = "active" if active else "deactivated"
        raise DomainError(f"{user.email} is already {state}.")
    if not active:
        if user.id == actor_id:
            raise DomainError("You cannot deactivate your own account; ask another owner.")
        _check_owners_remain(user)
    user.active = active
    db.session.flush()
    return user


def unlock_staff(user_id: int) -> StaffUser:
    """Clear a sign-in lockout and the count of failed sign-ins."""
    user = _staff_or_error(user_id)
    if user.locked_until is None and user.failed_logins == 0:
        raise DomainError(f"{user.email} is not locked out.")
    user.locked_until = None
    user.failed_logins = 0
    db.session.flush()
    return user


def set_staff_password(user_id: int, password: str) -> StaffUser:
    """Give a staff account a new password (set by an owner, so no current password).

    The session id carries a fingerprint of the hash, so every session signed in with
    the old password ends. The lockout is cleared too.
    """
    user = _staff_or_error(user_id)
    _check_password_rules(password)
    user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    return user


def is_locked(user: StaffUser, now: datetime | None = None) -> bool:
    """Whether sign-in to this account is locked out at `now`."""
    return user.locked_until is not None and _aware(user.locked_until) > (now or utcnow())
