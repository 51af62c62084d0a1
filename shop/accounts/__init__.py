"""Staff accounts: roles, sign-in with Flask-Login, argon2id passwords, lockout."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager

from shop.extensions import db

login_manager = LoginManager()


def init_app(app: Flask) -> None:
    """Install sign-in, the accounts' pages and the `staff` commands."""
    from shop.accounts.cli import staff_cli
    from shop.accounts.views import bp

    init_accounts(app)
    app.register_blueprint(bp)
    app.cli.add_command(staff_cli)


def init_accounts(app: Flask) -> None:
    """Set up Flask-Login: how a session's user is loaded, and where sign-in lives."""
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to open the staff pages."
    login_manager.login_message_category = "info"
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)


def _load_user(session_id: str) -> object | None:
    """Return the active staff account of a session id "ID:FINGERPRINT", or None."""
    from shop.accounts.models import StaffUser

    user_id, _, fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(StaffUser, int(user_id))
    if user is None or not user.active or user.password_fingerprint != fingerprint:
        return None
    return user
