"""Past orders for the demo at scale: a year of history for the dashboard, reports, exports.

Nothing here touches stock: these orders are history, not holds.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from shop.catalog.models import (
    Product,
    ProductStatus,
    Variant,
)
from shop.core.models import utcnow
from shop.core.templating import money
from shop.demo.loader import BATCH, DemoLoadError
from shop.editorial.models import Answer, AnswerStatus
from shop.extensions import db
from shop.links.models import AnswerDailyStats, AnswerProductLink, OrderAttribution
from shop.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from shop.orders.services import shipping_for

# Past orders: a year of history for the dashboard, the reports and the exports.
ORDER_DAYS = 365
_FIRST_NAMES = [
    "Ava", "Noah", "Maya", "Liam", "Zoe", "Ethan", "Priya", "Lucas", "Amara", "Owen",
    "Sofia", "Mateo", "Hana", "Jonah", "Leila", "Kai", "Nora", "Elijah", "Ines", "Theo",
]  # fmt: skip
_LAST_NAMES = [
    "Rivera", "Chen", "Okafor", "Novak", "Haddad", "Larsen", "Patel", "Moreau", "Kim",
    "Silva", "Brennan", "Tanaka", "Osei", "Fischer", "Duarte", "Walsh", "Ahmed", "Berg",
]  # fmt: skip
_STREETS = ["Maple Street", "Oak Avenue", "Cedar Lane", "Harbor Road", "Elm Court", "Park Row"]
# (city, state, postal code, country): places the shop ships to.
_PLACES = [
    ("Portland", "OR", "97205", "US"),
    ("Seattle", "WA", "98101", "US"),
    ("Austin", "TX", "78701", "US"),
    ("Chicago", "IL", "60601", "US"),
    ("Denver", "CO", "80202", "US"),
    ("Brooklyn", "NY", "11201", "US"),
    ("Oakland", "CA", "94612", "US"),
    ("Toronto", "ON", "M5V 2T6", "CA"),
    ("Vancouver", "BC", "V6B 1A1", "CA"),
    ("Montreal", "QC", "H2X 1Y4", "CA"),
]
_CANCEL_REASONS = ["The delayed payment failed.", "Replaced by a new checkout of the cart."]


@dataclass
class OrderLoadResult:
    orders: int = 0
    lines: int = 0
    events: int = 0
    credited: int = 0  # orders with a source answer
    statuses: dict[OrderStatus, int] = field(default_factory=dict)


def _aware(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; every stored time is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _past_status(age: timedelta, rng: random.Random) -> OrderStatus:
    roll = rng.random()
    if roll < 0.03:
        return OrderStatus.CANCELLED
    if roll < 0.05:
        return OrderStatus.EXPIRED
    if roll < 0.08:
        return OrderStatus.REFUNDED
    if roll < 0.10:
        return OrderStatus.PARTIALLY_REFUNDED
    # The last two days' orders are mostly still waiting to ship; older ones have gone out.
    if age < timedelta(days=2) and rng.random() < 0.8:
        return OrderStatus.PAID
    return OrderStatus.FULFILLED


def _customers(count: int, rng: random.Random) -> list[tuple[str, str, dict[str, Any]]]:
    """(email, name, Stripe-shaped address) for `count` fictional repeat customers."""
    people = []
    for n in range(1, count + 1):
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        city, state, postal_code, country = rng.choice(_PLACES)
        address = {
            "line1": f"{rng.randint(1, 4999)} {rng.choice(_STREETS)}",
            "line2": None,
            "city": city,
            "state": state,
            "postal_code": postal_code,
            "country": country,
        }
        people.append((f"{first}.{last}.{n}@example.com".lower(), f"{first} {last}", address))
    return people


class _Credits:
    """Which published answers a past order can be credited to, as checkout would have."""

    def __init__(self) -> None:
        published = db.session.execute(
            sa.select(Answer.id, Answer.published_at)
            .where(Answer.status == AnswerStatus.PUBLISHED, Answer.published_at.is_not(None))
            .order_by(Answer.published_at, Answer.id)
        ).all()
        self.answers = [(_aware(when), answer_id) for answer_id, when in published if when]
        self.times = [when for when, _ in self.answers]
        when_of = {answer_id: when for when, answer_id in self.answers}
        by_product: dict[int, list[tuple[datetime, int]]] = {}
        for answer_id, product_id in db.session.execute(
            sa.select(AnswerProductLink.answer_id, AnswerProductLink.product_id).order_by(
                AnswerProductLink.id
            )
        ):
            if answer_id in when_of:
                by_product.setdefault(product_id, []).append((when_of[answer_id], answer_id))
        self.by_product = {p: sorted(links) for p, links in by_product.items()}

    def pick(
        self, product_ids: list[int], before: datetime, rng: random.Random
    ) -> list[tuple[int, str]]:
        """The answers read before buying: one recommending a bought product is the source."""
        for product_id in product_ids:
            linking = self.by_product.get(product_id, [])
            readable = bisect.bisect_right(linking, (before, sys.maxsize))
            if not readable:
                continue
            source = linking[rng.randrange(readable)][1]
            credited = [(source, "source")]
            earlier = bisect.bisect_right(self.times, before)
            if earlier > 1 and rng.random() < 0.25:
                assist = self.answers[rng.randrange(earlier)][1]
                if assist != source:
                    credited.insert(0, (assist, "assist"))
            return credited
        return []


@dataclass
class _PastOrder:
    """One generated order before it has an id: its row, lines, timeline and what it bought."""

    row: dict[str, Any]
    lines: list[dict[str, Any]]
    events: list[tuple[datetime, str, str]]
    product_ids: list[int]


class _OrderMaker:
    """Makes believable past orders from the catalogue's sizes and a seeded random."""

    def __init__(self, currency: str, count: int, rng: random.Random) -> None:
        self.currency = currency
        self.rng = rng
        self.variants = db.session.execute(
            sa.select(
                Variant.id,
                Variant.product_id,
                Variant.sku,
                Variant.size_label,
                Variant.price,
                Product.name,
            )
            .join(Product, Product.id == Variant.product_id)
            .where(Product.status != ProductStatus.DRAFT, Variant.currency == currency)
            .order_by(Variant.id)
        ).all()
        if not self.variants:
            raise DemoLoadError(f"Load the catalogue first: no size is sold in {currency}.")
        # A few bestsellers and a long tail, like a real shop.
        ranks = list(range(len(self.variants)))
        rng.shuffle(ranks)
        self.cum_weights = list(itertools.accumulate(1 / (rank + 25) for rank in ranks))
        self.customers = _customers(max(1, count * 2 // 5), rng)
        self.formatted: dict[int, str] = {}

    def _money(self, amount: int) -> str:
        # Babel is slow enough to notice 50,000 times; amounts repeat a lot.
        if amount not in self.formatted:
            self.formatted[amount] = money(amount, self.currency)
        return self.formatted[amount]

    def _lines(self) -> list[dict[str, Any]]:
        rng = self.rng
        wanted = rng.choices((1, 2, 3), (55, 30, 15))[0]
        picked = rng.choices(self.variants, cum_weights=self.cum_weights, k=wanted)
        lines = []
        for variant in {v.id: v for v in picked}.values():  # one line per size
            quantity = rng.choices((1, 2, 3), (80, 15, 5))[0]
            lines.append(
                {
                    "variant_id": variant.id,
                    "product_id": variant.product_id,
                    "product_name": variant.name,
                    "size_label": variant.size_label,
                    "sku": variant.sku,
                    "unit_price": variant.price,
                    "quantity": quantity,
                    "line_total": variant.price * quantity,
                }
            )
        return lines

    def make(self, created: datetime, now: datetime) -> _PastOrder:
        """One order placed at `created`, taken as far through its life as `now` allows."""
        rng = self.rng
        status = _past_status(now - created, rng)
        lines = self._lines()
        subtotal = sum(line["line_total"] for line in lines)
        _, shipping = shipping_for(subtotal)
        total = subtotal + shipping
        email, name, address = rng.choice(self.customers)
        events = [
            (created, "created", f"Checkout started for {len(lines)} item line(s); stock held.")
        ]
        paid_at: datetime | None = None
        closed_at: datetime | None = None
        shipment: dict[str, object] = {"carrier": None, "tracking_number": None, "shipped_at": None}
        refunded = 0
        if status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
            closed_at = min(now, created + timedelta(minutes=rng.randint(31, 90)))
            reason = (
                rng.choice(_CANCEL_REASONS)
                if status is OrderStatus.CANCELLED
                else "The checkout expired unpaid."
            )
            events.append((closed_at, status.value, reason))
        else:
            paid_at = min(now, created + timedelta(minutes=rng.randint(1, 8)))
            events.append((paid_at, "paid", f"Paid {self._money(total)}."))
            shipped_at = paid_at + timedelta(hours=rng.randint(6, 48))
            if status is not OrderStatus.PAID and shipped_at >= now:
                status = OrderStatus.PAID  # too recent to have shipped, or been refunded
            if status is not OrderStatus.PAID:
                tracking = f"1Z{rng.randrange(10**15):015d}"
                events.append((shipped_at, "fulfilled", f"Shipped with UPS, tracking {tracking}."))
                shipment = {"carrier": "UPS", "tracking_number": tracking, "shipped_at": shipped_at}
            if status is OrderStatus.REFUNDED:
                refunded = total
            elif status is OrderStatus.PARTIALLY_REFUNDED:
                refunded = lines[-1]["line_total"] if len(lines) > 1 else max(1, total // 2)
            if refunded:
                refunded_at = min(now, shipped_at + timedelta(days=rng.randint(1, 10)))
                events.append((refunded_at, "refund", f"Refunded {self._money(refunded)} in all."))
        row = {
            "public_id": secrets.token_urlsafe(16),
            "status": status,
            "email": email,
            "currency": self.currency,
            "subtotal": subtotal,
            "shipping": shipping,
            "total": total,
            "amount_paid": total if paid_at is not None else None,
            "refunded_amount": refunded,
            "checkout_expires_at": created + timedelta(minutes=31),
            "shipping_name": name if paid_at is not None else None,
            "shipping_address": address if paid_at is not None else None,
            "paid_at": paid_at,
            "closed_at": closed_at,
            "created_at": created,
            "updated_at": events[-1][0],
            **shipment,
        }
        product_ids = [line.pop("product_id") for line in lines]
        return _PastOrder(row, lines, events, product_ids)


def load_past_orders(
    total: int,
    currency: str,
    progress: Callable[[int], None] | None = None,
    seed: int = 17,
    days: int = ORDER_DAYS,
    batch: int = BATCH,
) -> OrderLoadResult:
    """Grow the shop's history to `total` past orders spread over the last `days` days.

    Orders are numbered as checkout numbers them and snapshot real sizes; totals add up
    with the shop's shipping rule. Some are credited to an answer, published by then,
    that recommends something in them (as checkout credits the answers read), with the
    answer's daily figures to match.
    Past orders are history: they never hold or take stock.
    """
    result = OrderLoadResult()
    rng = random.Random(seed)
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Order)) or 0
    missing = max(0, total - have)
    if not missing:
        return result
    maker = _OrderMaker(currency, missing, rng)
    credits = _Credits()
    now = utcnow()
    # Oldest first, so numbers rise with time. Sales double over the period: the density
    # grows linearly, 1 + x for x from 0 (`days` ago) to 1 (now), sampled by its inverse.
    ages = sorted(
        (days * (2 - math.sqrt(1 + 3 * rng.random())) for _ in range(missing)), reverse=True
    )
    reads: dict[tuple[int, date], int] = {}
    for start in range(0, missing, batch):
        made = [maker.make(now - timedelta(days=age), now) for age in ages[start : start + batch]]
        # Ids matched up by public id: an ordered RETURNING makes SQLite insert row by row.
        # render_nulls keeps rows with and without a payment in the same batches.
        id_of = dict(
            db.session.execute(
                sa.insert(Order)
                .returning(Order.public_id, Order.id)
                .execution_options(render_nulls=True),
                [order.row for order in made],
            ).all()
        )
        ids = [id_of[order.row["public_id"]] for order in made]
        # Numbered as create_pending_order numbers them, now that the ids are known; by
        # primary key, so no lookup depends on the planner's view of a table still filling.
        db.session.execute(sa.update(Order), [{"id": i, "number": f"DH-{100000 + i}"} for i in ids])
        line_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        credit_rows: list[dict[str, Any]] = []
        for order_id, order in zip(ids, made, strict=True):
            created: datetime = order.row["created_at"]
            line_rows.extend({"order_id": order_id, **line} for line in order.lines)
            event_rows.extend(
                {"order_id": order_id, "kind": kind, "message": message, "created_at": when}
                for when, kind, message in order.events
            )
            credited = credits.pick(order.product_ids, created, rng) if rng.random() < 0.35 else []
            for answer_id, role in credited:
                credit_rows.append({"order_id": order_id, "answer_id": answer_id, "role": role})
                reads[(answer_id, created.date())] = reads.get((answer_id, created.date()), 0) + 1
            result.credited += bool(credited)
            status = order.row["status"]
            result.statuses[status] = result.statuses.get(status, 0) + 1
        db.session.execute(sa.insert(OrderLine), line_rows)
        db.session.execute(sa.insert(OrderEvent), event_rows)
        if credit_rows:
            db.session.execute(sa.insert(OrderAttribution), credit_rows)
        result.orders += len(made)
        result.lines += len(line_rows)
        result.events += len(event_rows)
        if progress is not None:
            progress(len(made))
    _record_reading(reads, rng, batch)
    db.session.flush()
    return result


def _record_reading(reads: dict[tuple[int, date], int], rng: random.Random, batch: int) -> None:
    """Give credited answers the views, clicks and add-to-carts their orders imply."""
    rows = []
    for (answer_id, day), orders in sorted(reads.items()):
        add_to_carts = orders + rng.randint(0, orders + 1)
        clicks = add_to_carts + rng.randint(1, 3 * orders + 2)
        rows.append(
            {
                "answer_id": answer_id,
                "day": day,
                "views": clicks * rng.randint(3, 8) + rng.randint(0, 20),
                "product_clicks": clicks,
                "add_to_carts": add_to_carts,
            }
        )
    for start in range(0, len(rows), batch):
        db.session.execute(sa.insert(AnswerDailyStats), rows[start : start + batch])
