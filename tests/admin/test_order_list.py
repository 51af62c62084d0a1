"""The Orders screen's list: placed orders by default, unpaid checkouts behind the "Show"
filter, the customer's name, sorting, and the same orders as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.orders.models import OrderStatus
from shop.orders.services import (
    LineSnapshot,
    close_unpaid,
    create_pending_order,
    mark_fulfilled,
    record_refund,
)
from tests.factories import make_product, pay_order
from tests.fixtures_staff import sign_in
from tests.html import visible_text

MakeStaff = Callable[..., StaffUser]


def _order(db: SQLAlchemy, email: str, state: str, name: str | None = None) -> str:
    """An order of one cream in `state` (paid, fulfilled, refunded, pending, expired,
    cancelled); return its number."""
    variant = make_product(variants=[("50 ml", 2800, 10)]).variants[0]
    order = create_pending_order(
        [LineSnapshot(variant.id, "Cream", "50 ml", variant.sku, 2800, 1)],
        "USD",
        cart_id=None,
        email=email,
    )
    if state in ("paid", "fulfilled", "refunded"):
        pay_order(order, email, shipping_name=name)
    if state == "fulfilled":
        mark_fulfilled(order.id, "TRACK123")
    if state == "refunded":
        record_refund(order, order.total, "Refunded in full.")
    if state in ("expired", "cancelled"):
        close_unpaid(order, OrderStatus(state), "The checkout was not paid.")
    db.session.commit()
    assert order.status.value == state
    return order.number or ""


@pytest.fixture
def orders(db: SQLAlchemy) -> dict[str, str]:
    return {
        state: _order(db, f"{state}@example.com", state, f"{state.title()} Customer")
        for state in ("paid", "fulfilled", "refunded", "pending", "expired", "cancelled")
    }


@pytest.fixture
def fulfiller(client: FlaskClient, make_staff: MakeStaff) -> StaffUser:
    user = make_staff("packer@example.com", StaffRole.FULFILMENT)
    assert sign_in(client, "packer@example.com")[0] == 303
    return user


def test_the_list_shows_placed_orders_and_not_unpaid_checkouts(
    client: FlaskClient, orders: dict[str, str], fulfiller: StaffUser
) -> None:
    text = visible_text(client.get("/admin/orders/"))
    for state in ("paid", "fulfilled", "refunded"):
        assert orders[state] in text, state
    for state in ("pending", "expired", "cancelled"):
        assert orders[state] not in text, state
    assert "3 orders" in text


@pytest.mark.parametrize(
    ("show", "listed"),
    [
        ("checkouts", ("pending", "expired", "cancelled")),
        ("all", ("paid", "fulfilled", "refunded", "pending", "expired", "cancelled")),
        ("expired", ("expired",)),
        ("paid", ("paid",)),
    ],
)
def test_the_show_filter_brings_out_the_checkouts(
    client: FlaskClient,
    orders: dict[str, str],
    fulfiller: StaffUser,
    show: str,
    listed: tuple[str, ...],
) -> None:
    page = client.get(f"/admin/orders/?status={show}")
    assert page.status_code == 200
    text = visible_text(page)
    for state, number in orders.items():
        assert (number in text) == (state in listed), state
    html = page.get_data(as_text=True)
    assert f'<option value="{show}" selected>' in html


def test_each_order_shows_the_customers_name_and_search_finds_it(
    client: FlaskClient, orders: dict[str, str], fulfiller: StaffUser
) -> None:
    page = client.get("/admin/orders/")
    assert "Customer" in visible_text(page).split(orders["paid"])[0]  # the column heading
    text = visible_text(page)
    assert f"{orders['paid']}" in text
    row = text.split(orders["paid"], 1)[1][:80]
    assert "Paid Customer" in row
    found = visible_text(client.get("/admin/orders/?q=fulfilled+customer"))
    assert orders["fulfilled"] in found
    assert orders["paid"] not in found


def test_a_search_that_only_finds_a_checkout_says_where_it_is(
    client: FlaskClient, orders: dict[str, str], fulfiller: StaffUser
) -> None:
    text = visible_text(client.get("/admin/orders/?q=expired@"))
    assert orders["expired"] not in text
    assert "No orders match “expired@”." in text
    assert "1 unpaid checkout also matches “expired@”: show it" in text
    shown = client.get("/admin/orders/?status=checkouts&q=expired%40")
    assert orders["expired"] in visible_text(shown)


def test_the_list_sorts_by_a_column(
    client: FlaskClient, orders: dict[str, str], fulfiller: StaffUser
) -> None:
    def listed(query: str) -> list[str]:
        text = visible_text(client.get(f"/admin/orders/?status=all&{query}"))
        return sorted(orders, key=lambda state: text.index(orders[state]))

    assert listed("") == [  # newest first
        "cancelled", "expired", "pending", "refunded", "fulfilled", "paid",
    ]  # fmt: skip
    assert listed("sort=date&dir=asc") == [
        "paid", "fulfilled", "refunded", "pending", "expired", "cancelled",
    ]  # fmt: skip
    # Only a paid checkout has the customer's name; the others come last either way.
    assert listed("sort=customer") == [
        "fulfilled", "paid", "refunded", "pending", "expired", "cancelled",
    ]  # fmt: skip
    assert listed("sort=customer&dir=desc") == [
        "refunded", "paid", "fulfilled", "cancelled", "expired", "pending",
    ]  # fmt: skip
    for bad in ("sort=email", "dir=up", "status=shipped"):
        assert client.get(f"/admin/orders/?{bad}").status_code == 400, bad


def test_the_listed_orders_download_as_csv(
    client: FlaskClient, orders: dict[str, str], fulfiller: StaffUser
) -> None:
    html = client.get("/admin/orders/?status=checkouts").get_data(as_text=True)
    assert 'href="/admin/orders/export.csv?status=checkouts"' in html

    def numbers(query: str) -> list[str]:
        response = client.get(f"/admin/orders/export.csv{query}")
        assert response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert rows[0][:3] == ["order_number", "status", "email"]
        return [row[0] for row in rows[1:]]

    assert numbers("") == [orders[s] for s in ("paid", "fulfilled", "refunded")]
    assert numbers("?status=checkouts") == [orders[s] for s in ("pending", "expired", "cancelled")]
    assert numbers("?q=refunded%40") == [orders["refunded"]]
