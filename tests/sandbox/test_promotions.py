"""Coupons, promotion codes, discounted and taxed sessions, through real stripe-python."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, cast

import pytest
import stripe

from stripe_sandbox.core import default_shared_dir
from tests.conftest import skip_or_fail
from tests.fixtures_stripe import StripeSandbox, http
from tests.sandbox.helpers import SUBTOTAL, promotion_code, session_params
from tests.sandbox.test_payments import CARD_FORM

if TYPE_CHECKING:
    from stripe.params import CouponCreateParams, PromotionCodeCreateParams

SPEC_ONLY = ("unknown parameter", "Invalid decimal")


def _needs_spec(message: str) -> None:
    if default_shared_dir() is None and any(m in message for m in SPEC_ONLY):
        skip_or_fail("../shared/stripe (or $STRIPE_SHARED_DIR) is not there")


def test_coupons_are_made_listed_and_deleted(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    percent = stripe_client.v1.coupons.create(
        {
            "id": "WELCOME10",
            "percent_off": 10,
            "duration": "once",
            "name": "Welcome",
            "max_redemptions": 5,
            "metadata": {"promotion_id": "3"},
        }
    )
    amount = stripe_client.v1.coupons.create(
        {"amount_off": 500, "currency": "USD", "redeem_by": int(time.time()) + 3600}
    )

    assert percent.id == "WELCOME10"
    assert (percent.percent_off, percent.amount_off, percent.duration) == (10, None, "once")
    assert percent.max_redemptions == 5
    assert percent.to_dict()["metadata"] == {"promotion_id": "3"}
    assert percent.valid is True
    assert percent.times_redeemed == 0
    assert (amount.amount_off, amount.currency, amount.percent_off) == (500, "usd", None)
    assert len(amount.id) == 8
    listed = stripe_client.v1.coupons.list()
    assert {c.id for c in listed.data} == {"WELCOME10", amount.id}
    assert stripe_client.v1.coupons.retrieve("WELCOME10").name == "Welcome"

    deleted = stripe_client.v1.coupons.delete("WELCOME10")

    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.coupons.retrieve("WELCOME10")
    assert info.value.http_status == 404
    assert info.value.code == "resource_missing"
    assert [c.id for c in stripe_client.v1.coupons.list().data] == [amount.id]
    logged = stripe_sandbox.requests(method="DELETE")
    assert [(r["path"], r["status"]) for r in logged] == [("/v1/coupons/WELCOME10", 200)]


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"percent_off": 10, "amount_off": 100, "currency": "usd"}, "percent_off", "exactly one"),
        ({"duration": "once"}, "percent_off", "exactly one"),
        ({"amount_off": 100}, "currency", "You must pass currency"),
        ({"percent_off": 0}, "percent_off", "greater than 0"),
        ({"percent_off": 101}, "percent_off", "less than or equal to 100"),
        ({"percent_off": "ten"}, "percent_off", "Invalid decimal: ten"),
        ({"percent_off": 10, "duration": "forever"}, "duration", "duration=once"),
        ({"percent_off": 10, "redeem_by": 1000}, "redeem_by", "must be in the future"),
        ({"percent_off": 10, "max_redemptions": 0}, "max_redemptions", "positive integer"),
        ({"percent_off": 10, "code": "X"}, "code", "Received unknown parameter: code"),
    ],
)
def test_bad_coupon_params_are_refused(
    stripe_client: stripe.StripeClient, params: dict[str, Any], param: str, message: str
) -> None:
    _needs_spec(message)
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.coupons.create(cast("CouponCreateParams", params))

    assert info.value.http_status == 400
    assert info.value.param == param
    assert message in str(info.value.user_message)


def test_a_coupon_id_is_taken_once(stripe_client: stripe.StripeClient) -> None:
    stripe_client.v1.coupons.create({"id": "SPRING", "percent_off": 5})

    with pytest.raises(stripe.InvalidRequestError, match="already exists"):
        stripe_client.v1.coupons.create({"id": "SPRING", "percent_off": 5})


def test_promotion_codes_are_made_found_and_updated(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    expires = int(time.time()) + 3600
    promo = promotion_code(
        stripe_client,
        "Glow15",
        max_redemptions=3,
        expires_at=expires,
        restrictions={"minimum_amount": 2000, "minimum_amount_currency": "usd"},
        metadata={"promotion_id": "7"},
    )
    # The 2023 spec's shape: `coupon` at the top level.
    other_coupon = stripe_client.v1.coupons.create({"amount_off": 300, "currency": "usd"})
    old_shape = stripe_sandbox.api(
        "POST", "/v1/promotion_codes", form={"coupon": other_coupon.id, "code": "THREE"}
    )

    assert promo.id.startswith("promo_")
    assert promo.code == "Glow15"
    assert promo.active is True
    assert promo.max_redemptions == 3
    assert promo.expires_at == expires
    assert promo.times_redeemed == 0
    assert promo.restrictions.minimum_amount == 2000
    assert promo.restrictions.minimum_amount_currency == "usd"
    assert promo.restrictions.first_time_transaction is False
    body = promo.to_dict()
    assert body["coupon"]["percent_off"] == 15
    assert body["promotion"] == {"type": "coupon", "coupon": body["coupon"]["id"]}
    assert old_shape.status == 200
    assert old_shape.json()["coupon"]["id"] == other_coupon.id

    by_code = stripe_client.v1.promotion_codes.list({"code": "GLOW15"})
    assert [p.id for p in by_code.data] == [promo.id]
    by_coupon = stripe_client.v1.promotion_codes.list({"coupon": other_coupon.id})
    assert [p.code for p in by_coupon.data] == ["THREE"]
    assert len(stripe_client.v1.promotion_codes.list({"active": True}).data) == 2

    # The code is unique regardless of case among active codes...
    with pytest.raises(stripe.InvalidRequestError, match="already exists") as info:
        promotion_code(stripe_client, "glow15")
    assert info.value.param == "code"
    ended = stripe_client.v1.promotion_codes.update(
        promo.id, {"active": False, "metadata": {"ended_by": "staff"}}
    )
    assert ended.active is False
    assert ended.to_dict()["metadata"] == {"promotion_id": "7", "ended_by": "staff"}
    # ... so once it has ended, the code can be given again.
    again = promotion_code(stripe_client, "glow15")
    assert again.active is True
    assert [p.id for p in stripe_client.v1.promotion_codes.list({"active": False}).data] == [
        promo.id
    ]
    with pytest.raises(stripe.InvalidRequestError, match="already exists"):
        stripe_client.v1.promotion_codes.update(promo.id, {"active": True})
    assert stripe_client.v1.promotion_codes.retrieve(promo.id).active is False


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"coupon": None}, "coupon", "Missing required param: coupon."),
        ({"coupon": "nope"}, "coupon", "No such coupon: 'nope'"),
        ({"code": "TWO WORDS"}, "code", "only letters"),
        ({"max_redemptions": 11}, "max_redemptions", "cannot be greater than the coupon's"),
        ({"expires_at": 1000}, "expires_at", "must be in the future"),
        (
            {"restrictions": {"minimum_amount": 2000}},
            "restrictions[minimum_amount_currency]",
            "minimum_amount_currency",
        ),
        (
            {"restrictions": {"minimum_amount": 2000, "minimum_amount_currency": "zzz"}},
            "restrictions[minimum_amount_currency]",
            "Invalid currency",
        ),
        ({"percent_off": 10}, "percent_off", "Received unknown parameter: percent_off"),
    ],
)
def test_bad_promotion_code_params_are_refused(
    stripe_client: stripe.StripeClient, params: dict[str, Any], param: str, message: str
) -> None:
    _needs_spec(message)
    coupon = stripe_client.v1.coupons.create({"percent_off": 10, "max_redemptions": 10})
    body = {"coupon": coupon.id} | params  # the 2023 spec's shape (None: left out)

    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.promotion_codes.create(cast("PromotionCodeCreateParams", body))

    assert info.value.http_status == 400
    assert info.value.param == param
    assert message in str(info.value.user_message)


def _discounted(
    client: stripe.StripeClient, discounts: list[dict[str, str]], **more: Any
) -> stripe.checkout.Session:
    params = session_params(discounts=discounts, expand=["line_items"], **more)
    return client.v1.checkout.sessions.create(params)


def test_a_promotion_code_discounts_the_goods_not_the_shipping(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    promo = promotion_code(stripe_client, "GLOW15")

    session = _discounted(stripe_client, [{"promotion_code": promo.id}])

    discount = (SUBTOTAL * 15 + 50) // 100
    assert discount == 1005
    assert session.amount_subtotal == SUBTOTAL
    totals = session.to_dict()["total_details"]
    assert totals == {"amount_discount": 1005, "amount_shipping": 695, "amount_tax": 0}
    assert session.amount_total == SUBTOTAL - 1005 + 695
    assert session.allow_promotion_codes is None
    assert [d.to_dict() for d in session.discounts or []] == [
        {"coupon": promo.to_dict()["coupon"]["id"], "promotion_code": promo.id}
    ]
    assert session.line_items is not None
    lines = [
        (li.amount_subtotal, li.amount_discount, li.amount_total) for li in session.line_items.data
    ]
    assert lines == [(4900, 735, 4165), (1800, 270, 1530)]
    expanded = stripe_client.v1.checkout.sessions.retrieve(
        session.id, {"expand": ["discounts.promotion_code"]}
    )
    assert expanded.to_dict()["discounts"][0]["promotion_code"]["code"] == "GLOW15"
    listed = stripe_client.v1.checkout.sessions.line_items.list(session.id)
    assert sum(li.amount_discount for li in listed.data) == 1005


@pytest.mark.parametrize(
    ("coupon", "discount"),
    [
        ({"percent_off": 12.5}, 838),  # 837.5 rounds half up
        ({"percent_off": 10}, 670),
        ({"percent_off": 100}, SUBTOTAL),
        ({"amount_off": 500, "currency": "usd"}, 500),
        ({"amount_off": 10_000, "currency": "usd"}, SUBTOTAL),  # never more than the goods
    ],
)
def test_coupon_arithmetic(
    stripe_client: stripe.StripeClient, coupon: dict[str, Any], discount: int
) -> None:
    made = stripe_client.v1.coupons.create(cast("CouponCreateParams", coupon))

    session = _discounted(stripe_client, [{"coupon": made.id}])

    assert session.to_dict()["total_details"]["amount_discount"] == discount
    assert session.amount_total == SUBTOTAL - discount + 695
    assert session.line_items is not None
    assert sum(li.amount_discount for li in session.line_items.data) == discount
    assert session.to_dict()["discounts"] == [{"coupon": made.id, "promotion_code": None}]


def test_discounts_and_allow_promotion_codes_together_are_refused(
    stripe_client: stripe.StripeClient,
) -> None:
    promo = promotion_code(stripe_client, "BOTH")

    with pytest.raises(stripe.InvalidRequestError) as info:
        _discounted(stripe_client, [{"promotion_code": promo.id}], allow_promotion_codes=True)

    assert info.value.param == "allow_promotion_codes"
    assert info.value.user_message == (
        "You may only specify one of these parameters: allow_promotion_codes, discounts."
    )


def test_codes_that_cannot_apply_are_refused_at_creation(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    param = "discounts[0][promotion_code]"
    with pytest.raises(stripe.InvalidRequestError) as info:
        _discounted(stripe_client, [{"promotion_code": "promo_nope"}])
    assert (info.value.http_status, info.value.code, info.value.param) == (
        400,
        "resource_missing",
        param,
    )

    inactive = promotion_code(stripe_client, "ENDED", active=False)
    soon = promotion_code(stripe_client, "SOON", expires_at=int(time.time()) + 60)
    once = promotion_code(stripe_client, "ONCE", max_redemptions=1)
    big = promotion_code(
        stripe_client,
        "BIG",
        restrictions={"minimum_amount": SUBTOTAL + 1, "minimum_amount_currency": "usd"},
    )
    paid = _discounted(stripe_client, [{"promotion_code": once.id}])
    stripe_sandbox.pay(paid.id)
    stripe_sandbox.control("POST", "clock", {"advance": 120})
    euros = stripe_client.v1.coupons.create({"amount_off": 500, "currency": "eur"})

    refusals = {}
    for promo in (inactive, soon, once, big):
        with pytest.raises(stripe.InvalidRequestError) as info:
            _discounted(stripe_client, [{"promotion_code": promo.id}])
        assert info.value.http_status == 400
        assert info.value.param == param
        refusals[promo.code] = info.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as info:
        _discounted(stripe_client, [{"coupon": euros.id}])

    assert refusals == {
        "ENDED": "This promotion code is inactive.",
        "SOON": "This promotion code has expired.",
        "ONCE": "This promotion code has reached its maximum number of redemptions.",
        "BIG": "This promotion code requires a minimum order of $67.01.",
    }
    assert info.value.param == "discounts[0][coupon]"
    assert "must match the currency" in str(info.value.user_message)


@pytest.mark.parametrize(
    ("address", "tax", "place"),
    [
        ({"country": "US", "state": "CA"}, 413, "California"),  # (6700 - 1005) * 7.25%
        ({"country": "US", "state": "OR"}, 0, "Oregon"),
        ({"country": "CA", "state": "QC"}, 853, "Quebec"),  # 5695 * 14.975% = 852.8
        ({"country": "CA", "state": "ON"}, 740, "Ontario"),  # 740.35
    ],
)
def test_automatic_tax_comes_from_the_address(
    stripe_sandbox: StripeSandbox,
    stripe_client: stripe.StripeClient,
    address: dict[str, str],
    tax: int,
    place: str,
) -> None:
    promo = promotion_code(stripe_client, "GLOW15")
    session = _discounted(
        stripe_client, [{"promotion_code": promo.id}], automatic_tax={"enabled": True}
    )
    assert session.automatic_tax.enabled is True
    assert session.automatic_tax.status == "requires_location_inputs"
    assert session.to_dict()["total_details"]["amount_tax"] == 0

    paid = stripe_sandbox.pay(session.id, address=address, shipping_option=1)["session"]

    assert paid["automatic_tax"]["status"] == "complete"
    assert paid["total_details"] == {
        "amount_discount": 1005,
        "amount_shipping": 1500,
        "amount_tax": tax,
    }
    assert paid["amount_total"] == SUBTOTAL - 1005 + 1500 + tax
    lines = stripe_client.v1.checkout.sessions.line_items.list(session.id).data
    assert sum(li.amount_tax for li in lines) == tax
    assert sum(li.amount_total for li in lines) == SUBTOTAL - 1005 + tax
    completed = stripe_sandbox.events("checkout.session.completed")[0]["event"]["data"]["object"]
    assert completed["total_details"]["amount_tax"] == tax
    assert completed["amount_total"] == paid["amount_total"]
    pi = stripe_client.v1.payment_intents.retrieve(paid["payment_intent"])
    assert pi.amount_received == paid["amount_total"]
    assert stripe_client.v1.promotion_codes.retrieve(promo.id).times_redeemed == 1
    assert stripe_client.v1.coupons.retrieve(promo.to_dict()["coupon"]["id"]).times_redeemed == 1


def test_tax_is_off_unless_asked(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())

    paid = stripe_sandbox.pay(session.id, address={"country": "US", "state": "CA"})["session"]

    assert paid["automatic_tax"]["enabled"] is False
    assert paid["total_details"]["amount_tax"] == 0
    assert paid["amount_total"] == SUBTOTAL + 695


def test_tax_behavior_and_tax_code_are_kept_on_the_price(
    stripe_client: stripe.StripeClient,
) -> None:
    params = session_params(automatic_tax={"enabled": True})
    params["line_items"][0]["price_data"]["tax_behavior"] = "exclusive"
    params["line_items"][0]["price_data"]["product_data"]["tax_code"] = "txcd_99999999"

    params["expand"] = ["line_items"]
    session = stripe_client.v1.checkout.sessions.create(params)

    assert session.line_items is not None
    prices = [li.price for li in session.line_items.data]
    assert [p.tax_behavior if p else None for p in prices] == ["exclusive", "unspecified"]


def test_control_pay_takes_a_typed_code(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    promo = promotion_code(stripe_client, "GLOW15")
    plain = stripe_client.v1.checkout.sessions.create(session_params())
    session = stripe_client.v1.checkout.sessions.create(session_params(allow_promotion_codes=True))
    assert session.allow_promotion_codes is True

    wrong = stripe_sandbox.pay(session.id, promotion_code="NOPE", expect=400)
    not_here = stripe_sandbox.pay(plain.id, promotion_code="glow15", expect=400)
    paid = stripe_sandbox.pay(session.id, promotion_code="glow15")["session"]

    assert wrong["error"]["message"] == "This code is invalid."
    assert "does not accept promotion codes" in not_here["error"]["message"]
    assert paid["total_details"]["amount_discount"] == 1005
    assert paid["discounts"] == [
        {"coupon": promo.to_dict()["coupon"]["id"], "promotion_code": promo.id}
    ]
    assert stripe_client.v1.promotion_codes.retrieve(promo.id).times_redeemed == 1


@pytest.mark.parametrize("how", ["ended", "used up", "coupon deleted"])
def test_a_code_that_stopped_applying_refuses_the_payment(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient, how: str
) -> None:
    promo = promotion_code(stripe_client, "ONCE", max_redemptions=1)
    first = _discounted(stripe_client, [{"promotion_code": promo.id}])
    second = _discounted(stripe_client, [{"promotion_code": promo.id}])
    if how == "ended":
        stripe_client.v1.promotion_codes.update(promo.id, {"active": False})
        expected = "This promotion code is inactive."
    elif how == "used up":
        stripe_sandbox.pay(first.id)
        expected = "This promotion code has reached its maximum number of redemptions."
    else:
        stripe_client.v1.coupons.delete(promo.to_dict()["coupon"]["id"])
        expected = "The coupon behind this promotion code is no longer valid."

    refused = stripe_sandbox.pay(second.id, expect=400)
    assert second.url is not None
    page = http("POST", second.url, form=CARD_FORM)

    assert refused["error"]["message"].startswith(expected)
    assert "Go back to the shop" in refused["error"]["message"]
    assert page.status == 400
    assert expected in page.text
    assert stripe_client.v1.checkout.sessions.retrieve(second.id).status == "open"
    times = 1 if how == "used up" else 0
    assert len(stripe_sandbox.events("checkout.session.completed")) == times
    assert stripe_client.v1.promotion_codes.retrieve(promo.id).times_redeemed == times


def test_a_coupon_runs_out_after_max_redemptions(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    coupon = stripe_client.v1.coupons.create({"percent_off": 20, "max_redemptions": 1})
    first = _discounted(stripe_client, [{"coupon": coupon.id}])
    second = _discounted(stripe_client, [{"coupon": coupon.id}])

    stripe_sandbox.pay(first.id)
    refused = stripe_sandbox.pay(second.id, expect=400)

    after = stripe_client.v1.coupons.retrieve(coupon.id)
    assert (after.times_redeemed, after.valid) == (1, False)
    assert "no longer valid" in refused["error"]["message"]
    with pytest.raises(stripe.InvalidRequestError, match="no longer valid"):
        _discounted(stripe_client, [{"coupon": coupon.id}])
    with pytest.raises(stripe.InvalidRequestError, match="cannot get new promotion codes"):
        stripe_client.v1.promotion_codes.create(
            {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "LATE"}
        )


def test_pay_page_applies_a_code_and_shows_the_tax(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    promotion_code(stripe_client, "GLOW15")
    session = stripe_client.v1.checkout.sessions.create(
        session_params(allow_promotion_codes=True, automatic_tax={"enabled": True})
    )
    assert session.url is not None
    typed = CARD_FORM | {"country": "US", "state": "CA", "city": "Oakland", "shipping_option": "0"}

    first = http("GET", session.url)
    wrong = http("POST", session.url, form=typed | {"action": "apply_code", "promotion_code": "X"})
    applied = http(
        "POST", session.url, form=typed | {"action": "apply_code", "promotion_code": "glow15"}
    )
    taxed = http("POST", session.url, form=typed | {"action": "tax", "promotion_code": "glow15"})

    assert 'name="promotion_code"' in first.text
    assert "Enter your address to calculate" in first.text
    assert re.search(r"<title>Pay \$73\.95\W+Stripe sandbox</title>", first.text)
    assert first.text.count("<script>") == 1
    assert wrong.status == 400
    assert "This code is invalid." in wrong.text
    assert 'value="Oakland"' in wrong.text  # what was typed stays
    assert applied.status == 200
    discount_row = 'Discount <span class="code">GLOW15</span></th><td class="num">\u2212$10.05'
    assert discount_row in applied.text
    assert "Pay $63.90" in applied.text  # 67.00 - 10.05 + 6.95, before tax
    assert taxed.status == 200
    assert "Tax (California, 7.25%)" in taxed.text
    assert "$4.13" in taxed.text
    assert "Pay $68.03" in taxed.text  # 67.00 - 10.05 + 6.95 + 4.13
    assert 'value="Ana Lima"' in taxed.text

    paid = http("POST", session.url, form=typed | {"promotion_code": "glow15"})

    assert paid.status == 303
    done = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert done.amount_total == 6803
    assert done.to_dict()["total_details"] == {
        "amount_discount": 1005,
        "amount_shipping": 695,
        "amount_tax": 413,
    }


def test_pay_page_without_codes_or_tax_shows_neither(stripe_client: stripe.StripeClient) -> None:
    session = stripe_client.v1.checkout.sessions.create(session_params())
    assert session.url is not None

    page = http("GET", session.url)

    assert 'name="promotion_code"' not in page.text
    assert "Tax" not in page.text
    assert "Discount" not in page.text


def test_every_new_object_matches_the_schema(
    stripe_sandbox: StripeSandbox, stripe_client: stripe.StripeClient
) -> None:
    if default_shared_dir() is None:
        skip_or_fail("../shared/stripe (or $STRIPE_SHARED_DIR) is not there")
    spec = stripe_sandbox.app.extensions["stripe_sandbox"].spec
    promo = promotion_code(
        stripe_client,
        "GLOW15",
        restrictions={"minimum_amount": 100, "minimum_amount_currency": "usd"},
    )
    session = _discounted(
        stripe_client, [{"promotion_code": promo.id}], automatic_tax={"enabled": True}
    )
    open_raw = stripe_sandbox.api("GET", f"/v1/checkout/sessions/{session.id}").json()
    stripe_sandbox.pay(session.id, address={"country": "US", "state": "NY"})
    paid = stripe_sandbox.api(
        "GET", f"/v1/checkout/sessions/{session.id}?expand[]=line_items"
    ).json()
    coupon_id = promo.to_dict()["coupon"]["id"]
    objects: list[tuple[str, Any]] = [
        ("promotion_code", stripe_sandbox.api("GET", f"/v1/promotion_codes/{promo.id}").json()),
        ("coupon", stripe_sandbox.api("GET", f"/v1/coupons/{coupon_id}").json()),
        ("checkout.session", open_raw),
        ("checkout.session", paid),
        ("item", paid["line_items"]["data"][0]),
        ("deleted_coupon", stripe_sandbox.api("DELETE", f"/v1/coupons/{coupon_id}").json()),
    ]
    objects += [("promotion_code", p) for p in _list(stripe_sandbox, "/v1/promotion_codes")]
    objects += [("coupon", c) for c in _list(stripe_sandbox, "/v1/coupons")]
    objects += [("event", e["event"]) for e in stripe_sandbox.events()]
    objects += [
        (e["event"]["data"]["object"]["object"], e["event"]["data"]["object"])
        for e in stripe_sandbox.events()
    ]

    for name, obj in objects:
        assert spec.validate_object(name, obj) == [], (name, obj.get("id"))
    assert paid["total_details"]["amount_tax"] == 228  # (6700 - 1005) * 4% = 227.8


def _list(sandbox: StripeSandbox, path: str) -> list[Any]:
    data: list[Any] = sandbox.api("GET", path).json()["data"]
    return data
