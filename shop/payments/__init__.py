"""Stripe, behind one door: the only package that imports `stripe`.

The rest of the shop talks to `gateway.PaymentGateway` with plain dataclasses and gets
the shop's own errors back; webhooks arrive through `views.py` and are dispatched by
`webhooks.py`. `settle.py` is the one place a checkout is settled (webhook, success page,
expiry sweep, the way back from Stripe's page) and a staff refund is asked for.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the payment gateway and the pages Stripe calls and sends visitors back to."""
    from shop.payments.gateway import init_payments
    from shop.payments.views import bp

    app.register_blueprint(bp)
    init_payments(app)
