"""`flask staff create`: what it stores, prints and how it exits."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.accounts.services import authenticate

SECRET = "a long staff password"


def _users(db: SQLAlchemy) -> dict[str, StaffRole]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(StaffUser.email, StaffUser.role))
    return dict(rows.all())


def test_create_reads_the_password_from_the_environment(
    db: SQLAlchemy, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(
        args=["staff", "create", "Ann@Example.com", "--role", "owner"],
        env={"SHOP_STAFF_PASSWORD": SECRET},
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Staff: created ann@example.com (owner).\n"
    assert SECRET not in result.output
    assert _users(db) == {"ann@example.com": StaffRole.OWNER}
    authenticate("ann@example.com", SECRET)


def test_create_reads_a_named_variable(db: SQLAlchemy, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["staff", "create", "bo@example.com", "--role", "editor", "--password-env", "PW"],
        env={"PW": SECRET, "SHOP_STAFF_PASSWORD": None},
    )
    assert result.exit_code == 0, result.output
    authenticate("bo@example.com", SECRET)


def test_create_prompts_twice_without_echoing(db: SQLAlchemy, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["staff", "create", "cy@example.com", "--role", "fulfilment"],
        input=f"{SECRET}\n{SECRET}\n",
        env={"SHOP_STAFF_PASSWORD": None},
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert SECRET not in result.output
    assert _users(db) == {"cy@example.com": StaffRole.FULFILMENT}


def test_a_duplicate_email_exits_1_with_a_clear_message(
    db: SQLAlchemy, runner: FlaskCliRunner
) -> None:
    args = ["staff", "create", "ann@example.com", "--role", "editor"]
    env = {"SHOP_STAFF_PASSWORD": SECRET}
    assert runner.invoke(args=args, env=env).exit_code == 0
    result = runner.invoke(args=args, env=env)
    assert result.exit_code == 1
    assert "A staff account for ann@example.com already exists." in result.output
    assert SECRET not in result.output


def test_a_short_password_exits_1(db: SQLAlchemy, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["staff", "create", "ann@example.com", "--role", "editor"],
        env={"SHOP_STAFF_PASSWORD": "short pw"},
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert "short pw" not in result.output
    assert _users(db) == {}


def test_a_bad_role_exits_2(db: SQLAlchemy, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["staff", "create", "ann@example.com", "--role", "boss"],
        env={"SHOP_STAFF_PASSWORD": SECRET},
    )
    assert result.exit_code == 2
    assert "'boss' is not one of 'owner', 'editor', 'fulfilment'" in result.output
    assert _users(db) == {}
