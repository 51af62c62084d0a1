"""Stripe, behind one door: the only package that imports `stripe`.

The rest of the shop talks to `gateway.PaymentGateway` with plain dataclasses and gets
the shop's own errors back; webhooks arrive through `views.py` and are dispatched to the
order services by `webhooks.py`.
"""
