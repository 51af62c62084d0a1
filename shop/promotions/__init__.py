"""Promotions: discount codes staff create (a Stripe coupon plus a promotion code each)."""
