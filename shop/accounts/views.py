"""Staff sign-in, sign-out and password change (the staff home at /admin/ is the dashboard)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from shop.accounts.decorators import role_required
from shop.accounts.forms import LoginForm, PasswordChangeForm
from shop.accounts.services import AuthError, authenticate, change_password
from shop.core.errors import DomainError
from shop.core.security import safe_next
from shop.extensions import db, limiter

bp = Blueprint("accounts", __name__, url_prefix="/admin")


def _safe_next(target: str | None) -> str:
    """Return `target` if it is a path inside /admin/, else the staff home page."""
    return safe_next(target, inside="/admin/") or url_for("admin.dashboard.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login() -> str | BaseResponse:
    """Sign a member of staff in, with a fresh session, and go on to `next` or /admin/."""
    next_url = request.args.get("next")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(next_url))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except AuthError as exc:
            # Commit the failure count: that is what makes the lockout work.
            db.session.commit()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            # A new session on sign-in, so nothing set before it (fixation) carries over.
            session.clear()
            login_user(user)
            return redirect(_safe_next(next_url), code=303)
    status = 400 if form.is_submitted() else 200
    page = render_template("accounts/login.html", form=form, next_url=next_url)
    return page, status  # type: ignore[return-value]


@bp.post("/logout")
def logout() -> BaseResponse:
    """Sign out and forget the session."""
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("accounts.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@role_required()
def password() -> str | BaseResponse:
    """Change the signed-in staff member's password; other sessions are signed out."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            user = change_password(
                current_user.id, form.current_password.data, form.new_password.data
            )
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            # The session id carries a password fingerprint: store the new one.
            session.clear()
            login_user(user)
            flash("Your password has been changed.")
            return redirect(url_for("admin.dashboard.home"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/password.html", form=form), status  # type: ignore[return-value]
