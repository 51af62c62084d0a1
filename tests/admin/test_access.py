"""Every admin URL, walked as a visitor and as each staff role.

The URLs come from the application's own URL map, so a screen added later is walked too,
and the test fails until its access rule is written down in ACCESS below.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from werkzeug.routing import Rule

from shop.accounts.models import StaffRole, StaffUser
from shop.admin.models import AuditEntry
from shop.catalog.models import Product
from shop.editorial.models import Answer
from shop.inventory.models import StockRecord
from shop.links.services import add_link
from shop.orders.services import LineSnapshot, create_pending_order
from shop.pages.services import ensure_standard_pages
from tests.factories import make_answer, make_product, make_question
from tests.fixtures_staff import sign_in
from tests.html import csrf_token, visible_text

OWNER, EDITOR, FULFILMENT = StaffRole.OWNER, StaffRole.EDITOR, StaffRole.FULFILMENT
STAFF = (OWNER, EDITOR, FULFILMENT)
PUBLIC = "public"

# Who may use each part of the admin: the longest matching prefix wins. Owners may use all.
ACCESS: dict[str, Any] = {
    "/admin/login": PUBLIC,
    "/admin/logout": PUBLIC,  # signing out is harmless for anyone
    "/admin/": STAFF,
    "/admin/password": STAFF,
    "/admin/dashboard": STAFF,
    "/admin/audit": (OWNER,),
    "/admin/staff": (OWNER,),
    "/admin/stock": (FULFILMENT,),
    "/admin/orders": (FULFILMENT,),
    "/admin/questions": (EDITOR,),
    "/admin/products": (EDITOR,),
    "/admin/preview": (EDITOR,),
    "/admin/answers": (EDITOR,),
    "/admin/links": (EDITOR,),
    "/admin/pages": (EDITOR,),
    "/admin/promotions": STAFF,  # all staff see the list; making one is the owner's (below)
    "/admin/promotions/WELCOME10": (OWNER,),  # ending a code
    "/admin/data": STAFF,
    "/admin/data/static": PUBLIC,  # Flask-Admin's bundled CSS and JavaScript
    "/admin/data/products": (EDITOR,),
    "/admin/data/answers": (EDITOR,),
    "/admin/data/questions": (EDITOR,),
    "/admin/data/brands": (EDITOR,),
    "/admin/data/categories": (EDITOR,),
    "/admin/data/concerns": (EDITOR,),
    "/admin/data/topics": (EDITOR,),
    "/admin/data/doctors": (EDITOR,),
    "/admin/data/variants": (FULFILMENT,),
    "/admin/data/orders": (FULFILMENT,),
}


def allowed_roles(path: str) -> Any:
    """The roles that may use `path` (or PUBLIC), by the longest matching prefix."""
    matches = [p for p in ACCESS if path == p or path.startswith(p.rstrip("/") + "/")]
    if not matches:
        pytest.fail(f"{path} has no access rule in ACCESS: add one.")
    return ACCESS[max(matches, key=len)]


# Pages that need a query string to show anything (filled from the same ids).
QUERIES = {
    "/admin/links/pick/products": "?q=barrier&answer_id={answer_id}",
    "/admin/links/pick/answers": "?q=eczema&product_id={product_id}",
}


@dataclass(frozen=True)
class Target:
    rule: str
    method: str
    url: str


def admin_targets(app: Flask, ids: dict[str, Any]) -> list[Target]:
    """Every admin rule and method, with its URL filled from real rows."""
    targets = []
    rule: Rule
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        missing = set(rule.arguments) - ids.keys()
        if missing:
            pytest.fail(f"{rule.rule}: no test value for {sorted(missing)}; add it to ids.")
        url = rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)
        assert url is not None
        path = url[1] + QUERIES.get(rule.rule, "").format(**ids)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            targets.append(Target(rule.rule, method, path))
    return targets


@pytest.fixture
def world(db: SQLAlchemy, make_staff: Callable[..., StaffUser]) -> dict[str, Any]:
    """One row of everything an admin URL can point at."""
    product = make_product("Barrier Cream", variants=[("50 ml", 2800, 10)])
    answer = make_answer("Does a barrier cream help eczema?")
    link = add_link(answer.id, product.id, note="A plain, fragrance-free cream.")
    question = make_question()
    variant = product.variants[0]
    order = create_pending_order(
        [LineSnapshot(variant.id, product.name, "50 ml", variant.sku, 2800, 1)],
        "USD",
        cart_id=None,
        email="buyer@example.com",
    )
    colleague = make_staff("colleague@example.com", EDITOR)
    ensure_standard_pages()
    db.session.commit()
    return {
        "product_id": product.id,
        "variant_id": variant.id,
        "image_id": product.images[0].id,
        "answer_id": answer.id,
        "question_id": question.id,
        "order_id": order.id,
        "user_id": colleague.id,
        "staff_id": colleague.id,
        "link_id": link.link_id,
        "direction": "up",
        "export_type": "csv",
        "filename": "admin/css/bootstrap4/admin.css",
        "slug": "contact",
        "code": "WELCOME10",
    }


def state(db: SQLAlchemy) -> tuple[Any, ...]:
    """What a staff write would change: audit rows, record versions, stock, staff."""
    db.session.rollback()
    snapshot = (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
        db.session.scalar(sa.select(sa.func.sum(Product.version))),
        db.session.scalar(sa.select(sa.func.sum(Answer.version))),
        db.session.scalar(sa.select(sa.func.sum(StockRecord.on_hand))),
        tuple(db.session.execute(sa.select(StaffUser.role, StaffUser.active)).all()),
    )
    db.session.rollback()
    return snapshot


def _is_login_redirect(response: Any) -> bool:
    return response.status_code in (302, 303) and "/admin/login" in response.headers.get(
        "Location", ""
    )


@pytest.mark.parametrize("role", [None, OWNER, EDITOR, FULFILMENT], ids=str)
def test_every_admin_url_answers_each_role_as_its_access_rule_says(
    app: Flask,
    db: SQLAlchemy,
    client: FlaskClient,
    make_staff: Callable[..., StaffUser],
    world: dict[str, Any],
    role: StaffRole | None,
) -> None:
    if role is not None:
        make_staff("walker@example.com", role)
        assert sign_in(client, "walker@example.com")[0] == 303
    token = csrf_token(client.get("/admin/password" if role else "/admin/login"))
    before = state(db)
    problems = []
    targets = admin_targets(app, world)
    # Signing out ends the walk, so it goes last.
    targets.sort(key=lambda t: t.rule == "/admin/logout")
    for target in targets:
        allowed = allowed_roles(target.url)
        if target.method == "GET":
            response = client.get(target.url)
        else:
            if role is not None and allowed != PUBLIC and role in (*allowed, OWNER):
                # The right role posting an empty form: validated, never a crash.
                response = client.post(target.url, data={"csrf_token": token})
                response.close()
                if response.status_code >= 500:
                    problems.append(f"{target}: {response.status_code} on an empty form")
                continue
            response = client.post(target.url, data={"csrf_token": token})
        status = response.status_code
        response.close()  # static files stream from an open file
        if allowed == PUBLIC:
            ok = status < 500
        elif role is None:
            ok = _is_login_redirect(response)
        elif role in allowed or role is OWNER:
            ok = target.method != "GET" or (status < 400 and not _is_login_redirect(response))
        else:
            ok = status == 403
        if not ok:
            problems.append(f"{target.method} {target.url} as {role}: {status}")
    assert not problems, "\n".join(problems)
    if role is None:
        assert state(db) == before, "a visitor changed something"


@pytest.mark.parametrize("role", [OWNER, EDITOR, FULFILMENT], ids=str)
def test_opening_every_admin_page_changes_nothing(
    app: Flask,
    db: SQLAlchemy,
    client: FlaskClient,
    make_staff: Callable[..., StaffUser],
    world: dict[str, Any],
    role: StaffRole,
) -> None:
    make_staff("looker@example.com", role)
    assert sign_in(client, "looker@example.com")[0] == 303
    before = state(db)
    opened = 0
    for target in admin_targets(app, world):
        if target.method == "GET" and target.rule != "/admin/logout":
            client.get(target.url).close()
            opened += 1
    assert opened > 20
    assert state(db) == before


# One admin: one navigation entry per thing, the admin's own header ---------------------------

NAV = {
    OWNER: [
        "Dashboard", "Orders", "Stock", "Products", "Answers", "Reader questions", "Links",
        "Promotions", "Pages", "Reference data", "Staff", "Audit log",
    ],
    EDITOR: [
        "Dashboard", "Products", "Answers", "Reader questions", "Links", "Promotions", "Pages",
        "Reference data",
    ],
    FULFILMENT: ["Dashboard", "Orders", "Stock", "Promotions"],
}  # fmt: skip
# A page of each kind: hand-made screens and Flask-Admin lists, for each role's own sections.
PAGES = {
    OWNER: ["/admin/dashboard", "/admin/orders/", "/admin/stock/", "/admin/data/products/",
            "/admin/questions/", "/admin/data/brands/", "/admin/staff/", "/admin/audit",
            "/admin/password"],
    EDITOR: ["/admin/dashboard", "/admin/data/answers/", "/admin/answers/new",
             "/admin/links/", "/admin/data/questions/", "/admin/products/new"],
    FULFILMENT: ["/admin/dashboard", "/admin/orders/", "/admin/stock/", "/admin/stock/bulk",
                 "/admin/orders/{order_id}", "/admin/stock/{variant_id}"],
}  # fmt: skip


def _nav(html: str) -> list[str]:
    found = re.search(r'<nav class="admin-nav" aria-label="Admin">(.*?)</nav>', html, re.S)
    assert found is not None, "no admin navigation"
    return [visible_text(item) for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


@pytest.mark.parametrize("role", [OWNER, EDITOR, FULFILMENT], ids=str)
def test_the_navigation_has_one_entry_per_section_on_every_admin_page(
    client: FlaskClient,
    make_staff: Callable[..., StaffUser],
    world: dict[str, Any],
    role: StaffRole,
) -> None:
    make_staff("navigator@example.com", role)
    assert sign_in(client, "navigator@example.com")[0] == 303
    for path in PAGES[role]:
        page = client.get(path.format(**world))
        assert page.status_code == 200, path
        entries = _nav(page.get_data(as_text=True))
        assert entries == NAV[role], path
        for pair in ("Order list", "Stock list", "New product", "New answer", "Staff home"):
            assert pair not in entries, path


@pytest.mark.parametrize("role", [OWNER, EDITOR, FULFILMENT], ids=str)
def test_admin_pages_have_the_admin_header_and_not_the_storefronts(
    client: FlaskClient,
    make_staff: Callable[..., StaffUser],
    world: dict[str, Any],
    role: StaffRole,
) -> None:
    make_staff("header@example.com", role)
    assert sign_in(client, "header@example.com")[0] == 303
    for path in PAGES[role]:
        html = client.get(path.format(**world)).get_data(as_text=True)
        # No storefront header: no cart, no shop search, no shop navigation or footer.
        assert 'href="/cart"' not in html, path
        assert 'action="/search"' not in html, path
        assert "Ask the doctor</a>" not in html, path
        assert 'class="site-header"' not in html, path
        header = re.search(r'<header class="admin-header">(.*?)</header>', html, re.S)
        assert header is not None, path
        text = visible_text(header.group(1))
        assert client.application.config["SHOP_NAME"] in text
        assert "View shop" in text
        assert "header@example.com" in text
        assert role.value in text
        assert '<a class="admin-view-shop" href="/">' in header.group(1)
        assert 'action="/admin/logout"' in header.group(1)
        assert "Sign out" in text


def test_signing_out_from_the_admin_header_works(
    client: FlaskClient, make_staff: Callable[..., StaffUser]
) -> None:
    make_staff("leaver@example.com", FULFILMENT)
    assert sign_in(client, "leaver@example.com")[0] == 303
    token = csrf_token(client.get("/admin/orders/"))
    response = client.post("/admin/logout", data={"csrf_token": token})
    assert response.headers["Location"] == "/admin/login"
    assert client.get("/admin/orders/").headers["Location"].startswith("/admin/login?next=")


def test_the_sign_in_page_is_the_admins_not_the_storefronts(client: FlaskClient) -> None:
    html = client.get("/admin/login").get_data(as_text=True)
    assert '<header class="admin-header">' in html
    assert 'href="/cart"' not in html
    assert 'action="/search"' not in html
    assert "Sign out" not in html  # nobody is signed in yet
