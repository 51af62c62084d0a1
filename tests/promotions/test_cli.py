"""`flask --app shop promotions ...`: codes made at Stripe (the sandbox) and in the shop,
every refusal naming its option, ending, re-making after a sandbox reset, and the list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from shop.admin.models import AuditEntry
from shop.demo.promotions import READER_ANSWER, load_promotions
from shop.editorial.models import AnswerStatus
from shop.payments.installation import idempotency_prefix
from shop.promotions.rules import check_code
from tests.factories import make_answer
from tests.fixtures_stripe import StripeSandbox
from tests.promotions.conftest import at_stripe, promotions, sent

COUPONS = "/v1/coupons"
CODES = "/v1/promotion_codes"


def test_a_percentage_code_is_made_at_stripe_and_in_the_shop(
    runner: FlaskCliRunner, stripe_shop: StripeSandbox
) -> None:
    result = runner.invoke(args=["promotions", "create", "welcome10", "--percent-off", "10"])

    assert result.exit_code == 0, result.output
    [promotion] = promotions()
    assert promotion.code == "WELCOME10"
    assert (promotion.percent_off, promotion.amount_off, promotion.currency) == (10, None, "USD")
    assert (
        f"Made WELCOME10: 10% off (Stripe promotion code {promotion.stripe_promotion_code_id})"
        in (result.output)
    )
    [coupon] = sent(stripe_shop, COUPONS)
    assert coupon["percent_off"] == "10"
    assert coupon["duration"] == "once"
    assert "amount_off" not in coupon
    [code] = sent(stripe_shop, CODES)
    assert code["promotion"] == {"type": "coupon", "coupon": promotion.stripe_coupon_id}
    assert code["code"] == "WELCOME10"
    assert not {"restrictions", "max_redemptions", "expires_at"} & set(code)
    held = at_stripe(stripe_shop, promotion.stripe_promotion_code_id or "")
    assert held["active"] is True
    assert held["code"] == "WELCOME10"
    # The shop's own rules now accept it: 10% of $42.00.
    assert check_code("Welcome10", 4200, "usd").discount == 420


def test_an_amount_code_sends_every_option_to_stripe(
    runner: FlaskCliRunner, db: SQLAlchemy, stripe_shop: StripeSandbox
) -> None:
    answer = make_answer("Why is my jaw breaking out?", slug="jaw-acne")
    db.session.commit()

    result = runner.invoke(
        args=[
            "promotions", "create", "READERS5",
            "--amount-off", "500",
            "--min-subtotal", "3000",
            "--max-redemptions", "25",
            "--expires", "2099-12-31",
            "--once-per-customer",
            "--answer", "jaw-acne",
        ]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Made READERS5: $5.00 off" in result.output
    [promotion] = promotions()
    assert promotion.amount_off == 500
    assert promotion.percent_off is None
    assert (promotion.min_subtotal, promotion.max_redemptions) == (3000, 25)
    assert promotion.once_per_customer is True
    assert promotion.answer_id == answer.id
    end_of_day = datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)
    [coupon] = sent(stripe_shop, COUPONS)
    assert (coupon["amount_off"], coupon["currency"]) == ("500", "usd")
    assert "percent_off" not in coupon
    [code] = sent(stripe_shop, CODES)
    assert code["code"] == "READERS5"
    assert code["max_redemptions"] == "25"
    assert code["expires_at"] == str(int(end_of_day.timestamp()))
    # Stripe's first_time_transaction means "never paid before", not once per customer.
    assert code["restrictions"] == {"minimum_amount": "3000", "minimum_amount_currency": "usd"}
    held = at_stripe(stripe_shop, promotion.stripe_promotion_code_id or "")
    assert held["max_redemptions"] == 25
    assert held["expires_at"] == int(end_of_day.timestamp())
    assert held["restrictions"]["minimum_amount"] == 3000
    audit = db.session.scalars(sa.select(AuditEntry)).all()
    assert [(a.action, a.entity_id, a.actor_email) for a in audit] == [
        ("promotion.create", "READERS5", "command line")
    ]


REFUSALS = [
    (["SAVE 10", "--percent-off", "10"], "CODE may not contain spaces"),
    (["A" * 41, "--percent-off", "10"], "CODE is longer than 40 characters"),
    (["AB", "--percent-off", "10"], "CODE must be at least 3 characters"),
    (["SAVE_10", "--percent-off", "10"], "only letters and digits"),
    (["SAVE10", "--percent-off", "0"], "--percent-off must be 1 to 100"),
    (["SAVE10", "--percent-off", "101"], "--percent-off must be 1 to 100"),
    (["SAVE10", "--amount-off", "-500"], "--amount-off must be 1 or more"),
    (["SAVE10", "--amount-off", "0"], "--amount-off must be 1 or more"),
    (["SAVE10"], "exactly one of --percent-off and --amount-off"),
    (["SAVE10", "--percent-off", "5", "--amount-off", "5"], "exactly one of --percent-off"),
    (["SAVE10", "--percent-off", "5", "--min-subtotal", "-1"], "--min-subtotal must be 0 or more"),
    (["SAVE10", "--percent-off", "5", "--max-redemptions", "0"], "--max-redemptions must be 1"),
    (["SAVE10", "--percent-off", "5", "--expires", "2001-02-03"], "The expiry date is in the past"),
    (["SAVE10", "--percent-off", "5", "--expires", "2027-13-01"], "--expires '2027-13-01' is not"),
    (["SAVE10", "--percent-off", "5", "--answer", "no-such"], "no published answer “no-such”"),
    (["SAVE10", "--percent-off", "5", "--answer", "a-draft"], "no published answer “a-draft”"),
    (["taken", "--percent-off", "5"], "already a promotion with the code TAKEN"),
    (["SAVE10", "--amount-off", "5", "--currency", "EURO"], "three-letter code"),
]


@pytest.mark.parametrize(("args", "message"), REFUSALS)
def test_bad_input_is_refused_naming_the_option_and_nothing_is_made(
    runner: FlaskCliRunner,
    db: SQLAlchemy,
    stripe_shop: StripeSandbox,
    args: list[str],
    message: str,
) -> None:
    make_answer(slug="a-draft", status=AnswerStatus.DRAFT)
    db.session.commit()
    assert (
        runner.invoke(args=["promotions", "create", "TAKEN", "--percent-off", "5"]).exit_code == 0
    )
    made_before = len(sent(stripe_shop, COUPONS))

    result = runner.invoke(args=["promotions", "create", *args])

    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    if "--expires" in args and "past" in message:
        assert "Invalid value for --expires" in result.output
    if "--answer" in args:
        assert "Invalid value for --answer" in result.output
    assert [p.code for p in promotions()] == ["TAKEN"]
    assert len(sent(stripe_shop, COUPONS)) == made_before


def test_an_amount_in_another_currency(runner: FlaskCliRunner, stripe_shop: StripeSandbox) -> None:
    result = runner.invoke(
        args=["promotions", "create", "EURO5", "--amount-off", "500", "--currency", "eur"]
    )

    assert result.exit_code == 0, result.output
    assert "Made EURO5: €5.00 off" in result.output
    [coupon] = sent(stripe_shop, COUPONS)
    assert (coupon["amount_off"], coupon["currency"]) == ("500", "eur")
    assert promotions()[0].currency == "EUR"


def test_sync_keeps_the_codes_made_before_one_stripe_refuses(
    runner: FlaskCliRunner, db: SQLAlchemy, stripe_shop: StripeSandbox
) -> None:
    make_answer(slug=READER_ANSWER)
    load_promotions("USD")
    db.session.commit()
    # Someone made READERS15 on Stripe's dashboard: an active code is unique there.
    coupon = stripe_shop.api("POST", COUPONS, {"percent_off": "50"}).json()
    taken = stripe_shop.api("POST", CODES, {"coupon": coupon["id"], "code": "READERS15"})
    assert taken.status == 200, taken.text

    failed = runner.invoke(args=["promotions", "sync"])

    assert failed.exit_code == 1
    assert "Stripe did not make the code READERS15" in failed.output
    assert "1 made before it were kept" in failed.output
    welcome, readers = promotions()
    assert welcome.stripe_promotion_code_id is not None
    assert at_stripe(stripe_shop, welcome.stripe_promotion_code_id)["code"] == "WELCOME10"
    assert readers.stripe_promotion_code_id is None


def test_stripe_refusing_leaves_no_promotion_and_says_so(
    runner: FlaskCliRunner, db: SQLAlchemy, stripe_shop: StripeSandbox
) -> None:
    idempotency_prefix()  # the migration makes it; here create_all did not
    db.session.commit()
    stripe_shop.fault(CODES, "error_500", count=1)

    result = runner.invoke(args=["promotions", "create", "SPRING", "--percent-off", "20"])

    assert result.exit_code == 1
    assert "Stripe did not make the code SPRING" in result.output
    assert "nothing was saved" in result.output
    assert promotions() == []

    # Asked again, Stripe makes it (the coupon made the first time is reused: same key).
    again = runner.invoke(args=["promotions", "create", "SPRING", "--percent-off", "20"])
    assert again.exit_code == 0, again.output
    [promotion] = promotions()
    assert at_stripe(stripe_shop, promotion.stripe_promotion_code_id or "")["code"] == "SPRING"
    coupons = stripe_shop.requests(path=COUPONS, method="POST")
    assert len({c["idempotency_key"] for c in coupons}) == 1


def test_ending_a_code_deactivates_it_at_stripe(
    runner: FlaskCliRunner, stripe_shop: StripeSandbox
) -> None:
    assert (
        runner.invoke(args=["promotions", "create", "SUMMER", "--percent-off", "15"]).exit_code == 0
    )
    code_id = promotions()[0].stripe_promotion_code_id or ""

    result = runner.invoke(args=["promotions", "end", "summer"])

    assert result.exit_code == 0, result.output
    assert "Ended SUMMER; customers can no longer use it." in result.output
    assert at_stripe(stripe_shop, code_id)["active"] is False
    [promotion] = promotions()
    assert promotion.ended_at is not None
    assert sent(stripe_shop, f"{CODES}/{code_id}") == [{"active": "false"}]

    again = runner.invoke(args=["promotions", "end", "SUMMER"])
    assert again.exit_code == 1
    assert "The code SUMMER has already ended." in again.output
    unknown = runner.invoke(args=["promotions", "end", "NOPE"])
    assert unknown.exit_code == 1
    assert "There is no promotion with the code NOPE." in unknown.output


def test_sync_makes_again_the_codes_a_reset_sandbox_forgot(
    runner: FlaskCliRunner, db: SQLAlchemy, stripe_shop: StripeSandbox
) -> None:
    for args in (["KEEP", "--percent-off", "10"], ["GONE", "--amount-off", "300"]):
        assert runner.invoke(args=["promotions", "create", *args]).exit_code == 0
    assert runner.invoke(args=["promotions", "end", "GONE"]).exit_code == 0
    old = {p.code: p.stripe_promotion_code_id for p in promotions()}
    stripe_shop.reset()

    result = runner.invoke(args=["promotions", "sync"])

    assert result.exit_code == 0, result.output
    assert "Made 1 promotion code again at Stripe." in result.output
    keep, gone = promotions()
    assert keep.stripe_promotion_code_id not in (None, old["KEEP"])
    assert at_stripe(stripe_shop, keep.stripe_promotion_code_id or "")["code"] == "KEEP"
    assert gone.stripe_promotion_code_id == old["GONE"]  # ended: left alone
    assert [p["code"] for p in sent(stripe_shop, CODES)] == ["KEEP"]
    assert check_code("keep", 1000, "USD").discount == 100

    assert "Made 0 promotion codes again" in runner.invoke(args=["promotions", "sync"]).output


def test_the_demo_codes_have_no_stripe_ids_until_sync(
    runner: FlaskCliRunner, db: SQLAlchemy, stripe_shop: StripeSandbox
) -> None:
    make_answer(slug=READER_ANSWER)
    assert load_promotions("USD") == ["WELCOME10", "READERS15"]
    db.session.commit()
    assert [(p.code, p.stripe_promotion_code_id) for p in promotions()] == [
        ("WELCOME10", None),
        ("READERS15", None),
    ]

    result = runner.invoke(args=["promotions", "sync"])

    assert "Made 2 promotion codes again at Stripe." in result.output
    welcome, readers = promotions()
    assert at_stripe(stripe_shop, welcome.stripe_promotion_code_id or "")["code"] == "WELCOME10"
    assert readers.percent_off == 15
    assert readers.answer_id is not None
    assert check_code("welcome10", 5000, "USD").discount == 500


def test_list_shows_each_code_with_its_status(
    runner: FlaskCliRunner, stripe_shop: StripeSandbox
) -> None:
    assert runner.invoke(args=["promotions", "list"]).output == "No promotions yet.\n"
    for args in (
        ["TENOFF", "--percent-off", "10"],
        ["FIVE", "--amount-off", "500", "--max-redemptions", "3"],
    ):
        assert runner.invoke(args=["promotions", "create", *args]).exit_code == 0
    assert runner.invoke(args=["promotions", "end", "TENOFF"]).exit_code == 0

    lines = runner.invoke(args=["promotions", "list"]).output.splitlines()

    assert lines == [
        "FIVE\t$5.00 off\tactive\t0 of 3 paid orders\t$0.00",
        "TENOFF\t10% off\tended\t0 paid orders\t$0.00",
    ]
