"""Build API objects from the fixtures with the sandbox's state on top (see `fixtures.py`).

Each object starts as a deep copy of Stripe's example for the resource, so every field the
real API returns is present; the overlay then sets what the sandbox keeps and resets the
fixture's made-up example values (billions in `shipping_cost`, "message" texts, fx rates)
to what a plain hosted Checkout in test mode has. Without the fixture file the overlay sits
on an empty skeleton, which still holds every field the shop reads.
"""

from __future__ import annotations

from .errors import StripeError
from .fixtures import Obj, Templates, page
from .payment_objects import charge_object, payment_intent_object, refund_object
from .state import (
    Charge,
    Coupon,
    Customer,
    LineItem,
    PaymentIntent,
    PromotionCode,
    Refund,
    Session,
)

EXPANDABLE = {
    "checkout.session": {
        "line_items",
        "payment_intent",
        "payment_intent.latest_charge",
        "discounts.promotion_code",
        "discounts.coupon",
    },
    "payment_intent": {"latest_charge"},
    "refund": {"charge", "payment_intent"},
}

# Fields of a hosted payment-mode session that are null unless a feature is switched on.
_NULL_SESSION_FIELDS = (
    "after_expiration",
    "billing_address_collection",
    "client_secret",
    "consent",
    "consent_collection",
    "currency_conversion",
    "customer",
    "customer_account",
    "invoice",
    "integration_identifier",
    "origin_context",
    "payment_link",
    "payment_method_configuration_details",
    "permissions",
    "recovered_from",
    "saved_payment_method_options",
    "setup_intent",
    "subscription",
    "wallet_options",
)


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` over lines in proportion to `weights`, the shares summing exactly."""
    whole = sum(weights)
    if whole <= 0 or total == 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


class Renderer(Templates):
    """Turns stored state into API objects, expanding ids on request."""

    @staticmethod
    def check_expand(resource: str, expand: list[str]) -> set[str]:
        """Return the expand paths, refusing those Stripe cannot expand on this object."""
        allowed = EXPANDABLE.get(resource, set())
        for path in expand:
            if path not in allowed:
                raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
        return set(expand)

    def session(self, s: Session, expand: set[str] | None = None) -> Obj:
        """Return a `checkout.session`."""
        expand = expand or set()
        shipping = s.shipping
        overlay: Obj = dict.fromkeys(_NULL_SESSION_FIELDS)
        overlay.update(
            {
                "id": s.id,
                "object": "checkout.session",
                "created": s.created,
                "expires_at": s.expires_at,
                "livemode": False,
                "mode": s.mode,
                "status": s.status,
                "payment_status": s.payment_status,
                "currency": s.currency,
                "amount_subtotal": s.amount_subtotal,
                "amount_total": s.amount_total,
                "allow_promotion_codes": s.allow_promotion_codes,
                "total_details": {
                    "amount_discount": s.amount_discount,
                    "amount_shipping": shipping.amount if shipping else 0,
                    "amount_tax": s.amount_tax,
                },
                "shipping_cost": None
                if shipping is None
                else {
                    "amount_subtotal": shipping.amount,
                    "amount_tax": 0,
                    "amount_total": shipping.amount,
                    "shipping_rate": shipping.rate_id,
                },
                "shipping_options": [
                    {"shipping_amount": o.amount, "shipping_rate": o.rate_id}
                    for o in s.shipping_options
                ],
                "shipping_address_collection": None
                if s.allowed_countries is None
                else {"allowed_countries": list(s.allowed_countries)},
                "customer_email": s.customer_email,
                "customer_details": self._customer_details(s.customer),
                "collected_information": self._collected(s),
                "client_reference_id": s.client_reference_id,
                "metadata": dict(s.metadata),
                "payment_intent": s.payment_intent_id,
                "url": f"{self.public_url}/pay/{s.id}" if s.status == "open" else None,
                "success_url": s.success_url,
                "cancel_url": s.cancel_url,
                "locale": s.locale,
                "submit_type": s.submit_type,
                "payment_method_types": list(s.payment_method_types),
                "payment_method_collection": "if_required",
                "payment_method_options": {},
                "customer_creation": "if_required",
                "ui_mode": "hosted",
                "adaptive_pricing": {"enabled": False},
                "managed_payments": {"enabled": False},
                "automatic_tax": self._automatic_tax(s),
                "invoice_creation": {
                    "enabled": False,
                    "invoice_data": {
                        "account_tax_ids": None,
                        "custom_fields": None,
                        "description": None,
                        "footer": None,
                        "issuer": None,
                        "metadata": {},
                        "rendering_options": None,
                    },
                },
                "custom_fields": [],
                "custom_text": dict.fromkeys(
                    ("after_submit", "shipping_address", "submit", "terms_of_service_acceptance")
                ),
                "phone_number_collection": {"enabled": False},
                "discounts": self._discounts(s, expand),
            }
        )
        obj = self.base("checkout.session", overlay)
        if "line_items" in expand:
            data = self._line_items(s)
            obj["line_items"] = page(data, f"/v1/checkout/sessions/{s.id}/line_items")
        if "payment_intent" in expand and s.payment_intent_id:
            pi = self.store.payment_intents[s.payment_intent_id]
            obj["payment_intent"] = payment_intent_object(
                self, pi, expand_charge="payment_intent.latest_charge" in expand
            )
        return obj

    @staticmethod
    def _automatic_tax(s: Session) -> Obj:
        if not s.automatic_tax:
            return {"enabled": False, "liability": None, "status": None, "provider": None}
        status = "complete" if s.tax_region is not None else "requires_location_inputs"
        return {
            "enabled": True,
            "liability": {"type": "self"},
            "status": status,
            "provider": "stripe" if status == "complete" else None,
        }

    def _discounts(self, s: Session, expand: set[str]) -> list[Obj]:
        if s.coupon_id is None:
            return []
        coupon: str | Obj = s.coupon_id
        promo: str | Obj | None = s.promotion_code_id
        if "discounts.coupon" in expand:
            coupon = self.coupon(self.store.coupons[s.coupon_id])
        if "discounts.promotion_code" in expand and s.promotion_code_id is not None:
            promo = self.promotion_code(self.store.promotion_codes[s.promotion_code_id])
        return [{"coupon": coupon, "promotion_code": promo}]

    def _line_items(self, s: Session) -> list[Obj]:
        amounts = [item.amount for item in s.line_items]
        discounts = allocate(s.amount_discount, amounts)
        taxes = allocate(s.amount_tax, [a - d for a, d in zip(amounts, discounts, strict=True)])
        return [
            self.line_item(item, discount, tax)
            for item, discount, tax in zip(s.line_items, discounts, taxes, strict=True)
        ]

    def coupon(self, c: Coupon) -> Obj:
        """Return a `coupon`."""
        return self.base(
            "coupon",
            {
                "id": c.id,
                "object": "coupon",
                "amount_off": c.amount_off,
                "created": c.created,
                "currency": c.currency,
                "duration": c.duration,
                "duration_in_months": None,
                "livemode": False,
                "max_redemptions": c.max_redemptions,
                "metadata": dict(c.metadata),
                "name": c.name,
                "percent_off": c.percent_off,
                "redeem_by": c.redeem_by,
                "times_redeemed": c.times_redeemed,
                "valid": not c.deleted
                and (c.max_redemptions is None or c.times_redeemed < c.max_redemptions)
                and (c.redeem_by is None or self.store.now() < c.redeem_by),
            },
        )

    def promotion_code(self, p: PromotionCode) -> Obj:
        """Return a `promotion_code`, its coupon both inline (2023) and under `promotion`."""
        return self.base(
            "promotion_code",
            {
                "id": p.id,
                "object": "promotion_code",
                "active": p.active,
                "code": p.code,
                "coupon": self.coupon(self.store.coupons[p.coupon_id]),
                "promotion": {"type": "coupon", "coupon": p.coupon_id},
                "created": p.created,
                "customer": None,
                "customer_account": None,
                "expires_at": p.expires_at,
                "livemode": False,
                "max_redemptions": p.max_redemptions,
                "metadata": dict(p.metadata),
                "restrictions": {
                    "first_time_transaction": p.first_time_transaction,
                    "minimum_amount": p.minimum_amount,
                    "minimum_amount_currency": p.minimum_amount_currency,
                },
                "times_redeemed": p.times_redeemed,
            },
        )

    def _customer_details(self, customer: Customer | None) -> Obj | None:
        if customer is None:
            return None
        return self.shape(
            "checkout.session",
            "customer_details",
            {
                "address": customer.address.as_dict(),
                "email": customer.email,
                "name": customer.name,
                "phone": customer.phone,
                "tax_exempt": "none",
                "tax_ids": [],
                "business_name": None,
                "individual_name": None,
            },
        )

    def _collected(self, s: Session) -> Obj | None:
        if s.customer is None:
            return None
        shipping = None
        if s.allowed_countries is not None:
            shipping = {"name": s.customer.name, "address": s.customer.address.as_dict()}
        return self.shape(
            "checkout.session",
            "collected_information",
            {"shipping_details": shipping, "business_name": None, "individual_name": None},
        )

    def line_item(self, item: LineItem, discount: int = 0, tax: int = 0) -> Obj:
        """Return an `item` (a Checkout line item) with its inline price and its share."""
        price = self.shape(
            "item",
            "price",
            {
                "id": item.price_id,
                "object": "price",
                "active": False,
                "billing_scheme": "per_unit",
                "created": item.created,
                "currency": item.currency,
                "custom_unit_amount": None,
                "livemode": False,
                "lookup_key": None,
                "metadata": {},
                "nickname": None,
                "product": item.product_id,
                "recurring": None,
                "tax_behavior": item.tax_behavior,
                "tiers_mode": None,
                "transform_quantity": None,
                "type": "one_time",
                "unit_amount": item.unit_amount,
                "unit_amount_decimal": str(item.unit_amount),
            },
        )
        return self.base(
            "item",
            {
                "id": item.id,
                "object": "item",
                "amount_discount": discount,
                "amount_subtotal": item.amount,
                "amount_tax": tax,
                "amount_total": item.amount - discount + tax,
                "currency": item.currency,
                "description": item.name,
                "price": price,
                "quantity": item.quantity,
                "metadata": {},
                "adjustable_quantity": None,
            },
        )

    def line_items(self, s: Session, limit: int, starting_after: str | None) -> Obj:
        """Return one page of a session's line items."""
        items = self._line_items(s)
        if starting_after is not None:
            ids = [i["id"] for i in items]
            items = items[ids.index(starting_after) + 1 :] if starting_after in ids else []
        return page(items[:limit], f"/v1/checkout/sessions/{s.id}/line_items", len(items) > limit)

    def payment_intent(self, pi: PaymentIntent, expand: set[str] | None = None) -> Obj:
        """Return a `payment_intent`."""
        return payment_intent_object(self, pi, expand_charge="latest_charge" in (expand or ()))

    def charge(self, ch: Charge) -> Obj:
        """Return a `charge`."""
        return charge_object(self, ch)

    def refund(self, re: Refund, expand: set[str] | None = None) -> Obj:
        """Return a `refund`."""
        return refund_object(self, re, expand)
