"""Staff accounts: who may sign in to the admin, with which role."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.core.models import str_enum, utcnow
from shop.extensions import Model


class StaffRole(enum.StrEnum):
    OWNER = "owner"  # everything, including staff accounts
    EDITOR = "editor"  # answers, links, questions, product content
    FULFILMENT = "fulfilment"  # orders, stock


class StaffUser(Model):
    """A member of staff who signs in at /admin/login.

    Implements Flask-Login's user interface (what `UserMixin` provides) by hand, so the
    type checker sees every member and `get_id` can carry a password fingerprint.
    """

    __tablename__ = "staff_users"
    __table_args__ = (sa.CheckConstraint("failed_logins >= 0", name="failed_logins_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lowercased by the services, so "Ann@Shop" and "ann@shop" are one account.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole, "staff_role"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    # Flask-Login's user interface.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Return the session id: the row id plus a fingerprint of the password hash.

        A password change alters the fingerprint, so every other session signed in with
        the old password stops loading its user.
        """
        return f"{self.id}:{self.password_fingerprint}"

    @property
    def password_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def has_role(self, *roles: StaffRole | str) -> bool:
        """Whether this account may act as one of `roles` (an owner may act as any)."""
        return self.role == StaffRole.OWNER or self.role in roles

    def __repr__(self) -> str:
        return f"<StaffUser {self.id} {self.email} {self.role}>"
