"""/admin/promotions/: who may look and who may change, making a code through the form (each
refusal under its field), ending one after confirming, and each code's redemptions and
revenue from the orders that used it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.admin.models import AuditEntry
from shop.core.models import utcnow
from shop.core.money import format_money
from shop.orders.models import Order
from shop.orders.services import LineSnapshot, create_pending_order, record_refund
from shop.promotions.models import Promotion
from shop.promotions.rules import discount_for
from shop.promotions.services import PromotionRules, create_promotion
from tests.factories import make_answer, make_product, pay_order
from tests.fixtures_staff import sign_in
from tests.fixtures_stripe import StripeSandbox
from tests.html import csrf_token, visible_text
from tests.promotions.conftest import at_stripe, promotions, sent

MakeStaff = Callable[..., StaffUser]
URL = "/admin/promotions/"
FRED = "fred@example.com"


def _signed_in(client: FlaskClient, make_staff: MakeStaff, role: StaffRole) -> None:
    make_staff(FRED, role)
    assert sign_in(client, FRED)[0] == 303


def _create(client: FlaskClient, **fields: str) -> tuple[int, str]:
    token = csrf_token(client.get(URL))
    response = client.post(URL, data={"csrf_token": token, **fields})
    return response.status_code, response.get_data(as_text=True)


def _field_errors(html: str, field: str) -> str:
    found = re.search(rf'<ul class="field-errors" id="{field}-errors">(.*?)</ul>', html, re.S)
    return visible_text(found.group(1)) if found else ""


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")


@pytest.mark.parametrize("role", [StaffRole.EDITOR, StaffRole.FULFILMENT])
def test_other_staff_may_look_but_not_make_or_end(
    client: FlaskClient,
    db: SQLAlchemy,
    make_staff: MakeStaff,
    stripe_shop: StripeSandbox,
    role: StaffRole,
) -> None:
    create_promotion(PromotionRules(code="LOOK", currency="USD", percent_off=5))
    db.session.commit()
    _signed_in(client, make_staff, role)

    page = client.get(URL)

    assert page.status_code == 200
    text = visible_text(page)
    assert "LOOK" in text
    assert "5% off" in text
    assert "Make a promotion" not in text
    assert "End LOOK" not in text
    token = csrf_token(client.get("/admin/"))
    made = client.post(URL, data={"csrf_token": token, "code": "MINE", "percent_off": "5"})
    ended = client.post(f"{URL}LOOK/end", data={"csrf_token": token, "confirm": "yes"})
    assert (made.status_code, ended.status_code) == (403, 403)
    [promotion] = promotions()
    assert promotion.ended_at is None
    assert at_stripe(stripe_shop, promotion.stripe_promotion_code_id or "")["active"] is True


def test_the_owner_makes_a_reader_code_with_every_rule(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff, stripe_shop: StripeSandbox
) -> None:
    make_answer("Why am I breaking out along my jaw?", slug="jaw-acne")
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.OWNER)
    form = client.get(URL)
    assert '<option value="jaw-acne">Why am I breaking out along my jaw?</option>' in form.get_data(
        as_text=True
    )

    status, _ = _create(
        client,
        code="jaw15",
        percent_off="15",
        min_subtotal="30.00",
        max_redemptions="50",
        expires_on="2099-01-31",
        once_per_customer="y",
        answer="jaw-acne",
    )

    assert status == 303
    listed = client.get(URL)
    text = visible_text(listed)
    assert "The code JAW15 works now" in text
    for shown in (
        "JAW15",
        "15% off",
        "Minimum $30.00",
        "Limit 50 uses",
        "Until 2099-01-31",
        "Once per customer",
        "Reader code for Why am I breaking out along my jaw?",
        "Active",
        "0 of 50",
    ):
        assert shown in text
    [code] = sent(stripe_shop, "/v1/promotion_codes")
    assert code["code"] == "JAW15"
    assert code["restrictions"] == {"minimum_amount": "3000", "minimum_amount_currency": "usd"}
    assert code["max_redemptions"] == "50"
    [entry] = db.session.scalars(sa.select(AuditEntry)).all()
    assert (entry.action, entry.entity_id, entry.actor_email) == (
        "promotion.create",
        "JAW15",
        FRED,
    )


def test_an_amount_off_is_typed_as_money(
    client: FlaskClient, make_staff: MakeStaff, stripe_shop: StripeSandbox
) -> None:
    _signed_in(client, make_staff, StaffRole.OWNER)

    assert _create(client, code="FIVER", amount_off="5")[0] == 303

    assert "$5.00 off" in visible_text(client.get(URL))
    [coupon] = sent(stripe_shop, "/v1/coupons")
    assert (coupon["amount_off"], coupon["currency"]) == ("500", "usd")


FORM_REFUSALS = [
    ({"code": "SAVE 10", "percent_off": "10"}, "code", "The code may not contain spaces."),
    ({"code": "", "percent_off": "10"}, "code", "Enter a code."),
    ({"code": "X" * 41, "percent_off": "10"}, "code", "longer than 40 characters"),
    ({"code": "taken", "percent_off": "10"}, "code", "already a promotion with the code TAKEN"),
    ({"code": "SAVE10", "percent_off": "150"}, "percent_off", "must be 1 to 100"),
    ({"code": "SAVE10", "percent_off": "0"}, "percent_off", "must be 1 to 100"),
    ({"code": "SAVE10"}, "percent_off", "Give a percentage off or an amount off."),
    ({"code": "SAVE10", "percent_off": "5", "amount_off": "5"}, "amount_off", "not both"),
    ({"code": "SAVE10", "amount_off": "five"}, "amount_off", "Enter the amount off as an amount"),
    ({"code": "SAVE10", "amount_off": "0"}, "amount_off", "The amount off must be more than 0."),
    ({"code": "SAVE10", "amount_off": "-5"}, "amount_off", "is negative"),
    ({"code": "SAVE10", "percent_off": "5", "min_subtotal": "-1"}, "min_subtotal", "negative"),
    (
        {"code": "SAVE10", "percent_off": "5", "max_redemptions": "0"},
        "max_redemptions",
        "at least 1",
    ),
    (
        {"code": "SAVE10", "percent_off": "5", "expires_on": "2001-01-01"},
        "expires_on",
        "in the past",
    ),
    ({"code": "SAVE10", "percent_off": "5", "expires_on": "31/12/2099"}, "expires_on", "as a date"),
    ({"code": "SAVE10", "percent_off": "5", "answer": "no-such"}, "answer", "Not a valid choice"),
]


@pytest.mark.parametrize(("fields", "field", "message"), FORM_REFUSALS)
def test_a_refused_value_is_named_under_its_field_and_nothing_is_made(
    client: FlaskClient,
    db: SQLAlchemy,
    make_staff: MakeStaff,
    stripe_shop: StripeSandbox,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    create_promotion(PromotionRules(code="TAKEN", currency="USD", percent_off=5))
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.OWNER)

    status, html = _create(client, **fields)

    assert status == 400
    assert message in _field_errors(html, field)
    assert "The promotion was not made" in visible_text(html)
    assert [p.code for p in promotions()] == ["TAKEN"]
    assert len(sent(stripe_shop, "/v1/coupons")) == 1


def test_stripe_refusing_is_said_on_the_form_and_nothing_is_saved(
    client: FlaskClient, make_staff: MakeStaff, stripe_shop: StripeSandbox
) -> None:
    _signed_in(client, make_staff, StaffRole.OWNER)
    stripe_shop.fault("/v1/coupons", "error_500", count=1)

    status, html = _create(client, code="WINTER", percent_off="10")

    assert status == 502
    assert "Stripe did not make the code WINTER" in visible_text(html)
    assert "nothing was saved" in visible_text(html)
    assert 'value="WINTER"' in html  # the form keeps what was typed
    assert promotions() == []


def test_a_post_without_csrf_is_refused(
    client: FlaskClient, make_staff: MakeStaff, stripe_shop: StripeSandbox
) -> None:
    _signed_in(client, make_staff, StaffRole.OWNER)

    response = client.post(URL, data={"code": "SNEAKY", "percent_off": "50"})

    assert response.status_code == 400
    assert promotions() == []
    assert sent(stripe_shop, "/v1/coupons") == []


def test_the_owner_ends_a_code_after_confirming(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff, stripe_shop: StripeSandbox
) -> None:
    promotion = create_promotion(PromotionRules(code="AUTUMN", currency="USD", percent_off=20))
    db.session.commit()
    code_id = promotion.stripe_promotion_code_id or ""
    _signed_in(client, make_staff, StaffRole.OWNER)
    token = csrf_token(client.get(URL))
    assert client.post(f"{URL}AUTUMN/end", data={"confirm": "yes"}).status_code == 400  # no CSRF

    asked = client.post(f"{URL}AUTUMN/end", data={"csrf_token": token})

    assert asked.status_code == 200
    assert "End the code AUTUMN?" in visible_text(asked)
    assert at_stripe(stripe_shop, code_id)["active"] is True
    assert promotions()[0].ended_at is None

    ended = client.post(
        f"{URL}AUTUMN/end", data={"csrf_token": csrf_token(asked), "confirm": "yes"}
    )

    assert ended.status_code == 303
    text = visible_text(client.get(URL))
    assert "The code AUTUMN has ended" in text
    assert "Ended" in text
    assert "End AUTUMN" not in text
    assert at_stripe(stripe_shop, code_id)["active"] is False
    assert promotions()[0].ended_at is not None
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["promotion.end"]

    again = client.post(
        f"{URL}AUTUMN/end", data={"csrf_token": csrf_token(client.get(URL)), "confirm": "yes"}
    )
    assert again.status_code == 303
    assert "The code AUTUMN has already ended." in visible_text(client.get(URL))


def _order_with(promotion: Promotion | None, email: str, quantity: int = 2) -> Order:
    """A pending order for `quantity` creams at $28.00, with the promotion's discount."""
    variant = make_product(variants=[("50 ml", 2800, 20)]).variants[0]
    order = create_pending_order(
        [LineSnapshot(variant.id, "Cream", "50 ml", variant.sku, 2800, quantity)],
        "USD",
        cart_id=None,
        email=email,
    )
    if promotion is not None:
        order.promotion_id = promotion.id
        order.promotion_code = promotion.code
        order.discount = discount_for(promotion, order.subtotal)
        order.total = order.subtotal - order.discount + order.shipping
    return order


