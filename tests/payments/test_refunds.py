"""Staff refunds through `shop.payments.settle`: a real purchase through the live shop and the
sandbox, refunded from the admin with and without putting the items back in stock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole
from shop.admin.models import AuditEntry
from shop.inventory.models import StockAdjustment
from shop.orders.models import OrderStatus
from tests.factories import make_product
from tests.fixtures_live import Shopper
from tests.fixtures_mail import queued_mail
from tests.fixtures_stripe import StripeSandbox
from tests.html import visible_text
from tests.payments.buying import FRED, order_figures, staff_signed_in, start


@dataclass(frozen=True)
class Bought:
    order_id: int
    number: str
    variant_id: int
    sku: str
    staff: Shopper


@pytest.fixture
def bought(
    db: SQLAlchemy, shopper: Shopper, stripe_sandbox: StripeSandbox, make_staff: Any
) -> Iterator[Bought]:
    """Two of five creams bought and paid ($62.95); Fred of fulfilment signed in."""
    product = make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 2800, 5)])
    slug, sku, variant_id = product.slug, product.variants[0].sku, product.variants[0].id
    db.session.commit()
    make_staff(FRED, StaffRole.FULFILMENT)
    db.session.rollback()
    stripe_sandbox.pay(start(shopper, slug, sku, 2), email="buyer@example.com")
    stripe_sandbox.wait_for_webhooks()
    order = order_figures(db)
    assert (order.status, order.amount_paid) == (OrderStatus.PAID, 6295)
    staff = staff_signed_in(shopper.base)
    yield Bought(order.id, order.number, variant_id, sku, staff)
    staff.close()


def _refund(bought: Bought, amount: str, restock: bool) -> Any:
    url = f"/admin/orders/{bought.order_id}"
    data = {"csrf_token": bought.staff.token(url), "amount": amount, "reason": "duplicate"}
    if restock:
        data["restock"] = "y"
    return bought.staff.http.post(bought.staff.base + url + "/refund", data=data)


def _stock_row(bought: Bought) -> tuple[int, int, int]:
    """On hand, held by checkouts and available, as the stock screen shows them."""
    page = visible_text(
        bought.staff.http.get(f"{bought.staff.base}/admin/stock/?q={bought.sku}").text
    )
    found = re.search(rf"{re.escape(bought.sku)} \$28\.00 (\d+) (\d+) (\d+)", page)
    assert found is not None, page
    on_hand, held, available = (int(n) for n in found.groups())
    return on_hand, held, available


def _returned(db: SQLAlchemy) -> list[tuple[int, int, str, str]]:
    found = [
        (a.delta, a.on_hand_after, a.reason, a.note)
        for a in db.session.scalars(
            sa.select(StockAdjustment)
            .where(StockAdjustment.reason == "returned")
            .order_by(StockAdjustment.id)
        )
    ]
    db.session.rollback()
    return found


def test_a_refund_with_restock_puts_the_units_back_once_and_mails_the_amount(
    db: SQLAlchemy, stripe_sandbox: StripeSandbox, bought: Bought
) -> None:
    assert _stock_row(bought) == (3, 0, 3)
    form = bought.staff.http.get(f"{bought.staff.base}/admin/orders/{bought.order_id}").text
    # The box is there, and off unless ticked.
    box = re.search(r'<input[^>]*name="restock"[^>]*>', form)
    assert box is not None
    assert "checked" not in box.group(0)
    assert "Put the items back in stock" in visible_text(form)

    stripe_sandbox.webhooks(mode="hold")  # Stripe's confirmation comes later
    first = _refund(bought, "10.50", restock=True)
    assert first.status_code == 200
    assert "2 unit(s) are back in stock" in visible_text(first.text)
    # Asked again before Stripe confirmed: the same idempotency key, the same refund.
    again = _refund(bought, "10.50", restock=True)
    assert "had already been put back in stock" in visible_text(again.text)
    sent = stripe_sandbox.requests(path="/v1/refunds", method="POST")
    assert len(sent) == 2
    assert sent[0]["idempotency_key"] == sent[1]["idempotency_key"]

    assert _stock_row(bought) == (5, 0, 5)
    note = f"order {bought.number} refunded"
    assert _returned(db) == [(2, 5, "returned", note)]
    history = visible_text(
        bought.staff.http.get(f"{bought.staff.base}/admin/stock/{bought.variant_id}").text
    )
    assert f"+2 5 returned {note}" in history

    stripe_sandbox.flush()
    stripe_sandbox.wait_for_webhooks()
    order = order_figures(db)
    assert order.status is OrderStatus.PARTIALLY_REFUNDED
    page = visible_text(
        bought.staff.http.get(f"{bought.staff.base}/admin/orders/{bought.order_id}").text
    )
    assert f"{bought.number}: refund of $10.50 requested (duplicate)" in page
    assert "2 unit(s) put back in stock" in page
    audits = list(db.session.scalars(sa.select(AuditEntry.after).order_by(AuditEntry.id)))
    db.session.rollback()
    assert [a["restocked"] if a else None for a in audits] == [{str(bought.variant_id): 2}, {}]

    # The rest refunded later, box ticked again: the units are not counted twice.
    rest = _refund(bought, "52.45", restock=True)
    assert "had already been put back in stock" in visible_text(rest.text)
    stripe_sandbox.flush()
    stripe_sandbox.wait_for_webhooks()
    assert order_figures(db).status is OrderStatus.REFUNDED
    assert _stock_row(bought) == (5, 0, 5)
    assert len(_returned(db)) == 1

    refunded = [body for to, body in queued_mail(db, "order_refunded") if to == "buyer@example.com"]
    assert len(refunded) == 2
    assert "We have refunded $10.50 to the card you paid with" in refunded[0]
    assert "We have refunded $52.45 to the card you paid with" in refunded[1]
    assert all("stock" not in body.lower() for body in refunded)


def test_a_refund_without_restock_leaves_the_stock_as_it_is(
    db: SQLAlchemy, stripe_sandbox: StripeSandbox, bought: Bought
) -> None:
    response = _refund(bought, "62.95", restock=False)
    assert response.status_code == 200
    text = visible_text(response.text)
    assert f"A refund of $62.95 on order {bought.number} was sent to Stripe" in text
    assert "unit(s) are back in stock" not in text
    assert "put back in stock" not in text
    stripe_sandbox.wait_for_webhooks()
    assert order_figures(db).status is OrderStatus.REFUNDED
    assert _stock_row(bought) == (3, 0, 3)
    assert _returned(db) == []
    [(to, body)] = queued_mail(db, "order_refunded")
    assert to == "buyer@example.com"
    assert "We have refunded $62.95 to the card you paid with" in body
