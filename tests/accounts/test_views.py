"""The staff pages as staff meet them: sign-in, sign-out, password, access by role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole, StaffUser
from tests.fixtures_staff import PASSWORD, sign_in
from tests.html import csrf_token, visible_text

MakeStaff = Callable[..., StaffUser]


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_sign_in_renews_the_session_and_opens_the_staff_home(
    client: FlaskClient, make_staff: MakeStaff
) -> None:
    make_staff("ann@example.com", StaffRole.EDITOR)
    page = client.get("/admin/login")
    assert page.status_code == 200
    assert '<meta name="robots" content="noindex">' in page.get_data(as_text=True)
    before = _session_cookie(client)  # the CSRF token lives in the session already

    status, location = sign_in(client, "Ann@Example.com")

    assert (status, location) == (303, "/admin/")
    assert _session_cookie(client) != before
    home = client.get("/admin/")  # the staff home is the dashboard
    assert home.status_code == 200
    assert "Sales, last 30 days" in visible_text(home)
    assert "Signed in as ann@example.com (editor)" in visible_text(home)


def test_a_failed_sign_in_says_so_without_naming_the_problem(
    client: FlaskClient, make_staff: MakeStaff
) -> None:
    make_staff("ann@example.com")
    wrong = client.post(
        "/admin/login",
        data={
            "csrf_token": csrf_token(client.get("/admin/login")),
            "email": "ann@example.com",
            "password": "not the password",
        },
    )
    unknown = client.post(
        "/admin/login",
        data={
            "csrf_token": csrf_token(client.get("/admin/login")),
            "email": "bob@example.com",
            "password": "not the password",
        },
    )
    assert wrong.status_code == unknown.status_code == 400
    message = "That email and password do not match a staff account."
    assert visible_text(wrong).count(message) == 1  # said once, not once per error list
    assert visible_text(unknown).count(message) == 1
    assert "not the password" not in wrong.get_data(as_text=True)
    assert client.get("/admin/dashboard").status_code == 302


def test_the_staff_home_needs_sign_in_and_then_returns_there(
    client: FlaskClient, make_staff: MakeStaff
) -> None:
    make_staff("ann@example.com")
    response = client.get("/admin/password")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login?next=%2Fadmin%2Fpassword"
    assert "Please sign in" in visible_text(client.get(response.headers["Location"]))

    assert sign_in(client, "ann@example.com", next_url="/admin/password") == (
        303,
        "/admin/password",
    )


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/admin/",
        "//evil.example/admin/",
        "/cart",
        "/admin/../cart",
        "/admin/%2e%2e/cart",
    ],
)
def test_a_next_outside_the_admin_is_ignored(
    client: FlaskClient, make_staff: MakeStaff, next_url: str
) -> None:
    make_staff("ann@example.com")
    assert sign_in(client, "ann@example.com", next_url=next_url) == (303, "/admin/")


def test_sign_out_needs_a_post_with_its_csrf_token(
    client: FlaskClient, make_staff: MakeStaff
) -> None:
    make_staff("ann@example.com")
    sign_in(client, "ann@example.com")
    home = client.get("/admin/dashboard")

    assert client.get("/admin/logout").status_code == 405
    assert client.post("/admin/logout").status_code == 400  # no CSRF token
    assert client.get("/admin/dashboard").status_code == 200

    response = client.post("/admin/logout", data={"csrf_token": csrf_token(home)})
    assert (response.status_code, response.headers["Location"]) == (303, "/admin/login")
    assert client.get("/admin/dashboard").status_code == 302


def _change(client: FlaskClient, current: str, new: str, again: str | None = None) -> int:
    token = csrf_token(client.get("/admin/password"))
    response = client.post(
        "/admin/password",
        data={
            "csrf_token": token,
            "current_password": current,
            "new_password": new,
            "confirm_password": new if again is None else again,
        },
    )
    return response.status_code


def test_password_change(client: FlaskClient, make_staff: MakeStaff) -> None:
    make_staff("ann@example.com")
    sign_in(client, "ann@example.com")
    other_device = client.application.test_client()
    sign_in(other_device, "ann@example.com")

    assert _change(client, "not my password", "a brand new password") == 400
    assert _change(client, PASSWORD, "too short") == 400
    assert _change(client, PASSWORD, "a brand new password", "something else entirely") == 400
    assert _change(client, PASSWORD, "a brand new password") == 303

    assert client.get("/admin/dashboard").status_code == 200  # this session carries on
    assert other_device.get("/admin/dashboard").status_code == 302  # other sessions are signed out
    fresh = client.application.test_client()
    assert sign_in(fresh, "ann@example.com")[0] == 400
    assert sign_in(fresh, "ann@example.com", "a brand new password")[0] == 303


@pytest.fixture
def orders_page(app: Flask) -> str:
    """A test-only page that only fulfilment staff (and owners) may open."""

    @role_required(StaffRole.FULFILMENT)
    def orders() -> str:
        return "orders for fulfilment"

    app.add_url_rule("/admin/test-orders", endpoint="test_orders", view_func=orders)
    return "/admin/test-orders"


@pytest.mark.parametrize(
    ("role", "status"),
    [(StaffRole.FULFILMENT, 200), (StaffRole.OWNER, 200), (StaffRole.EDITOR, 403)],
)
def test_role_required(
    client: FlaskClient, make_staff: MakeStaff, orders_page: str, role: StaffRole, status: int
) -> None:
    make_staff("ann@example.com", role)
    assert client.get(orders_page).status_code == 302
    sign_in(client, "ann@example.com")
    response = client.get(orders_page)
    assert response.status_code == status
    if status == 403:
        assert "You cannot open this page" in visible_text(response)


def test_sign_in_posts_are_rate_limited_per_address(client: FlaskClient) -> None:
    token = csrf_token(client.get("/admin/login"))
    data = {"csrf_token": token, "email": "bob@example.com", "password": "guess number"}
    statuses = [client.post("/admin/login", data=data).status_code for _ in range(11)]
    assert statuses == [400] * 10 + [429]
    assert "Too many requests" in visible_text(client.post("/admin/login", data=data))
    assert client.get("/admin/login").status_code == 200  # reading the page is not limited