def test_the_list_shows_redemptions_and_the_revenue_net_of_refunds_and_tax(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff, stripe_shop: StripeSandbox
) -> None:
    promotion = create_promotion(
        PromotionRules(code="TENOFF", currency="USD", percent_off=10, max_redemptions=3)
    )
    taxed = _order_with(promotion, "a@example.com")
    pay_order(taxed, "a@example.com")
    taxed.tax, taxed.amount_paid = 412, taxed.total + 412  # Stripe's tax, not the shop's revenue
    refunded = _order_with(promotion, "b@example.com", quantity=1)
    pay_order(refunded, "b@example.com")
    record_refund(refunded, 1000, "charge ch_test")
    _order_with(promotion, "c@example.com")  # pending: holds a use, has not paid
    pay_order(_order_with(None, "d@example.com"), "d@example.com")  # no code
    db.session.commit()
    expected = taxed.total + refunded.total - 1000
    _signed_in(client, make_staff, StaffRole.FULFILMENT)

    row = re.search(
        r"<tr>\s*<td><strong>TENOFF</strong>.*?</tr>", client.get(URL).get_data(as_text=True), re.S
    )

    assert row is not None
    cells = [visible_text(c) for c in re.findall(r"<td>(.*?)</td>", row.group(0), re.S)]
    assert cells[1] == "10% off"
    assert cells[3] == "Used up"  # two paid and one pending hold all three uses
    assert cells[4] == "2 of 3"
    assert cells[5] == format_money(expected, "USD")
    assert taxed.discount == 560


def test_a_code_past_its_last_day_reads_expired(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff, stripe_shop: StripeSandbox
) -> None:
    promotion = create_promotion(
        PromotionRules(code="LASTWEEK", currency="USD", amount_off=700, expires_on=utcnow().date())
    )
    promotion.expires_at = datetime(2020, 5, 31, 23, 59, 59, tzinfo=UTC)  # as time passed
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.EDITOR)

    text = visible_text(client.get(URL))

    assert "LASTWEEK $7.00 off Until 2020-05-31 Expired 0 $0.00" in text
