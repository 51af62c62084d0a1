"""Stripe, behind one door: the only package that imports `stripe`.

The rest of the shop talks to `gateway.PaymentGateway` with plain dataclasses and gets
the shop's own errors back; webhooks arrive through `views.py` and are dispatched by
`webhooks.py`. `settle.py` is the one place a checkout is settled (webhook, success page,
expiry sweep, the way back from Stripe's page) and a staff refund is asked for.
"""
