"""Forms of the staff sign-in and password pages."""

from __future__ import annotations

from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from shop.accounts.services import PASSWORD_MAX, PASSWORD_MIN
from shop.core.forms import ShopForm, strip_text


class LoginForm(ShopForm):
    """Staff sign-in."""

    email = EmailField(
        "Email",
        validators=[DataRequired("Enter your email."), Length(max=254)],
        filters=[strip_text],
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=PASSWORD_MAX)],
    )


class PasswordChangeForm(ShopForm):
    """A signed-in staff member's new password."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired("Enter a new password."),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=f"The new password must be at least {PASSWORD_MIN} characters long.",
            ),
        ],
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[
            DataRequired("Type the new password again."),
            EqualTo("new_password", "The two new passwords are not the same."),
        ],
    )
