"""Forms of the staff admin."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from shop.inventory.services import ADJUSTMENT_REASONS


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


# Staff may not pretend a change was a sale or an opening/import figure.
STAFF_ADJUSTMENT_REASONS = tuple(
    r for r in ADJUSTMENT_REASONS if r not in ("sold", "initial", "import")
)
DELTA_LIMIT = 100_000
NOTE_MAX = 300


class StockAdjustForm(FlaskForm):
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
        filters=[_strip],
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


TRACKING_MAX = 100
REFUND_REASONS = (
    SelectChoice("requested_by_customer", "Requested by the customer"),
    SelectChoice("duplicate", "Duplicate payment"),
    SelectChoice("fraudulent", "Fraudulent"),
)


class FulfilForm(FlaskForm):
    """Mark an order shipped, with its tracking number."""

    tracking = StringField(
        "Tracking number",
        validators=[
            InputRequired("Enter the tracking number."),
            Length(
                max=TRACKING_MAX,
                message=f"Keep the tracking number to {TRACKING_MAX} characters or fewer.",
            ),
        ],
        filters=[_strip],
    )

    def validate_tracking(self, field: StringField) -> None:
        if not field.data:
            raise ValidationError("Enter the tracking number.")


class RefundForm(FlaskForm):
    """Refund part or all of an order: an amount in major units and Stripe's reason."""

    amount = StringField(
        "Amount to refund",
        validators=[InputRequired("Enter the amount to refund, e.g. 12.50.")],
        filters=[_strip],
    )
    reason = SelectField("Reason", choices=list(REFUND_REASONS), validate_choice=True)
