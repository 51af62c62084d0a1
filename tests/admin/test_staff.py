"""The owners' staff screens: access, adding accounts, roles, deactivation (which ends the
account's sessions), unlocking, passwords, the owner refusals, and the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.accounts.services import MAX_FAILED_LOGINS, staff_by_email
from shop.admin.models import AuditEntry
from shop.core.models import utcnow
from tests.fixtures_staff import PASSWORD, sign_in
from tests.html import csrf_token, visible_text

MakeStaff = Callable[..., StaffUser]
OWNER = "olive@example.com"
OTHER = "ed@example.com"
NEW_PASSWORD = "a much longer new secret"


@pytest.fixture
def owner(client: FlaskClient, make_staff: MakeStaff) -> StaffUser:
    """An owner, signed in on `client`."""
    user = make_staff(OWNER, StaffRole.OWNER)
    assert sign_in(client, OWNER)[0] == 303
    return user


def _post(client: FlaskClient, url: str, page: str, **data: str) -> Any:
    token = csrf_token(client.get(page))
    return client.post(url, data={"csrf_token": token, **data})


def _act(client: FlaskClient, user_id: int, action: str, **data: str) -> Any:
    return _post(client, f"/admin/staff/{user_id}/{action}", f"/admin/staff/{user_id}", **data)


def _fresh(db: SQLAlchemy, email: str) -> StaffUser:
    db.session.expire_all()
    user = staff_by_email(email)
    assert user is not None
    return user


def _audits(db: SQLAlchemy) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all())


def _signed_in_client(client: FlaskClient, email: str, password: str = PASSWORD) -> FlaskClient:
    other = client.application.test_client()
    assert sign_in(other, email, password)[0] == 303
    assert other.get("/admin/").status_code == 200
    return other


def _is_signed_out(c: FlaskClient) -> bool:
    response = c.get("/admin/")
    return response.status_code == 302 and "/admin/login" in response.headers["Location"]


PAGES = [
    ("get", "/admin/staff/"),
    ("get", "/admin/staff/new"),
    ("get", "/admin/staff/{id}"),
    ("post", "/admin/staff/new"),
    ("post", "/admin/staff/{id}/role"),
    ("post", "/admin/staff/{id}/deactivate"),
    ("post", "/admin/staff/{id}/reactivate"),
    ("post", "/admin/staff/{id}/unlock"),
    ("post", "/admin/staff/{id}/password"),
]


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_only_owners_may_open_the_staff_pages(
    client: FlaskClient, make_staff: MakeStaff, method: str, path: str
) -> None:
    target = make_staff("target@example.com", StaffRole.EDITOR)
    url = path.format(id=target.id)
    if method == "post":
        token = csrf_token(client.get("/admin/login"))
        response = client.post(url, data={"csrf_token": token})
    else:
        response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")

    for email, role in (("ed2@example.com", StaffRole.EDITOR), ("fred@example.com", "fulfilment")):
        make_staff(email, StaffRole(role))
        staff = _signed_in_client(client, email)
        if method == "post":
            # A real form post with a valid token, so the 403 is the role rule, not CSRF.
            token = csrf_token(staff.get("/admin/password"))
            response = staff.post(url, data={"csrf_token": token, "role": "owner"})
        else:
            response = staff.get(url)
        assert response.status_code == 403


def test_the_list_shows_every_account(
    client: FlaskClient, db: SQLAlchemy, owner: StaffUser, make_staff: MakeStaff
) -> None:
    make_staff("fred@example.com", StaffRole.FULFILMENT)
    gone = make_staff("gone@example.com", StaffRole.EDITOR)
    gone.active = False
    gone.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()

    page = client.get("/admin/staff/")
    assert page.status_code == 200
    text = visible_text(page)
    assert f"{OWNER} (you) Owner Active" in text
    assert "fred@example.com Fulfilment Active Never Not locked" in text
    assert "gone@example.com Editor Deactivated Never" in text
    assert text.index("fred@example.com") < text.index("gone@example.com")  # active first
    # Owners see the section in the navigation.
    assert 'href="/admin/staff/"' in client.get("/admin/").get_data(as_text=True)


def test_the_staff_section_is_only_in_an_owners_navigation(
    client: FlaskClient, make_staff: MakeStaff
) -> None:
    make_staff("fred@example.com", StaffRole.FULFILMENT)
    sign_in(client, "fred@example.com")
    assert 'href="/admin/staff/"' not in client.get("/admin/").get_data(as_text=True)


def test_an_owner_adds_an_account_who_can_sign_in(
    client: FlaskClient, db: SQLAlchemy, owner: StaffUser
) -> None:
    response = _post(
        client,
        "/admin/staff/new",
        "/admin/staff/new",
        email="  New.Person@Example.com ",
        role="fulfilment",
        password=NEW_PASSWORD,
        confirm=NEW_PASSWORD,
    )
    assert response.status_code == 303
    user = _fresh(db, "new.person@example.com")
    assert response.headers["Location"] == f"/admin/staff/{user.id}"
    assert user.role == StaffRole.FULFILMENT
    assert "Added new.person@example.com as fulfilment." in visible_text(
        client.get(response.headers["Location"])
    )
    entry = _audits(db)[-1]
    assert (entry.actor_email, entry.action, entry.entity, entry.entity_id) == (
        OWNER,
        "staff.create",
        "staff_user",
        str(user.id),
    )
    assert entry.after == {"email": "new.person@example.com", "role": "fulfilment", "active": True}
    assert NEW_PASSWORD not in str(entry.after) + entry.summary
    _signed_in_client(client, "new.person@example.com", NEW_PASSWORD)


def _field_errors(response: Any, field_id: str) -> str:
    """The error list tied to one control (aria-describedby), as text."""
    html = response.get_data(as_text=True)
    assert f'aria-describedby="{field_id}-errors"' in html
    found = re.search(rf'<ul class="field-errors" id="{field_id}-errors">(.*?)</ul>', html, re.S)
    assert found is not None
    return visible_text(found.group(1))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"email": "ed@example.com"},
            "email",
            "A staff account for ed@example.com already exists.",
        ),
        (
            {"email": "ED@example.COM"},
            "email",
            "A staff account for ed@example.com already exists.",
        ),
        ({"email": "not-an-email"}, "email", "Enter an email address like name@example.com."),
        ({"email": ""}, "email", "Enter the email address."),
        ({"password": "short", "confirm": "short"}, "password", "at least 12 characters"),
        ({"password": "p" * 1025, "confirm": "p" * 1025}, "password", "at most 1,024 characters"),
        ({"confirm": "something else entirely"}, "confirm", "not the same"),
        ({"role": "superuser"}, "role", "Not a valid choice"),
    ],
)
def test_adding_refuses_bad_input_with_a_field_message(
    client: FlaskClient,
    db: SQLAlchemy,
    owner: StaffUser,
    make_staff: MakeStaff,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    make_staff(OTHER, StaffRole.EDITOR)
    form = {"email": "x@example.com", "role": "editor", "password": NEW_PASSWORD}
    form |= {"confirm": form["password"]} | data
    response = _post(client, "/admin/staff/new", "/admin/staff/new", **form)
    assert response.status_code == 400
    assert "The account was not added" in visible_text(response)
    assert message in _field_errors(response, field)
    if form["email"]:  # what was typed is kept (passwords are never sent back)
        assert f'value="{form["email"].strip()}"' in response.get_data(as_text=True)
    assert NEW_PASSWORD not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffUser)) == 2
    assert _audits(db) == []


def test_an_owner_changes_a_role(
    client: FlaskClient, db: SQLAlchemy, owner: StaffUser, make_staff: MakeStaff
) -> None:
    ed = make_staff(OTHER, StaffRole.EDITOR)
    ed_client = _signed_in_client(client, OTHER)
    assert ed_client.get("/admin/staff/").status_code == 403

    response = _act(client, ed.id, "role", role="owner")
    assert response.status_code == 303
    assert f"{OTHER} is now owner." in visible_text(client.get(f"/admin/staff/{ed.id}"))
    assert _fresh(db, OTHER).role == StaffRole.OWNER
    # The session stays, and the new role applies at once.
    assert ed_client.get("/admin/staff/").status_code == 200
    entry = _audits(db)[-1]
    assert (entry.action, entry.before, entry.after) == (
        "staff.role",
        {"role": "editor"},
        {"role": "owner"},
    )


def test_deactivating_ends_the_accounts_sessions_and_sign_in(
    client: FlaskClient, db: SQLAlchemy, owner: StaffUser, make_staff: MakeStaff
) -> None:
    ed = make_staff(OTHER, StaffRole.EDITOR)
    ed_client = _signed_in_client(client, OTHER)

    response = _act(client, ed.id, "deactivate")
    assert response.status_code == 303
    assert "is deactivated" in visible_text(client.get(f"/admin/staff/{ed.id}"))
    assert _fresh(db, OTHER).active is False
    assert _is_signed_out(ed_client)
    assert sign_in(client.application.test_client(), OTHER)[0] == 400
    entry = _audits(db)[-1]
    assert (entry.action, entry.entity_id, entry.before, entry.after) == (
        "staff.deactivate",
        str(ed.id),
        {"active": True},
        {"active": False},
    )
    # The owner is still signed in.
    assert client.get("/admin/staff/").status_code == 200

    assert _act(client, ed.id, "reactivate").status_code == 303
    assert _fresh(db, OTHER).active is True
    _signed_in_client(client, OTHER)
    assert [e.action for e in _audits(db)] == ["staff.deactivate", "staff.reactivate"]


def test_unlocking_clears_a_lockout(
    client: FlaskClient, db: SQLAlchemy, owner: StaffUser, make_staff: MakeStaff
) -> None:
    make_staff(OTHER, StaffRole.EDITOR)
    stranger = client.application.test_client()
    for _ in range(MAX_FAILED_LOGINS):
        sign_in(stranger, OTHER, "wrong password, again")
    ed = _fresh(db, OTHER)
    assert ed.locked_until is not None
    assert sign_in(stranger, OTHER)[0] == 400  # the right password is locked out too
    assert "Locked until" in visible_text(client.get("/admin/staff/"))

    response = _act(client, ed.id, "unlock")
    assert response.status_code == 303
    assert f"{OTHER} can sign in again." in visible_text(client.get(f"/admin/staff/{ed.id}"))
    ed = _fresh(db, OTHER)
    assert (ed.locked_until, ed.failed_logins) == (None, 0)
    _signed_in_client(client, OTHER)
    entry = _audits(db)[-1]
    assert entry.action == "staff.unlock"
    assert entry.after == {"locked_until": None}
    assert entry.before is not None
    assert entry.before["locked_until"]

    again = _act(client, ed.id, "unlock")
    assert again.status_code == 400
    assert f"{OTHER} is not locked out." in visible_text(again)


def test_setting_a_password_ends_the_accounts_sessions(
    client: FlaskClient, db: SQLAlchemy, owner: StaffUser, make_staff: MakeStaff
) -> None:
    ed = make_staff(OTHER, StaffRole.EDITOR)
    old_hash = ed.password_hash
    ed_client = _signed_in_client(client, OTHER)

    response = _act(client, ed.id, "password", password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert response.status_code == 303
    assert "has a new password" in visible_text(client.get(f"/admin/staff/{ed.id}"))
    assert _is_signed_out(ed_client)
    assert sign_in(client.application.test_client(), OTHER)[0] == 400  # the old password
    _signed_in_client(client, OTHER, NEW_PASSWORD)

    entry = _audits(db)[-1]
    assert (entry.action, entry.before, entry.after) == ("staff.password", None, None)
    new_hash = _fresh(db, OTHER).password_hash
    for secret in (NEW_PASSWORD, old_hash, new_hash):
        assert secret not in entry.summary


def test_an_owner_setting_their_own_password_stays_signed_in(
    client: FlaskClient, db: SQLAlchemy, owner: StaffUser
) -> None:
    elsewhere = _signed_in_client(client, OWNER)
    response = _act(client, owner.id, "password", password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert response.status_code == 303
    assert client.get("/admin/staff/").status_code == 200
    assert _is_signed_out(elsewhere)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password": "short", "confirm": "short"}, "at least 12 characters"),
        ({"password": NEW_PASSWORD, "confirm": "different password"}, "not the same"),
        ({"password": "", "confirm": ""}, "Enter a password."),
    ],
)
def test_a_bad_new_password_is_refused(
    client: FlaskClient,
    db: SQLAlchemy,
    owner: StaffUser,
    make_staff: MakeStaff,
    data: dict[str, str],
    message: str,
) -> None:
    ed = make_staff(OTHER, StaffRole.EDITOR)
    old_hash = ed.password_hash
    response = _act(client, ed.id, "password", **data)
    assert response.status_code == 400
    text = visible_text(response)
    assert "The password was not changed" in text
    assert message in text
    assert _fresh(db, OTHER).password_hash == old_hash
    assert _audits(db) == []


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("role", {"role": "editor"}, "You cannot take the owner role from yourself"),
        ("deactivate", {}, "You cannot deactivate your own account"),
    ],
)
def test_an_owner_cannot_demote_or_deactivate_themselves(
    client: FlaskClient,
    db: SQLAlchemy,
    owner: StaffUser,
    make_staff: MakeStaff,
    action: str,
    data: dict[str, str],
    message: str,
) -> None:
    make_staff("second.owner@example.com", StaffRole.OWNER)  # not the last owner
    response = _act(client, owner.id, action, **data)
    assert response.status_code == 400
    assert message in visible_text(response)
    me = _fresh(db, OWNER)
    assert (me.role, me.active) == (StaffRole.OWNER, True)
    assert _audits(db) == []


@pytest.mark.parametrize(("action", "data"), [("role", {"role": "fulfilment"}), ("deactivate", {})])
def test_the_last_active_owner_is_never_demoted_or_deactivated(
    client: FlaskClient,
    db: SQLAlchemy,
    owner: StaffUser,
    make_staff: MakeStaff,
    action: str,
    data: dict[str, str],
) -> None:
    # A second owner who signs in, then has the first owner deactivated... is impossible
    # as well: build the case where the only *active* owner is someone else.
    other = make_staff("second.owner@example.com", StaffRole.OWNER)
    other_client = _signed_in_client(client, "second.owner@example.com")
    assert _act(other_client, owner.id, "deactivate").status_code == 303  # two owners: fine

    # Now `other` is the last active owner; the deactivated first owner is no help.
    response = _act(other_client, other.id, action, **data)
    assert response.status_code == 400
    target = _fresh(db, "second.owner@example.com")
    assert (target.role, target.active) == (StaffRole.OWNER, True)
    assert [e.action for e in _audits(db)] == ["staff.deactivate"]


def test_the_last_active_owner_rule_holds_in_the_service(db: SQLAlchemy) -> None:
    from shop.accounts.services import create_staff, set_staff_active, set_staff_role
    from shop.core.errors import DomainError

    only = create_staff(OWNER, PASSWORD, StaffRole.OWNER)
    helper = create_staff("helper@example.com", PASSWORD, StaffRole.EDITOR)
    db.session.commit()
    # Acting as someone else (e.g. a script), the rule still holds.
    with pytest.raises(DomainError, match="last active owner"):
        set_staff_role(helper.id, only.id, StaffRole.EDITOR)
    with pytest.raises(DomainError, match="last active owner"):
        set_staff_active(helper.id, only.id, False)
    db.session.rollback()
    assert _fresh(db, OWNER).role == StaffRole.OWNER


def test_an_unknown_account_is_404(client: FlaskClient, owner: StaffUser) -> None:
    assert client.get("/admin/staff/999999").status_code == 404
    token = csrf_token(client.get("/admin/staff/new"))
    response = client.post("/admin/staff/999999/unlock", data={"csrf_token": token})
    assert response.status_code == 404


def test_posts_without_csrf_change_nothing(
    client: FlaskClient, db: SQLAlchemy, owner: StaffUser, make_staff: MakeStaff
) -> None:
    ed = make_staff(OTHER, StaffRole.EDITOR)
    assert client.post(f"/admin/staff/{ed.id}/deactivate").status_code == 400
    assert client.post(f"/admin/staff/{ed.id}/role", data={"role": "owner"}).status_code == 400
    ed = _fresh(db, OTHER)
    assert (ed.role, ed.active) == (StaffRole.EDITOR, True)
    assert _audits(db) == []
