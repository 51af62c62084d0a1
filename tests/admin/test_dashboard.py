"""The staff dashboard (sales chart, what needs doing) and the owner's audit log."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.admin import audit
from shop.admin.charts import sales_chart_svg
from shop.core.models import utcnow
from shop.links.models import OrderAttribution
from shop.orders.models import Order
from shop.orders.services import (
    LineSnapshot,
    PaymentFacts,
    create_pending_order,
    fulfil_checkout,
)
from tests.factories import make_answer, make_product, make_question
from tests.fixtures_staff import sign_in
from tests.html import injected_markup, visible_text
from tests.sql import counted_selects

MakeStaff = Callable[..., StaffUser]
XSS = '<script>alert("x")</script><img src=x onerror="alert(1)">'
OWNER = "olive@example.com"


def _signed_in(client: FlaskClient, make_staff: MakeStaff, role: StaffRole) -> StaffUser:
    email = f"{role.value}@example.com"
    user = make_staff(email, role)
    assert sign_in(client, email)[0] == 303
    return user


def _paid_order(
    db: SQLAlchemy, price: int = 2800, quantity: int = 2, days_ago: int = 0, stock: int = 50
) -> Order:
    variant = make_product("Barrier Cream", variants=[("50 ml", price, stock)]).variants[0]
    order = create_pending_order(
        [LineSnapshot(variant.id, "Barrier Cream", "50 ml", variant.sku, price, quantity)],
        "USD",
        cart_id=None,
        email="buyer@example.com",
    )
    db.session.commit()
    facts = PaymentFacts(
        session_id=f"cs_test_{order.id}",
        paid=True,
        status="complete",
        payment_status="paid",
        amount_total=order.total,
        currency="USD",
        email="buyer@example.com",
        payment_intent_id=f"pi_{order.id}",
    )
    assert fulfil_checkout(order, facts)
    if days_ago:
        order.paid_at = datetime.combine(
            utcnow().date() - timedelta(days=days_ago), time(12), tzinfo=UTC
        )
    db.session.commit()
    return order


def _chart(html: str) -> str:
    found = re.search(r"<svg.*?</svg>", html, re.S)
    assert found is not None, "the page has no chart"
    return found.group(0)


def _bar_heights(svg: str) -> list[float]:
    return [float(h) for h in re.findall(r'<rect class="bar"[^>]*height="([0-9.]+)"', svg)]


def test_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    for url in ("/admin/dashboard", "/admin/audit"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/login?next=")


@pytest.mark.parametrize(
    ("role", "audit_status"),
    [(StaffRole.EDITOR, 403), (StaffRole.FULFILMENT, 403), (StaffRole.OWNER, 200)],
)
def test_who_may_open_the_dashboard_and_the_audit_log(
    client: FlaskClient, make_staff: MakeStaff, role: StaffRole, audit_status: int
) -> None:
    _signed_in(client, make_staff, role)
    page = client.get("/admin/dashboard")
    assert page.status_code == 200
    assert "Dashboard" in visible_text(page)
    assert client.get("/admin/audit").status_code == audit_status
    home = visible_text(client.get("/admin/dashboard"))
    assert ("Audit log" in home) is (role is StaffRole.OWNER)


def test_the_chart_draws_thirty_bars_with_the_total(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    older = _paid_order(db, price=1000, quantity=1, days_ago=3)  # 1000 + 695 shipping
    newer = _paid_order(db, price=3000, quantity=3)  # 9000, free shipping
    total = older.total + newer.total
    _signed_in(client, make_staff, StaffRole.EDITOR)

    svg = _chart(client.get("/admin/dashboard").get_data(as_text=True))
    heights = _bar_heights(svg)
    assert len(heights) == 30
    assert len([h for h in heights if h > 0]) == 2
    assert heights[-1] > heights[-4] > 0
    assert 'role="img"' in svg
    assert re.search(r'width="\d+" height="\d+"', svg)
    title = re.search(r'<title id="sales-chart-title">(.*?)</title>', svg)
    assert title is not None
    assert f"${total / 100:,.2f}" in title.group(1)
    assert "<desc" in svg
    assert "No sales yet" not in svg


def test_a_refund_is_subtracted(client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff) -> None:
    order = _paid_order(db, price=3000, quantity=3)
    order.refunded_amount = 2500
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.EDITOR)

    svg = _chart(client.get("/admin/dashboard").get_data(as_text=True))
    assert "$65.00" in re.findall(r'<title id="sales-chart-title">(.*?)</title>', svg)[0]


def test_no_orders_draws_an_empty_chart(client: FlaskClient, make_staff: MakeStaff) -> None:
    _signed_in(client, make_staff, StaffRole.FULFILMENT)
    svg = _chart(client.get("/admin/dashboard").get_data(as_text=True))
    assert _bar_heights(svg) == [0.0] * 30
    assert "No sales yet" in svg


def test_the_chart_function_draws_the_days_it_is_given(app: Flask) -> None:
    with app.app_context():
        svg = str(sales_chart_svg([], "USD"))
        assert "No sales yet" in svg
        assert _bar_heights(svg) == []
        days = [(date(2026, 1, 1) + timedelta(days=n), n * 100) for n in range(30)]
        svg = str(sales_chart_svg(days, "USD"))
        assert len(_bar_heights(svg)) == 30
        assert "$435.00" in svg  # the total
        assert "$29.00" in svg  # the axis maximum


def test_the_dashboard_lists_what_needs_doing(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    order = _paid_order(db)
    number, order_id = order.number, order.id
    assert number is not None
    question = make_question(question="Is retinol safe in summer?")
    low = make_product("Low Lotion", variants=[("30 ml", 1000, 2)]).variants[0].sku
    plenty = make_product("Plenty Balm", variants=[("30 ml", 1000, 80)]).variants[0].sku
    question_id = question.id
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.OWNER)

    page = client.get("/admin/dashboard")
    if "admin.orders.detail" in client.application.view_functions:
        assert f'href="/admin/orders/{order_id}"' in page.get_data(as_text=True)
    text = visible_text(page)
    waiting = text.split("Waiting for fulfilment (1)", 1)[1].split("New reader questions", 1)[0]
    assert number in waiting
    questions = text.split("New reader questions (1)", 1)[1].split("Low stock", 1)[0]
    assert f"Question #{question_id}" in questions
    assert "Is retinol safe in summer?" in questions
    stock = text.split("Low stock", 1)[1].split("Top answers", 1)[0]
    assert low in stock
    assert plenty not in stock


def test_the_dashboard_costs_a_fixed_number_of_queries(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    _paid_order(db)
    make_question()
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.OWNER)
    with counted_selects(db) as few:
        assert client.get("/admin/dashboard").status_code == 200

    for n in range(4):
        _paid_order(db, days_ago=n + 1, stock=3)
        make_question(email=f"reader{n}@example.com")
    db.session.commit()
    with counted_selects(db) as many:
        assert client.get("/admin/dashboard").status_code == 200
    assert len(many) == len(few)
    assert len(few) == 8  # staff user, sales, counts, three lists, answer figures (2)


def _entries(db: SQLAlchemy, actor: StaffUser) -> None:
    audit.record(
        actor.id, actor.email, "stock.adjust", "variant", 7, "SKU-7: +3 (restock)",
        before={"on_hand": 2}, after={"on_hand": 5},
    )  # fmt: skip
    audit.record(None, "ed@example.com", "question.status", "reader_question", 12, "spam")
    audit.record(None, "ed@example.com", "stock.adjust", "variant", 8, "SKU-8: -1 (damaged)")
    db.session.commit()


def test_the_audit_log_lists_entries_newest_first(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    owner = _signed_in(client, make_staff, StaffRole.OWNER)
    _entries(db, owner)

    text = visible_text(client.get("/admin/audit"))
    assert "3 entries" in text
    assert text.index("SKU-8") < text.index("spam") < text.index("SKU-7")
    assert "variant #7" in text
    assert '{"on_hand": 2} → {"on_hand": 5}' in text
    assert owner.email in text


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("actor=ED@example.com", ["SKU-8", "spam"], ["SKU-7"]),
        ("entity=reader_question", ["spam"], ["SKU-7", "SKU-8"]),
        ("action=stock.adjust", ["SKU-7", "SKU-8"], ["spam"]),
        ("actor=ed@example.com&entity=variant", ["SKU-8"], ["SKU-7", "spam"]),
        ("action=order.refund", [], ["SKU-7", "SKU-8", "spam"]),
    ],
)
def test_the_audit_log_filters(
    client: FlaskClient,
    db: SQLAlchemy,
    make_staff: MakeStaff,
    query: str,
    shown: list[str],
    hidden: list[str],
) -> None:
    _entries(db, _signed_in(client, make_staff, StaffRole.OWNER))
    page = client.get(f"/admin/audit?{query}")
    assert page.status_code == 200
    text = visible_text(page).split("Audit log", 2)[-1]
    for needle in shown:
        assert needle in text
    for needle in hidden:
        assert needle not in text


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=x", "page=10001", "entity=Variant", "entity=" + "a" * 41,
     "action=<b>", "actor=" + "a" * 255, "actor=a%01b"],
)  # fmt: skip
def test_bad_audit_parameters_are_400(
    client: FlaskClient, make_staff: MakeStaff, query: str
) -> None:
    _signed_in(client, make_staff, StaffRole.OWNER)
    assert client.get(f"/admin/audit?{query}").status_code == 400


def test_the_audit_log_pages_by_100(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    owner = _signed_in(client, make_staff, StaffRole.OWNER)
    for n in range(101):
        audit.record(owner.id, owner.email, "stock.adjust", "variant", n, f"entry-{n}-end")
    db.session.commit()
    first = visible_text(client.get("/admin/audit"))
    assert "entry-100-end" in first
    assert "entry-0-end" not in first
    assert "Page 1 of 2" in first
    second = visible_text(client.get("/admin/audit?page=2"))
    assert "entry-0-end" in second
    assert "entry-100-end" not in second
    assert client.get("/admin/audit?page=3").status_code == 404


def test_the_audit_log_escapes_what_staff_wrote(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    owner = _signed_in(client, make_staff, StaffRole.OWNER)
    audit.record(owner.id, owner.email, "stock.adjust", "variant", 1, XSS, after={"note": XSS})
    db.session.commit()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert injected_markup(html) == []
    assert "&lt;script&gt;" in html
    assert XSS in visible_text(html)


def test_reading_the_dashboard_changes_nothing(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    _paid_order(db)
    _signed_in(client, make_staff, StaffRole.OWNER)
    before = db.session.scalars(sa.select(Order.status)).all()
    client.get("/admin/dashboard")
    client.get("/admin/audit")
    db.session.expire_all()
    assert db.session.scalars(sa.select(Order.status)).all() == before


def test_top_answers_are_ranked_by_attributed_revenue(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    small = make_answer("Does niacinamide help redness?")
    big = make_answer("Which sunscreen for oily skin?")
    for answer, price in ((small, 1000), (big, 4000)):
        order = _paid_order(db, price=price, quantity=1)
        db.session.add(OrderAttribution(order_id=order.id, answer_id=answer.id, role="source"))
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.EDITOR)

    text = visible_text(client.get("/admin/dashboard")).split("Top answers", 1)[1]
    assert text.index("Which sunscreen for oily skin?") < text.index(
        "Does niacinamide help redness?"
    )
    assert "$46.95" in text  # 40.00 plus shipping


@pytest.mark.parametrize("role", [StaffRole.OWNER, StaffRole.EDITOR, StaffRole.FULFILMENT])
def test_the_staff_home_and_signing_in_land_on_the_dashboard(
    client: FlaskClient, make_staff: MakeStaff, role: StaffRole
) -> None:
    make_staff("lander@example.com", role)
    assert sign_in(client, "lander@example.com") == (303, "/admin/")
    for path in ("/admin/", "/admin/dashboard"):
        home = client.get(path)
        assert home.status_code == 200
        text = visible_text(home)
        assert "Dashboard" in text
        assert "Sales, last 30 days" in text
        assert "Waiting for fulfilment" in text
        html = home.get_data(as_text=True)
        nav = re.search(r'<nav class="admin-nav" aria-label="Admin">(.*?)</nav>', html, re.S)
        assert nav is not None
        assert re.search(
            r'href="/admin/dashboard" aria-current="(page|true)">Dashboard', nav.group(1)
        )
