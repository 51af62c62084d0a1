"""`flask --app shop promotions ...`: make, end, list and re-make (at Stripe) promotion codes."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from shop.admin.promotions import record_audit
from shop.core.money import format_money
from shop.extensions import db
from shop.promotions.models import Promotion
from shop.promotions.queries import promotion_rows
from shop.promotions.services import (
    PromotionError,
    PromotionFieldError,
    PromotionRules,
    code_problem,
    create_promotion,
    end_promotion,
    sync_promotions,
)

promotions_cli = AppGroup("promotions", help="Promotion codes (a Stripe coupon and code each).")

CLI_ACTOR = "command line"
# The service's field names as the options that set them.
OPTIONS = {
    "code": "CODE",
    "percent_off": "--percent-off",
    "amount_off": "--amount-off",
    "min_subtotal": "--min-subtotal",
    "max_redemptions": "--max-redemptions",
    "expires_on": "--expires",
    "answer": "--answer",
    "currency": "--currency",
}


def _code(ctx: click.Context, param: click.Parameter, value: str) -> str:
    problem = code_problem(value)
    if problem:
        raise click.BadParameter(problem.replace("The code", "CODE"))
    return value


def _expires(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"--expires {value!r} is not a date such as 2027-01-31.") from None


def _percent(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 100:
        raise click.BadParameter("--percent-off must be 1 to 100.")
    return value


def _positive(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    if value is not None and value <= (-1 if param.name == "min_subtotal" else 0):
        least = 0 if param.name == "min_subtotal" else 1
        raise click.BadParameter(f"{param.opts[0]} must be {least} or more.")
    return value


def _discount(promotion: Promotion) -> str:
    if promotion.percent_off is not None:
        return f"{promotion.percent_off}% off"
    return f"{format_money(promotion.amount_off or 0, promotion.currency)} off"


@promotions_cli.command("create")
@click.argument("code", callback=_code)
@click.option("--percent-off", type=int, callback=_percent, help="Percent off goods (1-100).")
@click.option("--amount-off", type=int, callback=_positive, help="Minor units off (500 = $5.00).")
@click.option("--currency", default=None, help="Currency of the amounts (default: the shop's).")
@click.option("--min-subtotal", type=int, callback=_positive, help="Minimum goods, minor units.")
@click.option("--max-redemptions", type=int, callback=_positive, help="Paid orders it may serve.")
@click.option("--expires", callback=_expires, help="Last day it can be used (YYYY-MM-DD, UTC).")
@click.option("--once-per-customer", is_flag=True, help="One use per email address.")
@click.option("--answer", default=None, help="Slug of the published answer it belongs to.")
def create_command(
    code: str,
    percent_off: int | None,
    amount_off: int | None,
    currency: str | None,
    min_subtotal: int | None,
    max_redemptions: int | None,
    expires: date | None,
    once_per_customer: bool,
    answer: str | None,
) -> None:
    """Make promotion CODE at Stripe and in the shop."""
    if (percent_off is None) == (amount_off is None):
        raise click.UsageError("Give exactly one of --percent-off and --amount-off.")
    rules = PromotionRules(
        code=code,
        currency=(currency or current_app.config["SHOP_CURRENCY"]).upper(),
        percent_off=percent_off,
        amount_off=amount_off,
        min_subtotal=min_subtotal,
        max_redemptions=max_redemptions,
        expires_on=expires,
        once_per_customer=once_per_customer,
        answer_slug=answer,
    )
    try:
        promotion = create_promotion(rules)
        record_audit("promotion.create", promotion, None, CLI_ACTOR)
        db.session.commit()
    except PromotionFieldError as exc:
        db.session.rollback()
        raise click.BadParameter(exc.message, param_hint=OPTIONS.get(exc.field)) from exc
    except PromotionError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"Made {promotion.code}: {_discount(promotion)} "
        f"(Stripe promotion code {promotion.stripe_promotion_code_id})."
    )


@promotions_cli.command("end")
@click.argument("code")
def end_command(code: str) -> None:
    """End promotion CODE at Stripe and in the shop."""
    try:
        promotion = end_promotion(code)
        record_audit("promotion.end", promotion, None, CLI_ACTOR)
        db.session.commit()
    except PromotionError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(f"Ended {promotion.code}; customers can no longer use it.")


@promotions_cli.command("sync")
def sync_command() -> None:
    """Make again at Stripe every running promotion Stripe does not know (after a reset)."""
    try:
        made = sync_promotions()
        db.session.commit()
    except PromotionError as exc:
        db.session.commit()  # keep the codes Stripe made before it stopped
        raise click.ClickException(f"{exc.message} Run `promotions sync` again.") from exc
    click.echo(f"Made {made} promotion code{'s' if made != 1 else ''} again at Stripe.")


@promotions_cli.command("list")
def list_command() -> None:
    """List every promotion with its status, redemptions and revenue."""
    rows = promotion_rows()
    if not rows:
        click.echo("No promotions yet.")
        return
    for row in rows:
        p = row.promotion
        limit = f" of {p.max_redemptions}" if p.max_redemptions else ""
        click.echo(
            f"{p.code}\t{_discount(p)}\t{row.status.value}\t"
            f"{row.redemptions}{limit} paid orders\t{format_money(row.revenue, p.currency)}"
        )
