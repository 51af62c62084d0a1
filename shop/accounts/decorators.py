"""Access rules for staff pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user

from shop.accounts import login_manager
from shop.accounts.models import StaffRole

P = ParamSpec("P")
R = TypeVar("R")


def role_required(*roles: StaffRole | str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let in signed-in staff with one of `roles` (owners always; no roles: any staff).

    Anonymous visitors are sent to sign in (with `next`); other roles get the 403 page.
    """
    allowed = tuple(StaffRole(r) for r in roles)

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()  # type: ignore[no-any-return]
            if allowed and not current_user.has_role(*allowed):
                abort(403, description="Your staff role does not include this page.")
            return view(*args, **kwargs)

        return wrapped

    return decorator
