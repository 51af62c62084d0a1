"""Cart forms: add to cart, change a quantity, and the CSRF-only remove and checkout buttons."""

from __future__ import annotations

import re
from typing import Any

from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from shop.cart.models import MAX_QUANTITY
from shop.core.forms import ShopForm, strip_text, too_long
from shop.promotions.models import CODE_MAX

QUANTITY_MESSAGE = f"Enter a quantity as a whole number from 1 to {MAX_QUANTITY}."
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")


class QuantityField(IntegerField):
    """A whole number of units; "1.5", "x", "-1" or a huge number get one plain message."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = str(valuelist[0]).strip()
        if not _WHOLE_NUMBER.fullmatch(text):
            self.data = None
            raise ValueError(QUANTITY_MESSAGE)
        self.data = int(text)


def _quantity() -> QuantityField:
    return QuantityField(
        "Quantity",
        validators=[
            InputRequired(QUANTITY_MESSAGE),
            NumberRange(min=1, max=MAX_QUANTITY, message=QUANTITY_MESSAGE),
        ],
    )


class CartForm(ShopForm):
    """Base of the cart's forms: one message to flash when a form is refused."""

    def first_error(self) -> str:
        for errors in self.errors.values():
            if errors:
                return str(errors[0])
        return "That did not work. Please try again."


class QuantityForm(CartForm):
    """A cart line's new quantity."""

    quantity = _quantity()

    def units(self) -> int:
        """The quantity asked for, once the form has validated."""
        return int(self.quantity.data or 0)


class AddToCartForm(QuantityForm):
    """The product page's form; `next` is where to go afterwards (checked by the view): the
    cart without it; a page's `#product-<slug>` card shows the confirmation beside it."""

    variant = StringField(
        "Size",
        validators=[
            InputRequired("Choose a size."),
            Length(max=64, message="Choose a size from the list."),
        ],
    )
    next = HiddenField()


class CartActionForm(CartForm):
    """A button that only needs its CSRF token: remove a line, go to checkout."""


class PromotionCodeForm(CartForm):
    """The cart's "Promotion code" field: one word of at most 40 characters."""

    code = StringField(
        "Promotion code",
        filters=[strip_text],
        validators=[
            DataRequired("Enter a promotion code."),
            too_long("promotion code", CODE_MAX),
            Regexp(
                r"^\S*$",
                message="A promotion code has no spaces: type it as one word, like WELCOME10.",
            ),
        ],
    )
