"""Charts drawn on the server as inline SVG: no JavaScript, no charting library."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from flask import current_app, has_app_context
from markupsafe import Markup, escape

from shop.core.money import format_money

WIDTH = 640
HEIGHT = 240
LEFT = 80  # room for the amount label
RIGHT = 10
TOP = 20
BOTTOM = 30  # room for the day labels
GAP = 2


def _locale() -> str:
    return str(current_app.config["SHOP_LOCALE"]) if has_app_context() else "en_US"


def sales_chart_svg(days: list[tuple[date, int]], currency: str) -> Markup:
    """A bar per day of sales (minor units), with its axes, title and description.

    Every text is escaped; the result is safe to place in a page as it is.
    """
    locale = _locale()

    def money(amount: int) -> str:
        return format_money(amount, currency, locale)

    def day_label(day: date) -> str:
        return str(format_date(day, "medium", locale=locale))

    amounts = [max(0, amount) for _, amount in days]
    total = sum(amount for _, amount in days)
    peak = max(amounts, default=0)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    period = f"{day_label(days[0][0])} to {day_label(days[-1][0])}" if days else "no days"
    title = f"Sales, last {len(days)} days: {money(total)}"
    if peak:
        best_day, best = max(days, key=lambda d: (d[1], d[0]))
        desc = (
            f"Paid sales less refunds per day, {period}: {money(total)} in all; "
            f"the best day was {day_label(best_day)} with {money(best)}."
        )
    else:
        desc = f"No sales yet, {period}."

    parts = [
        f'<svg class="sales-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'aria-labelledby="sales-chart-title sales-chart-desc">',
        f'<title id="sales-chart-title">{escape(title)}</title>',
        f'<desc id="sales-chart-desc">{escape(desc)}</desc>',
        f'<line class="axis" x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" '
        f'stroke="currentColor"/>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" '
        f'stroke="currentColor"/>',
        f'<text class="axis-label" x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" '
        f'font-size="12">{escape(money(peak))}</text>',
        f'<text class="axis-label" x="{LEFT - 6}" y="{base}" text-anchor="end" '
        f'font-size="12">{escape(money(0))}</text>',
    ]
    if days:
        slot = plot_w / len(days)
        for i, ((day, amount), shown) in enumerate(zip(days, amounts, strict=True)):
            height = round(plot_h * shown / peak, 1) if peak else 0
            x = round(LEFT + i * slot + GAP / 2, 1)
            parts.append(
                f'<rect class="bar" x="{x}" y="{round(base - height, 1)}" '
                f'width="{round(slot - GAP, 1)}" height="{height}" fill="currentColor">'
                f"<title>{escape(day_label(day))}: {escape(money(amount))}</title></rect>"
            )
        parts.append(
            f'<text class="axis-label" x="{LEFT}" y="{HEIGHT - 8}" text-anchor="start" '
            f'font-size="12">{escape(day_label(days[0][0]))}</text>'
        )
        parts.append(
            f'<text class="axis-label" x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end" '
            f'font-size="12">{escape(day_label(days[-1][0]))}</text>'
        )
    if not peak:
        parts.append(
            f'<text class="chart-note" x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" '
            f'text-anchor="middle" font-size="16">No sales yet</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
