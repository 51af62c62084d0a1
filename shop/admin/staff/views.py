"""The owners' staff screens: list accounts, add one, change role, deactivate, unlock,
set a password. Every write is audited; passwords and hashes never reach the log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_user
from werkzeug.wrappers import Response as BaseResponse

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole, StaffUser
from shop.accounts.services import (
    EmailTaken,
    create_staff,
    is_locked,
    set_staff_active,
    set_staff_password,
    set_staff_role,
    staff_accounts,
    unlock_staff,
)
from shop.admin import audit
from shop.admin.staff.forms import (
    ROLE_LABELS,
    StaffActionForm,
    StaffCreateForm,
    StaffPasswordForm,
    StaffRoleForm,
)
from shop.core.errors import DomainError
from shop.extensions import db

bp = Blueprint("staff", __name__, url_prefix="/staff")

ENTITY = "staff_user"
HISTORY_ROWS = 100

Page = tuple[str, int]


def _audit(action: str, user: StaffUser, summary: str, **changes: Any) -> None:
    audit.record(
        current_user.id,
        current_user.email,
        action,
        ENTITY,
        user.id,
        summary,
        before=changes.get("before"),
        after=changes.get("after"),
    )


def _user_or_404(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404, description="There is no staff account with that number.")
    return user


@bp.get("/")
@role_required(StaffRole.OWNER)
def index() -> str:
    """List every staff account with its role, state, last sign-in and lockout."""
    users = staff_accounts()
    return render_template(
        "admin/staff/index.html",
        users=users,
        locked={u.id: is_locked(u) for u in users},
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(StaffRole.OWNER)
def new() -> Page | BaseResponse:
    """Add a staff account with a role and an initial password."""
    form = StaffCreateForm()
    if form.validate_on_submit():
        try:
            user = create_staff(form.email.data, form.password.data, form.role.data)
            _audit(
                "staff.create",
                user,
                f"Added {user.email} as {user.role.value}",
                after={"email": user.email, "role": user.role.value, "active": True},
            )
            db.session.commit()
        except EmailTaken as exc:
            db.session.rollback()
            form.email.errors = [*form.email.errors, exc.message]
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash(f"Added {user.email} as {user.role.value}.", "success")
            return redirect(url_for("admin.staff.detail", user_id=user.id), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/staff/new.html", form=form), status


def _detail(
    user_id: int,
    role_form: StaffRoleForm | None = None,
    password_form: StaffPasswordForm | None = None,
    action_errors: list[str] | None = None,
    status: int = 200,
) -> Page:
    user = _user_or_404(user_id)
    return render_template(
        "admin/staff/detail.html",
        user=user,
        locked=is_locked(user),
        is_self=user.id == current_user.id,
        role_labels=ROLE_LABELS,
        role_form=role_form or StaffRoleForm(formdata=None, role=user.role.value),
        password_form=password_form or StaffPasswordForm(formdata=None),
        action_form=StaffActionForm(formdata=None),
        action_errors=action_errors or [],
        audit_entries=audit.entries(ENTITY, user.id, limit=HISTORY_ROWS),
    ), status


def _done(user_id: int, message: str) -> BaseResponse:
    flash(message, "success")
    return redirect(url_for("admin.staff.detail", user_id=user_id), code=303)


@bp.get("/<int:user_id>")
@role_required(StaffRole.OWNER)
def detail(user_id: int) -> Page:
    """One account: its figures, the forms that change it, and its audit history."""
    return _detail(user_id)


@bp.post("/<int:user_id>/role")
@role_required(StaffRole.OWNER)
def role(user_id: int) -> Page | BaseResponse:
    """Give the account another role."""
    user = _user_or_404(user_id)
    form = StaffRoleForm()
    if not form.validate_on_submit():
        return _detail(user_id, role_form=form, status=400)
    try:
        old, new_role = set_staff_role(current_user.id, user_id, form.role.data)
        _audit(
            "staff.role",
            user,
            f"{user.email}: role {old.value} → {new_role.value}",
            before={"role": old.value},
            after={"role": new_role.value},
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return _detail(user_id, role_form=form, status=400)
    return _done(user_id, f"{user.email} is now {new_role.value}.")


def _set_active(user_id: int, active: bool) -> Page | BaseResponse:
    user = _user_or_404(user_id)
    form = StaffActionForm()
    if not form.validate_on_submit():
        return _detail(user_id, action_errors=["The form expired; please try again."], status=400)
    verb = "reactivated" if active else "deactivated"
    try:
        set_staff_active(current_user.id, user_id, active)
        _audit(
            f"staff.{'reactivate' if active else 'deactivate'}",
            user,
            f"{user.email} {verb}",
            before={"active": not active},
            after={"active": active},
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _detail(user_id, action_errors=[exc.message], status=400)
    if active:
        return _done(user_id, f"{user.email} is active again and can sign in.")
    return _done(user_id, f"{user.email} is deactivated: signed out and unable to sign in.")


@bp.post("/<int:user_id>/deactivate")
@role_required(StaffRole.OWNER)
def deactivate(user_id: int) -> Page | BaseResponse:
    """Switch the account off: no sign-in, and its open sessions stop working."""
    return _set_active(user_id, False)


@bp.post("/<int:user_id>/reactivate")
@role_required(StaffRole.OWNER)
def reactivate(user_id: int) -> Page | BaseResponse:
    """Switch the account back on."""
    return _set_active(user_id, True)


@bp.post("/<int:user_id>/unlock")
@role_required(StaffRole.OWNER)
def unlock(user_id: int) -> Page | BaseResponse:
    """Clear a sign-in lockout."""
    user = _user_or_404(user_id)
    form = StaffActionForm()
    if not form.validate_on_submit():
        return _detail(user_id, action_errors=["The form expired; please try again."], status=400)
    locked_until = user.locked_until
    try:
        unlock_staff(user_id)
        _audit(
            "staff.unlock",
            user,
            f"{user.email} unlocked",
            before={"locked_until": locked_until.isoformat() if locked_until else None},
            after={"locked_until": None},
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _detail(user_id, action_errors=[exc.message], status=400)
    return _done(user_id, f"{user.email} can sign in again.")


@bp.post("/<int:user_id>/password")
@role_required(StaffRole.OWNER)
def password(user_id: int) -> Page | BaseResponse:
    """Set a new password; every session signed in with the old one ends."""
    user = _user_or_404(user_id)
    form = StaffPasswordForm()
    if not form.validate_on_submit():
        return _detail(user_id, password_form=form, status=400)
    try:
        set_staff_password(user_id, form.password.data)
        # Never the password or its hash: the log says only that it changed.
        _audit("staff.password", user, f"{user.email}: new password set by an owner")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return _detail(user_id, password_form=form, status=400)
    if user.id == current_user.id:
        # The session id carries the password fingerprint: keep this session, with the new one.
        session.clear()
        login_user(user)
    return _done(user_id, f"{user.email} has a new password; their other sessions have ended.")
