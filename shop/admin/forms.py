"""Forms of the staff admin."""

from __future__ import annotations

import re
from collections.abc import Mapping

from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, ValidationError
from wtforms.widgets import HiddenInput

from shop.core.forms import ShopForm, strip_text
from shop.inventory.services import ADJUSTMENT_REASONS
from shop.orders.exceptions import OrderError
from shop.orders.tracking import (
    CARRIER_MAX,
    CARRIERS,
    OTHER_CARRIER,
    TRACKING_URL_MAX,
    checked_tracking_url,
)

# Staff may not pretend a change was a sale or an opening/import figure.
STAFF_ADJUSTMENT_REASONS = tuple(
    r for r in ADJUSTMENT_REASONS if r not in ("sold", "initial", "import")
)
DELTA_LIMIT = 100_000
NOTE_MAX = 300


class StockAdjustForm(ShopForm):
    """A change to one variant's on-hand stock: how many units, why, and a note."""

    delta = IntegerField(
        "Change (units to add, or negative to take off)",
        validators=[InputRequired("Enter how many units to add or take off, e.g. 12 or -3.")],
    )
    reason = SelectField(
        "Reason",
        choices=[SelectChoice(r, r.capitalize()) for r in STAFF_ADJUSTMENT_REASONS],
        validate_choice=True,
    )
    note = TextAreaField(
        "Note (optional)",
        validators=[
            Length(max=NOTE_MAX, message=f"Keep the note to {NOTE_MAX} characters or fewer.")
        ],
        filters=[strip_text],
    )

    def validate_delta(self, field: IntegerField) -> None:
        if field.data is None:  # not a whole number: the field already says so
            return
        if field.data == 0:
            raise ValidationError("A change of 0 does nothing; enter a number of units.")
        if not -DELTA_LIMIT <= field.data <= DELTA_LIMIT:
            raise ValidationError(
                f"The change must be between -{DELTA_LIMIT:,} and {DELTA_LIMIT:,} units."
            )


# --- Stocktake: many counted figures in one post ---------------------------------------

STOCKTAKE_MAX_ROWS = 200
COUNT_MAX = 1_000_000
_ROW_KEY = re.compile(r"^rows-(\d+)-")


class StockCountRowForm(Form):
    """One row of the stocktake: the variant, its on hand when the page was loaded, and the
    count (blank: leave the row alone)."""

    variant_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    loaded = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    counted = StringField(
        "Counted",
        filters=[strip_text],
        validators=[Length(max=20, message="Enter a whole number of units, e.g. 12.")],
    )

    def validate_counted(self, field: StringField) -> None:
        value = field.data or ""
        if not value:
            return
        if value.startswith("-") and value[1:].isdecimal():
            raise ValidationError("The count cannot be negative.")
        if not (value.isascii() and value.isdecimal()):
            raise ValidationError("Enter a whole number of units, e.g. 12.")
        if int(value) > COUNT_MAX:
            raise ValidationError(f"The count must be at most {COUNT_MAX:,} units.")

    @property
    def count(self) -> int | None:
        """The counted figure, or None for a blank row."""
        value = self.counted.data or ""
        return int(value) if value else None


class StocktakeForm(ShopForm):
    """Counted figures for many variants, with one reason and note for them all."""

    rows = FieldList(FormField(StockCountRowForm), max_entries=STOCKTAKE_MAX_ROWS)
    reason = SelectField(
        "Reason",
        choices=[SelectChoice(r, r.capitalize()) for r in STAFF_ADJUSTMENT_REASONS],
        default="correction",
        validate_choice=True,
    )
    note = TextAreaField(
        "Note for every change (optional)",
        validators=[
            Length(max=NOTE_MAX, message=f"Keep the note to {NOTE_MAX} characters or fewer.")
        ],
        filters=[strip_text],
    )

    @staticmethod
    def posted_rows(formdata: Mapping[str, str]) -> int:
        """How many rows a post carries (FieldList would silently drop those past the cap)."""
        return len({m.group(1) for key in formdata if (m := _ROW_KEY.match(key))})


TRACKING_MAX = 100
REFUND_REASONS = (
    SelectChoice("requested_by_customer", "Requested by the customer"),
    SelectChoice("duplicate", "Duplicate payment"),
    SelectChoice("fraudulent", "Fraudulent"),
)


CARRIER_CHOICES = (
    SelectChoice("", "Choose the carrier"),
    *(SelectChoice(carrier.code, carrier.name) for carrier in CARRIERS),
    SelectChoice(OTHER_CARRIER, "Another carrier"),
)


class FulfilForm(ShopForm):
    """Mark an order shipped: the carrier, the tracking number, and for a carrier the shop
    does not know, its name and (optionally) an https tracking link."""

    carrier = SelectField(
        "Carrier",
        choices=list(CARRIER_CHOICES),
        validators=[InputRequired("Choose the carrier.")],
        validate_choice=True,
    )
    other_carrier = StringField(
        "Other carrier's name",
        validators=[
            Length(
                max=CARRIER_MAX,
                message=f"Keep the carrier's name to {CARRIER_MAX} characters or fewer.",
            )
        ],
        filters=[strip_text],
    )
    tracking = StringField(
        "Tracking number",
        validators=[
            InputRequired("Enter the tracking number."),
            Length(
                max=TRACKING_MAX,
                message=f"Keep the tracking number to {TRACKING_MAX} characters or fewer.",
            ),
        ],
        filters=[strip_text],
    )
    tracking_url = StringField(
        "Tracking link (another carrier only, https://)",
        validators=[
            Length(
                max=TRACKING_URL_MAX,
                message=f"Keep the tracking link to {TRACKING_URL_MAX} characters or fewer.",
            )
        ],
        filters=[strip_text],
    )

    def validate_carrier(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError("Choose the carrier.")

    def validate_other_carrier(self, field: StringField) -> None:
        if self.carrier.data == OTHER_CARRIER and not field.data:
            raise ValidationError("Enter the name of the carrier.")

    def validate_tracking(self, field: StringField) -> None:
        if not field.data:
            raise ValidationError("Enter the tracking number.")

    def validate_tracking_url(self, field: StringField) -> None:
        if not field.data:
            return
        if self.carrier.data != OTHER_CARRIER:
            raise ValidationError(
                "Leave the link empty: the shop builds this carrier's tracking link itself."
            )
        try:
            checked_tracking_url(field.data)
        except OrderError as exc:
            raise ValidationError(exc.message) from exc

    def carrier_name(self) -> str:
        """The carrier as the order records it: a known one's code or the typed name."""
        if self.carrier.data == OTHER_CARRIER:
            return str(self.other_carrier.data or "")
        return str(self.carrier.data or "")


class RefundForm(ShopForm):
    """Refund part or all of an order: an amount in major units, Stripe's reason, and whether
    the order's units go back on the shelf."""

    amount = StringField(
        "Amount to refund",
        validators=[InputRequired("Enter the amount to refund, e.g. 12.50.")],
        filters=[strip_text],
    )
    reason = SelectField("Reason", choices=list(REFUND_REASONS), validate_choice=True)
    restock = BooleanField("Put the items back in stock", default=False)
