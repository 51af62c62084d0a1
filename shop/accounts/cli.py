"""`flask --app shop staff ...`: staff accounts from the command line."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from shop.accounts.models import StaffRole
from shop.accounts.services import create_staff
from shop.core.errors import DomainError
from shop.extensions import db

staff_cli = AppGroup("staff", help="Staff accounts for the admin.")


@staff_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([r.value for r in StaffRole]),
    required=True,
    help="owner: everything; editor: answers, links, questions, products; fulfilment: orders, "
    "stock.",
)
@click.option(
    "--password-env",
    default="SHOP_STAFF_PASSWORD",
    show_default=True,
    metavar="VAR",
    help="Read the password from this environment variable; when it is unset, ask for it.",
)
def create_command(email: str, role: str, password_env: str) -> None:
    """Create a staff account. The password is never echoed or printed.

    Exits with 0 on success, 1 when the account cannot be created (duplicate email, short
    password), 2 for bad usage (an unknown role).
    """
    password = os.environ.get(password_env)
    if not password:
        password = click.prompt(
            "Password (at least 12 characters)", hide_input=True, confirmation_prompt=True
        )
    try:
        user = create_staff(email, str(password), role)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Staff: created {user.email} ({user.role.value}).")
