"""Forms of the owners' staff screens."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, SelectChoice, SelectField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from shop.accounts.models import StaffRole
from shop.accounts.services import PASSWORD_MAX, PASSWORD_MIN
from shop.core.forms import ShopForm, strip_text

ROLE_LABELS = {
    StaffRole.OWNER: "Owner: everything, including staff accounts",
    StaffRole.EDITOR: "Editor: answers, links, questions, products",
    StaffRole.FULFILMENT: "Fulfilment: orders, stock",
}
EMAIL_MAX = 254


def _role_field() -> SelectField:
    return SelectField(
        "Role",
        choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in StaffRole],
        validate_choice=True,
    )


def _password_fields(label: str) -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        label,
        validators=[
            DataRequired("Enter a password."),
            Length(
                min=PASSWORD_MIN,
                message=f"The password must be at least {PASSWORD_MIN} characters long.",
            ),
            Length(
                max=PASSWORD_MAX,
                message=f"The password must be at most {PASSWORD_MAX:,} characters long.",
            ),
        ],
    )
    confirm = PasswordField(
        f"{label} again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", "The two passwords are not the same."),
        ],
    )
    return password, confirm


class StaffCreateForm(ShopForm):
    """A new staff account: email, role and an initial password typed twice."""

    email = EmailField(
        "Email",
        validators=[
            DataRequired("Enter the email address."),
            Length(max=EMAIL_MAX, message=f"Keep the email to {EMAIL_MAX} characters or fewer."),
            Email("Enter an email address like name@example.com.", check_deliverability=False),
        ],
        filters=[strip_text],
    )
    role = _role_field()
    password, confirm = _password_fields("Initial password")


class StaffRoleForm(ShopForm):
    """Another role for an account."""

    role = _role_field()


class StaffPasswordForm(ShopForm):
    """A new password for an account, set by an owner."""

    password, confirm = _password_fields("New password")


class StaffActionForm(ShopForm):
    """A button that only needs the CSRF token: deactivate, reactivate, unlock."""
