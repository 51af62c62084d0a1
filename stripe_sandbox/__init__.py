"""A local Stripe-compatible server for the subset of the API the shop uses.

It serves Checkout Sessions (with discounts and automatic tax), coupons, promotion codes,
PaymentIntents, refunds and events over HTTP with Stripe's form encoding and error shapes,
a hosted pay page (promotion code field, tax from the address), signed webhooks and a
control API for tests (`/_sandbox/...`). It never imports `stripe` and never builds the
shop's app, so the shop's real stripe-python code can run against it with no internet.
See `app.py`.
"""
