"""What the orders domain announces, for the domains above it to act on.

A blinker signal rather than a hook list kept on the app: Flask already depends on
blinker, a receiver is connected once per process however many apps are built (the tests
build many; connecting the same module-level function again is a no-op), and orders need
not know who listens. Receivers run synchronously inside `send`, so they act in the same
unit of work as the change they hear of: they flush, never commit, and an error in one
rolls the whole unit back with the order. The export asks the same way which answer
sold each order (`order_sources`), since orders, their CLI included, import no domain
above them.
"""

from __future__ import annotations

from collections.abc import Sequence

from blinker import Namespace

signals = Namespace()

# Sent with the order (as the sender) once it is paid, after its stock is sold and
# before the unit of work commits: on every path that pays (the webhook, the success
# page, the expiry sweep, a customer walking back from Stripe's page).
order_paid = signals.signal("order-paid")

# Sent by the orders export with `order_ids` (one batch); a receiver returns
# {order id: the slug of the answer the sale is credited to}. Links answers it; with no
# receiver, the export's answer column is empty.
order_sources = signals.signal("order-sources")


def source_answers(order_ids: Sequence[int]) -> dict[int, str]:
    """Ask the receivers of `order_sources` which answer each of these orders came from."""
    found: dict[int, str] = {}
    for _, answered in order_sources.send(None, order_ids=order_ids):
        found.update(answered)
    return found
