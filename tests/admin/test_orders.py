"""The order screens: who may open them, the list, marking orders shipped, and refunds
through Stripe (the sandbox) that count only once the webhook confirms them."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.admin.models import AuditEntry
from shop.links.attribution import credit_order
from shop.mail.models import OutboxMessage
from shop.orders.models import Order, OrderEvent, OrderStatus
from shop.orders.services import (
    LineSnapshot,
    create_pending_order,
    mark_fulfilled,
    record_refund,
)
from shop.payments.models import Installation
from tests.factories import make_answer, make_product, pay_order
from tests.fixtures_live import Shopper
from tests.fixtures_staff import PASSWORD, sign_in
from tests.fixtures_stripe import StripeSandbox
from tests.html import csrf_token, visible_text

MakeStaff = Callable[..., StaffUser]
FRED = "fred@example.com"


def _order(
    db: SQLAlchemy,
    *,
    paid: bool = True,
    email: str = "buyer@example.com",
    name: str = "Barrier Cream",
    quantity: int = 2,
) -> tuple[int, str]:
    variant = make_product(name, variants=[("50 ml", 2800, 10)]).variants[0]
    order = create_pending_order(
        [LineSnapshot(variant.id, name, "50 ml", variant.sku, 2800, quantity)],
        "USD",
        cart_id=None,
        email=email,
    )
    if paid:
        pay_order(order, email)
    db.session.commit()
    return order.id, order.number or ""


def _signed_in(client: FlaskClient, make_staff: MakeStaff, role: StaffRole) -> None:
    make_staff(FRED, role)
    assert sign_in(client, FRED)[0] == 303


def _post(
    client: FlaskClient, order_id: int, action: str, form_on: int | None = None, **data: str
) -> Any:
    token = csrf_token(client.get(f"/admin/orders/{form_on or order_id}"))
    return client.post(f"/admin/orders/{order_id}/{action}", data={"csrf_token": token, **data})


@pytest.mark.parametrize("path", ["/admin/orders/", "/admin/orders/{id}"])
def test_who_may_open_the_order_pages(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff, path: str
) -> None:
    url = path.format(id=_order(db)[0])
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")

    make_staff("ed@example.com", StaffRole.EDITOR)
    make_staff(FRED, StaffRole.FULFILMENT)
    make_staff("olive@example.com", StaffRole.OWNER)
    sign_in(client, "ed@example.com")
    assert client.get(url).status_code == 403
    for email in (FRED, "olive@example.com"):
        fresh = client.application.test_client()
        sign_in(fresh, email)
        page = fresh.get(url)
        assert page.status_code == 200
        assert "Order" in visible_text(page)


def test_the_list_filters_and_searches(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    _, paid = _order(db, email="ann@example.com", name="Cream A")
    _, pending = _order(db, paid=False, email="bob@example.com", name="Cream B")
    _signed_in(client, make_staff, StaffRole.FULFILMENT)

    everything = visible_text(client.get("/admin/orders/?status=all"))
    assert paid in everything
    assert pending in everything
    assert everything.index(pending) < everything.index(paid)  # newest first

    only_paid = visible_text(client.get("/admin/orders/?status=paid"))
    assert paid in only_paid
    assert pending not in only_paid

    by_email = visible_text(client.get("/admin/orders/?status=all&q=BOB@"))
    assert pending in by_email
    assert paid not in by_email
    by_number = visible_text(client.get(f"/admin/orders/?q={paid.lower()}"))
    assert paid in by_number
    assert pending not in by_number

    for bad in ("status=shipped", "page=0", "page=x", "page=2", "q=" + "a" * 101):
        assert client.get(f"/admin/orders/?{bad}").status_code == 400, bad


def test_fulfilling_a_paid_order_records_tracking_mails_and_audits(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    order_id, number = _order(db)
    _signed_in(client, make_staff, StaffRole.FULFILMENT)

    response = _post(client, order_id, "fulfil", carrier="ups", tracking="  1Z999AA10123456784 ")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/orders/{order_id}"
    page = client.get(f"/admin/orders/{order_id}")
    text = visible_text(page)
    assert f"Order {number} is marked fulfilled" in text
    assert "Shipped with UPS, tracking 1Z999AA10123456784." in text
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in page.get_data(
        as_text=True
    )

    db.session.expire_all()
    order = db.session.get(Order, order_id)
    assert order is not None
    assert order.status is OrderStatus.FULFILLED
    [mail] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "order_shipped")
    ).all()
    assert mail.to_address == "buyer@example.com"
    assert f"Your order {number} has shipped" == mail.subject
    assert "Tracking number: 1Z999AA10123456784" in mail.body_text.splitlines()
    assert "/orders/" in mail.body_text
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.actor_email, entry.action, entry.entity, entry.entity_id) == (
        FRED,
        "order.fulfil",
        "order",
        str(order_id),
    )
    assert entry.before == {"status": "paid"}
    assert entry.summary == f"{number}: shipped with UPS, tracking 1Z999AA10123456784"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"carrier": "ups", "tracking": ""}, "Enter the tracking number."),
        ({"carrier": "ups", "tracking": "   "}, "Enter the tracking number."),
        ({"carrier": "ups", "tracking": "x" * 101}, "100 characters or fewer"),
        ({"tracking": "1Z"}, "Choose the carrier."),
        ({"carrier": "pigeon", "tracking": "1Z"}, "Not a valid choice"),
        ({"carrier": "other", "tracking": "1Z"}, "Enter the name of the carrier."),
        (
            {"carrier": "other", "other_carrier": "Purolator", "tracking": "1Z",
             "tracking_url": "http://purolator.example.com/1Z"},
            "full https:// address",
        ),
        (
            {"carrier": "other", "other_carrier": "Purolator", "tracking": "1Z",
             "tracking_url": "javascript:alert(1)"},
            "full https:// address",
        ),
        (
            {"carrier": "ups", "tracking": "1Z", "tracking_url": "https://evil.example.com/"},
            "the shop builds this carrier's tracking link itself",
        ),
    ],
)  # fmt: skip
def test_bad_tracking_is_refused(
    client: FlaskClient,
    db: SQLAlchemy,
    make_staff: MakeStaff,
    data: dict[str, str],
    message: str,
) -> None:
    order_id, _ = _order(db)
    _signed_in(client, make_staff, StaffRole.FULFILMENT)
    token = csrf_token(client.get(f"/admin/orders/{order_id}"))
    response = client.post(f"/admin/orders/{order_id}/fulfil", data={"csrf_token": token, **data})
    assert response.status_code == 400
    assert message in visible_text(response)
    db.session.expire_all()
    assert db.session.get(Order, order_id).status is OrderStatus.PAID  # type: ignore[union-attr]
    assert db.session.scalars(sa.select(AuditEntry)).all() == []


def test_fulfilling_a_pending_order_is_refused(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    order_id, _ = _order(db, paid=False)
    other_id, _ = _order(db, name="Other Cream")  # a page with a form, for a CSRF token
    _signed_in(client, make_staff, StaffRole.FULFILMENT)
    page = visible_text(client.get(f"/admin/orders/{order_id}"))
    assert "Mark fulfilled" not in page
    assert "Refund" not in page.replace("Refunded", "")

    response = _post(client, order_id, "fulfil", form_on=other_id, carrier="ups", tracking="1Z")
    assert response.status_code == 400
    assert "only a paid order can be marked fulfilled" in visible_text(response)
    db.session.expire_all()
    assert db.session.get(Order, order_id).status is OrderStatus.PENDING  # type: ignore[union-attr]
    assert db.session.scalars(sa.select(AuditEntry)).all() == []
    assert (
        db.session.scalars(
            sa.select(OutboxMessage.id).where(OutboxMessage.kind == "order_shipped")
        ).all()
        == []
    )


def test_a_shipped_order_refunded_in_part_is_not_offered_for_shipping_again(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    order_id, _ = _order(db)
    mark_fulfilled(order_id, "1Z999AA10123456784", "fedex")
    order = db.session.get(Order, order_id)
    assert order is not None
    record_refund(order, 1000, "charge ch_1")
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.FULFILMENT)

    page = client.get(f"/admin/orders/{order_id}")
    text = visible_text(page)
    assert "Status partially refunded" in text
    assert "with FedEx, tracking 1Z999AA10123456784" in text
    assert "Mark fulfilled" not in text
    assert f"/admin/orders/{order_id}/fulfil" not in page.get_data(as_text=True)


def test_a_post_without_csrf_is_refused(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    order_id, _ = _order(db)
    _signed_in(client, make_staff, StaffRole.FULFILMENT)
    assert (
        client.post(f"/admin/orders/{order_id}/fulfil", data={"tracking": "1Z"}).status_code == 400
    )
    assert client.post(f"/admin/orders/{order_id}/refund", data={"amount": "1"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Order, order_id).status is OrderStatus.PAID  # type: ignore[union-attr]


def _section(html: str, section_id: str) -> str:
    """The HTML of the <section id=...> on a page."""
    found = re.search(rf'<section id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    assert found, f"no section #{section_id}"
    return found.group(1)


def test_an_over_large_refund_shows_its_error_beside_the_amount_field(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    """The refund form sits below the items, address and shipping form: a refused amount
    comes back scrolled to the refund section, the message under the amount field."""
    order_id, _ = _order(db)
    _signed_in(client, make_staff, StaffRole.FULFILMENT)
    form_action = f'action="/admin/orders/{order_id}/refund#refund"'
    assert form_action in client.get(f"/admin/orders/{order_id}").get_data(as_text=True)

    response = _post(client, order_id, "refund", amount="999.00", reason="duplicate")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert form_action in html  # the page comes back at #refund, not at the top
    refund = _section(html, "refund")
    message = "The amount must be between $0.01 and $62.95, what is left to refund."
    field_found = re.search(r'<input[^>]*\bid="amount"[^>]*>', refund)
    assert field_found is not None
    field, after_field = field_found.group(0), refund[field_found.end() :]
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="amount-errors"' in field
    # The message is the next thing after the field, in the list the field points to.
    errors = re.match(
        r'\s*<ul class="field-errors" id="amount-errors">(.*?)</ul>', after_field, re.S
    )
    assert errors is not None
    assert visible_text(errors.group(1)) == message
    # The summary at the section's top links to the field.
    assert '<a href="#amount">' in refund.split('id="amount"', 1)[0]
    assert message not in visible_text(html.split('<section id="refund"', 1)[0])


def test_an_unknown_order_is_404(client: FlaskClient, make_staff: MakeStaff) -> None:
    _signed_in(client, make_staff, StaffRole.FULFILMENT)
    assert client.get("/admin/orders/999999").status_code == 404


# Live: a real purchase through the shop and the Stripe sandbox, refunded from the admin.


def _order_values(db: SQLAlchemy) -> tuple[int, str, OrderStatus, int, int | None]:
    db.session.expire_all()
    o = db.session.scalars(sa.select(Order)).one()
    found = (o.id, o.number or "", o.status, o.refunded_amount, o.amount_paid)
    db.session.rollback()
    return found


def _events(db: SQLAlchemy, order_id: int) -> list[str]:
    found = list(
        db.session.scalars(
            sa.select(OrderEvent.message)
            .where(OrderEvent.order_id == order_id)
            .order_by(OrderEvent.id)
        )
    )
    db.session.rollback()
    return found


def _paid_order(
    db: SQLAlchemy, shopper: Shopper, stripe_sandbox: StripeSandbox, make_staff: MakeStaff
) -> tuple[int, str, Shopper]:
    """Two creams bought and paid through the live shop; Fred of fulfilment signed in."""
    product = make_product("Barrier Cream", slug="barrier-cream", variants=[("50 ml", 2800, 5)])
    slug, sku = product.slug, product.variants[0].sku
    db.session.commit()
    make_staff(FRED, StaffRole.FULFILMENT)
    db.session.rollback()

    assert shopper.add(slug, sku, 2).status_code == 303
    pay_url = shopper.checkout().headers["Location"]
    stripe_sandbox.pay(pay_url.rstrip("/").rsplit("/", 1)[-1], email="buyer@example.com")
    stripe_sandbox.wait_for_webhooks()
    order_id, number, status, _, paid = _order_values(db)
    assert status is OrderStatus.PAID
    assert paid == 2 * 2800 + 695

    staff = Shopper(shopper.base)
    signed = staff.http.post(
        staff.base + "/admin/login",
        data={"csrf_token": staff.token("/admin/login"), "email": FRED, "password": PASSWORD},
        allow_redirects=False,
    )
    assert signed.status_code == 303
    return order_id, number, staff


def _ask_refund(staff: Shopper, order_id: int, amount: str, reason: str) -> Any:
    url = f"/admin/orders/{order_id}"
    return staff.http.post(
        staff.base + url + "/refund",
        data={"csrf_token": staff.token(url), "amount": amount, "reason": reason},
    )


def test_a_partial_refund_goes_to_stripe_and_counts_once_confirmed(
    db: SQLAlchemy, shopper: Shopper, stripe_sandbox: StripeSandbox, make_staff: MakeStaff
) -> None:
    order_id, number, staff = _paid_order(db, shopper, stripe_sandbox, make_staff)
    try:
        url = f"/admin/orders/{order_id}"
        response = staff.http.post(
            staff.base + url + "/refund",
            data={
                "csrf_token": staff.token(url),
                "amount": "10.50",
                "reason": "requested_by_customer",
            },
            allow_redirects=False,
        )
        assert response.status_code == 303, response.text
        stripe_sandbox.wait_for_webhooks()

        [sent] = stripe_sandbox.requests(path="/v1/refunds", method="POST")
        assert sent["params"]["amount"] == "1050"
        assert sent["params"]["reason"] == "requested_by_customer"
        prefix = db.session.scalar(sa.select(Installation.idempotency_prefix))
        db.session.rollback()
        assert sent["idempotency_key"] == f"{prefix}-refund-{order_id}-0-1050"
        _, _, status, refunded, _ = _order_values(db)
        assert status is OrderStatus.PARTIALLY_REFUNDED
        assert refunded == 1050
        messages = _events(db, order_id)
        assert any("Refund of $10.50 requested" in m for m in messages)
        page = visible_text(staff.http.get(staff.base + url).text)
        assert f"A refund of $10.50 on order {number} was sent to Stripe" in page

        # More than is left (62.95 - 10.50 = 52.45) is refused before Stripe hears of it.
        too_much = staff.http.post(
            staff.base + url + "/refund",
            data={"csrf_token": staff.token(url), "amount": "52.46", "reason": "duplicate"},
            allow_redirects=False,
        )
        assert too_much.status_code == 400
        assert "what is left to refund" in visible_text(too_much.text)
        assert len(stripe_sandbox.requests(path="/v1/refunds", method="POST")) == 1
        _, _, status, refunded, _ = _order_values(db)
        assert (status, refunded) == (OrderStatus.PARTIALLY_REFUNDED, 1050)

        # Stripe failing: a clear message, nothing recorded.
        stripe_sandbox.fault("/v1/refunds", "error_500", count=5)
        failed = _ask_refund(staff, order_id, "1.00", "duplicate")
        assert failed.status_code == 200
        assert (
            f"Stripe could not confirm the refund of $1.00 on order {number}, "
            "so nothing is recorded here." in visible_text(failed.text)
        )
        assert len([m for m in _events(db, order_id) if "requested" in m]) == 1
        audits = list(db.session.scalars(sa.select(AuditEntry.action)))
        db.session.rollback()
        assert audits == ["order.refund"]
        _, _, status, refunded, _ = _order_values(db)
        assert (status, refunded) == (OrderStatus.PARTIALLY_REFUNDED, 1050)
    finally:
        staff.close()


def test_a_confirmed_refund_reads_as_money_in_the_timeline_and_mails_the_customer(
    db: SQLAlchemy, shopper: Shopper, stripe_sandbox: StripeSandbox, make_staff: MakeStaff
) -> None:
    """Stripe's charge.refunded counts cents; staff and the customer read dollars."""
    order_id, number, staff = _paid_order(db, shopper, stripe_sandbox, make_staff)
    try:
        asked = _ask_refund(staff, order_id, "10.00", "requested_by_customer")
        assert asked.status_code == 200
        stripe_sandbox.wait_for_webhooks()
        assert _order_values(db)[2:4] == (OrderStatus.PARTIALLY_REFUNDED, 1000)

        page = visible_text(staff.http.get(staff.base + f"/admin/orders/{order_id}").text)
        assert "Refunded $10.00 in all (charge ch_" in page
        assert not re.search(r"Refunded \d+ in all", page)
        assert "Refunded $10.00 ($52.95 stays paid)" in page

        mails = list(
            db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.kind == "order_refunded")
            )
        )
        db.session.rollback()
        [mail] = mails
        assert mail.to_address == "buyer@example.com"
        assert mail.subject == f"Your order {number} has been partly refunded"
        text = " ".join(mail.body_text.split())
        assert "We have refunded $10.00 to the card you paid with." in text
        assert "$52.95 stays paid" in text
        [audit_after] = list(db.session.scalars(sa.select(AuditEntry.after)))
        db.session.rollback()
        assert audit_after is not None
        assert audit_after["amount"] == "$10.00"
    finally:
        staff.close()


