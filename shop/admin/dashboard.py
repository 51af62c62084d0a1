"""The staff dashboard (sales, top answers, what needs doing) and the owner's audit log."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, current_app, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole
from shop.admin.charts import sales_chart_svg
from shop.admin.models import AuditEntry
from shop.admin.paging import page_number
from shop.admin.sections import register_section
from shop.catalog.models import Product, Variant
from shop.core.models import utcnow
from shop.editorial.models import QuestionStatus, ReaderQuestion
from shop.extensions import db
from shop.inventory.models import StockRecord
from shop.links.reports import answer_figures
from shop.orders.models import Order, OrderStatus
from shop.orders.statuses import PAID_STATUSES

bp = Blueprint("dashboard", __name__)  # at the admin's own root, /admin/

CHART_DAYS = 30
WAITING_ROWS = 10
QUESTION_ROWS = 5
LOW_STOCK_ROWS = 10
TOP_ANSWERS = 5
AUDIT_PER_PAGE = 100
ENTITY_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
ACTION_RE = re.compile(r"[a-z][a-z0-9_.]{0,59}")
ACTOR_MAX = 254
# The dashboard is the staff home: the things staff start most often, for the roles that may.
SHORTCUTS = (
    ("New answer", "admin.answers.new", (StaffRole.EDITOR,)),
    ("New product", "admin.products.new", (StaffRole.EDITOR,)),
    ("Stocktake", "admin.stock.bulk", (StaffRole.FULFILMENT,)),
)


def register_sections(app: Flask) -> None:
    """List the dashboard (also the staff home, /admin/) and the audit log in the admin
    navigation."""
    register_section(
        app,
        "admin.dashboard.dashboard",
        "Dashboard",
        (StaffRole.EDITOR, StaffRole.FULFILMENT),
        "sales, top answers, what needs doing",
    )
    register_section(
        app, "admin.dashboard.audit", "Audit log", (StaffRole.OWNER,), "every staff change"
    )


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; every stored time is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class Sales:
    """A period's sales: per UTC day, oldest first, and the tax and discounts in them.

    `days` are what customers paid (after discounts, tax included) less refunds; `tax` is the
    sales tax Stripe charged on them and `discounts` what promotion codes took off the goods,
    both leaving out orders refunded in full (their tax and goods went back).
    """

    days: list[tuple[date, int]]
    tax: int
    discounts: int

    @property
    def total(self) -> int:
        """Paid sales less refunds, tax included."""
        return sum(amount for _, amount in self.days)

    @property
    def net_of_tax(self) -> int:
        """Paid sales less refunds, without the tax collected for the authorities."""
        return self.total - self.tax


def sales_by_day(currency: str, today: date | None = None) -> Sales:
    """Paid sales less refunds per UTC day for the last 30 days, with their tax and discounts.

    One query, grouped by day in Python: SQLite and PostgreSQL disagree on turning a time
    into a date.
    """
    last = today or utcnow().date()
    first = last - timedelta(days=CHART_DAYS - 1)
    kept = sa.func.coalesce(Order.amount_paid, Order.total) - Order.refunded_amount
    refunded = Order.status == OrderStatus.REFUNDED
    rows = db.session.execute(
        sa.select(
            Order.paid_at,
            sa.func.sum(kept),
            sa.func.sum(sa.case((refunded, 0), else_=Order.tax)),
            sa.func.sum(sa.case((refunded, 0), else_=Order.discount)),
        )
        .where(
            Order.status.in_(PAID_STATUSES),
            Order.currency == currency,
            Order.paid_at >= datetime.combine(first, time(), tzinfo=UTC),
        )
        .group_by(Order.paid_at)
    ).all()
    totals = {first + timedelta(days=n): 0 for n in range(CHART_DAYS)}
    tax = discounts = 0
    for paid_at, amount, day_tax, day_discounts in rows:
        if paid_at is None:
            continue
        day = _as_utc(paid_at).date()
        if day in totals:
            totals[day] += int(amount or 0)
            tax += int(day_tax or 0)
            discounts += int(day_discounts or 0)
    return Sales(sorted(totals.items()), tax, discounts)


@dataclass(frozen=True)
class Counts:
    waiting: int
    questions: int
    low_stock: int


def _counts(threshold: int) -> Counts:
    """The three to-do counts in one query."""
    waiting = sa.select(sa.func.count(Order.id)).where(Order.status == OrderStatus.PAID)
    questions = sa.select(sa.func.count(ReaderQuestion.id)).where(
        ReaderQuestion.status == QuestionStatus.NEW
    )
    low = sa.select(sa.func.count(StockRecord.variant_id)).where(
        StockRecord.on_hand - StockRecord.allocated <= threshold
    )
    row = db.session.execute(
        sa.select(waiting.scalar_subquery(), questions.scalar_subquery(), low.scalar_subquery())
    ).one()
    return Counts(int(row[0]), int(row[1]), int(row[2]))


def _shortcuts() -> list[tuple[str, str]]:
    """(label, URL) of the `SHORTCUTS` the signed-in member of staff may use."""
    return [
        (label, url_for(endpoint))
        for label, endpoint, roles in SHORTCUTS
        if endpoint in current_app.view_functions and current_user.has_role(*roles)
    ]


def _order_url(order_id: int) -> str | None:
    """The order's admin page, once the orders screens are installed."""
    try:
        return url_for("admin.orders.detail", order_id=order_id)
    except BuildError:
        return None


