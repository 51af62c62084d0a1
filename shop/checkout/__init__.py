"""Checkout: cart -> pending order (stock held) -> Stripe Checkout Session -> redirect."""