def test_a_refund_stripe_never_answers_is_not_recorded_and_asking_again_refunds_once(
    db: SQLAlchemy, shopper: Shopper, stripe_sandbox: StripeSandbox, make_staff: MakeStaff
) -> None:
    """A timeout is not a no: nothing is recorded, and the same request again refunds once."""
    order_id, number, staff = _paid_order(db, shopper, stripe_sandbox, make_staff)
    no_answer = (
        f"Stripe could not confirm the refund of $5.00 on order {number}, "
        "so nothing is recorded here."
    )
    try:
        # Stripe hangs before it does anything (longer than the shop's STRIPE_TIMEOUT of 3 s).
        stripe_sandbox.fault("/v1/refunds", "timeout", count=5, seconds=4)
        page = _ask_refund(staff, order_id, "5.00", "requested_by_customer")
        assert page.status_code == 200
        assert no_answer in visible_text(page.text)
        stripe_sandbox.control("DELETE", "faults")
        assert not [e for e in _events(db, order_id) if "requested" in e]
        assert _order_values(db)[2:4] == (OrderStatus.PAID, 0)

        # Stripe makes the refund, then the answer is lost on every try the shop makes.
        stripe_sandbox.webhooks(mode="hold")
        stripe_sandbox.fault("/v1/refunds", "timeout", count=5, seconds=4, stage="after")
        page = _ask_refund(staff, order_id, "5.00", "requested_by_customer")
        assert no_answer in visible_text(page.text)
        stripe_sandbox.control("DELETE", "faults")
        assert _order_values(db)[2:4] == (OrderStatus.PAID, 0)

        # Staff ask again for the same amount: Stripe answers with the refund it made.
        page = _ask_refund(staff, order_id, "5.00", "requested_by_customer")
        assert f"A refund of $5.00 on order {number} was sent to Stripe" in visible_text(page.text)
        stripe_sandbox.flush()
        stripe_sandbox.wait_for_webhooks()
        made = stripe_sandbox.events("refund.created")
        assert [e["event"]["data"]["object"]["amount"] for e in made] == [500]  # one, not two
        assert _order_values(db)[2:4] == (OrderStatus.PARTIALLY_REFUNDED, 500)
        shown = visible_text(staff.http.get(staff.base + f"/admin/orders/{order_id}").text)
        assert "$5.00" in shown
    finally:
        staff.close()