@bp.get("/dashboard")
@role_required()
def dashboard() -> str:
    """Sales for the last 30 days, top answers, and what is waiting for staff."""
    currency = str(current_app.config["SHOP_CURRENCY"])
    threshold = int(current_app.config["SHOP_LOW_STOCK_THRESHOLD"])
    sales = sales_by_day(currency)
    counts = _counts(threshold)
    waiting = db.session.execute(
        sa.select(Order.id, Order.number, Order.email, Order.total, Order.currency, Order.paid_at)
        .where(Order.status == OrderStatus.PAID)
        .order_by(Order.paid_at.asc(), Order.id.asc())
        .limit(WAITING_ROWS)
    ).all()
    questions = db.session.execute(
        sa.select(
            ReaderQuestion.id, ReaderQuestion.name, ReaderQuestion.question,
            ReaderQuestion.created_at,
        )
        .where(ReaderQuestion.status == QuestionStatus.NEW)
        .order_by(ReaderQuestion.created_at.desc(), ReaderQuestion.id.desc())
        .limit(QUESTION_ROWS)
    ).all()  # fmt: skip
    available = StockRecord.on_hand - StockRecord.allocated
    low = db.session.execute(
        sa.select(
            Variant.id, Variant.sku, Variant.size_label, Product.name.label("product_name"),
            available.label("available"),
        )
        .join(Product, Product.id == Variant.product_id)
        .join(StockRecord, StockRecord.variant_id == Variant.id)
        .where(available <= threshold)
        .order_by(available, Product.name, Variant.sku)
        .limit(LOW_STOCK_ROWS)
    ).all()  # fmt: skip
    top = answer_figures(sales.days[0][0])[:TOP_ANSWERS]
    return render_template(
        "admin/dashboard.html",
        chart=sales_chart_svg(sales.days, currency),
        sales=sales,
        currency=currency,
        counts=counts,
        waiting=[(row, _order_url(row.id)) for row in waiting],
        questions=questions,
        low=low,
        threshold=threshold,
        top=top,
        shortcuts=_shortcuts(),
    )


# The staff home, where /admin/ and signing in land, is the dashboard itself.
bp.add_url_rule("/", "home", dashboard, methods=["GET"])


def _filter(name: str, pattern: re.Pattern[str] | None, limit: int) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip()
    if len(value) > limit or (pattern is not None and not pattern.fullmatch(value)):
        abort(400, description=f"The {name} filter is not one the audit log could hold.")
    if any(ord(c) < 32 for c in value):
        abort(400, description=f"The {name} filter is not one the audit log could hold.")
    return value


def compact_json(data: dict[str, Any] | None) -> str:
    """A changed-fields dict on one line (the template escapes it)."""
    if data is None:
        return "—"
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


@bp.get("/audit")
@role_required(StaffRole.OWNER)
def audit() -> str:
    """Every staff write, newest first, 100 a page; filter by actor, entity and action."""
    actor = _filter("actor", None, ACTOR_MAX)
    entity = _filter("entity", ENTITY_RE, 40)
    action = _filter("action", ACTION_RE, 60)
    number = page_number()
    conditions: list[Any] = []
    if actor is not None:
        conditions.append(sa.func.lower(AuditEntry.actor_email) == actor.lower())
    if entity is not None:
        conditions.append(AuditEntry.entity == entity)
    if action is not None:
        conditions.append(AuditEntry.action == action)
    total = int(db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(*conditions)) or 0)
    pages = max(1, math.ceil(total / AUDIT_PER_PAGE))
    if number > pages:
        abort(404, description=f"There is no page {number}; this list has {pages}.")
    found = db.session.scalars(
        sa.select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.id.desc())
        .limit(AUDIT_PER_PAGE)
        .offset((number - 1) * AUDIT_PER_PAGE)
    ).all()
    return render_template(
        "admin/audit.html",
        entries=[(e, compact_json(e.before), compact_json(e.after)) for e in found],
        actor=actor or "",
        entity=entity or "",
        action=action or "",
        page=number,
        pages=pages,
        total=total,
    )
