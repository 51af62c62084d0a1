"""An order's moves between statuses (`OrderStatus` is in models) and the status groups.

This is the one place these sets are written: the admin, the reports, the promotions'
rules and settlement import them from here, so "paid" means the same everywhere.
"""

from __future__ import annotations

from shop.orders.models import OrderStatus

# The only moves an order may make. Anything else is refused, which makes every
# transition monotonic: a late "expired" after "paid" changes nothing.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {
            OrderStatus.PROCESSING,
            OrderStatus.PAID,
            OrderStatus.REVIEW,
            OrderStatus.CANCELLED,
            OrderStatus.EXPIRED,
        }
    ),
    OrderStatus.PROCESSING: frozenset(
        {OrderStatus.PAID, OrderStatus.REVIEW, OrderStatus.CANCELLED}
    ),
    OrderStatus.REVIEW: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.REFUNDED}),
    OrderStatus.PAID: frozenset(
        {OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
    ),
    OrderStatus.FULFILLED: frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}),
    OrderStatus.PARTIALLY_REFUNDED: frozenset(
        {OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED, OrderStatus.FULFILLED}
    ),
    OrderStatus.REFUNDED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
}


def sources_of(to: OrderStatus) -> frozenset[OrderStatus]:
    """Return the statuses the transition table lets an order move to `to` from."""
    return frozenset(source for source, targets in TRANSITIONS.items() if to in targets)


# Orders that still hold stock (allocated, not yet consumed or released).
HOLDING_STOCK = frozenset({OrderStatus.PENDING, OrderStatus.PROCESSING})
# What staff mean by "orders": the customer has paid (or paid by a method that settles
# later) and everything after. Unpaid checkouts (open, abandoned, expired) are asked for.
PLACED_STATUSES = frozenset(
    {
        OrderStatus.PROCESSING,
        OrderStatus.PAID,
        OrderStatus.REVIEW,
        OrderStatus.FULFILLED,
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.REFUNDED,
    }
)
CHECKOUT_STATUSES = frozenset(OrderStatus) - PLACED_STATUSES
# Paid orders, whose money the shop kept (some of it, after refunds): what counts for
# revenue, sales and "once per customer".
PAID_STATUSES = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.FULFILLED,
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.REFUNDED,
    }
)
# Paid orders with money left to give back through Stripe.
REFUNDABLE = PAID_STATUSES - {OrderStatus.REFUNDED}
# An order "uses" a promotion's redemption from the moment its checkout starts until it
# is closed unpaid: a pending order holds its redemption as it holds its stock.
REDEEMING_STATUSES = frozenset(OrderStatus) - {OrderStatus.CANCELLED, OrderStatus.EXPIRED}
# Orders staff may mark shipped: the table's way into "fulfilled".
FULFILLABLE = sources_of(OrderStatus.FULFILLED)