# The answers an order is credited to, as staff see them on its page.


def _links_to(html: str, question: str) -> list[str]:
    """The hrefs of the links whose text is `question`."""
    return [
        htmllib.unescape(href)
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', html, re.S)
        if visible_text(text) == question
    ]


def test_the_order_page_names_the_source_answer_and_the_others_read(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    first = make_answer("Can I use retinol & vitamin C together?", slug="retinol-and-c")
    second = make_answer("Why does my skin sting in winter?", slug="winter-sting")
    source = make_answer("Which moisturiser mends a damaged barrier?", slug="barrier-repair")
    make_answer("Is this answer unrelated to the order?", slug="unrelated")
    order_id, _ = _order(db)
    credit_order(order_id, [first.id, second.id, source.id])
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.FULFILMENT)

    page = client.get(f"/admin/orders/{order_id}")
    assert page.status_code == 200
    text = visible_text(page)
    html = page.get_data(as_text=True)
    assert "Source answer Which moisturiser mends a damaged barrier? " in text
    assert (
        "Also read before buying Can I use retinol & vitamin C together? "
        "Why does my skin sting in winter?"
    ) in text
    assert "Is this answer unrelated" not in text
    assert _links_to(html, "Which moisturiser mends a damaged barrier?") == [
        "/answers/barrier-repair"
    ]
    assert _links_to(html, "Can I use retinol & vitamin C together?") == ["/answers/retinol-and-c"]
    assert _links_to(html, "Why does my skin sting in winter?") == ["/answers/winter-sting"]
    also_read = text.split("Also read before buying", 1)[1]
    assert "Which moisturiser" not in also_read  # the source is not listed twice


def test_an_order_with_one_answer_read_has_only_a_source(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    only = make_answer("Do I need sunscreen indoors?", slug="sunscreen-indoors")
    order_id, _ = _order(db)
    credit_order(order_id, [only.id])
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.FULFILMENT)

    page = client.get(f"/admin/orders/{order_id}")
    text = visible_text(page)
    assert "Source answer Do I need sunscreen indoors? " in text
    assert "Also read before buying" not in text
    assert _links_to(page.get_data(as_text=True), "Do I need sunscreen indoors?") == [
        "/answers/sunscreen-indoors"
    ]


def test_an_order_with_no_answer_read_says_so(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    other = make_answer("Is this someone else's answer?", slug="someone-elses")
    credited_id, _ = _order(db, name="Credited Cream")
    credit_order(credited_id, [other.id])
    order_id, _ = _order(db)
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.FULFILMENT)

    text = visible_text(client.get(f"/admin/orders/{order_id}"))
    assert "Source answer None: no answer was read before this order" in text
    assert "Also read before buying" not in text
    assert "someone else" not in text
