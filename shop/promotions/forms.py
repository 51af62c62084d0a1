"""The staff form that makes a promotion; amounts typed in major units ("5.00")."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional, ValidationError

from shop.core.forms import ShopForm, strip_text
from shop.core.money import MoneyError, parse_major
from shop.promotions.models import CODE_MAX
from shop.promotions.services import (
    REDEMPTIONS_MAX,
    PromotionRules,
    code_problem,
)

NO_ANSWER = ""


class PromotionForm(ShopForm):
    """A new promotion: its code, one kind of discount, and its optional rules."""

    code = StringField("Code", filters=[strip_text], render_kw={"maxlength": CODE_MAX + 10})
    percent_off = IntegerField(
        "Percentage off (1 to 100)",
        validators=[Optional(), NumberRange(1, 100, "The percentage off must be 1 to 100.")],
    )
    amount_off = StringField("Or an amount off", filters=[strip_text])
    min_subtotal = StringField("Minimum order (goods, before the discount)", filters=[strip_text])
    max_redemptions = IntegerField(
        "Limit of uses (paid orders, all customers)",
        validators=[
            Optional(),
            NumberRange(1, REDEMPTIONS_MAX, "The limit of uses must be at least 1."),
        ],
    )
    expires_on = DateField(
        "Last day it can be used (UTC)",
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    once_per_customer = BooleanField("Once per customer (by email address)")
    answer = SelectField("A reader code for the answer", choices=[], default=NO_ANSWER)

    def __init__(self, *args: Any, currency: str, answers: list[tuple[str, str]], **kw: Any):
        super().__init__(*args, **kw)
        self.currency = currency
        self.answer.choices = [(NO_ANSWER, "None: any customer"), *answers]

    def _minor(self, field: StringField, label: str) -> int | None:
        text = field.data or ""
        if not text:
            return None
        try:
            return parse_major(text, self.currency)
        except MoneyError as exc:
            raise ValidationError(
                f"Enter the {label} as an amount such as 5 or 5.00 ({exc})."
            ) from exc

    def validate_code(self, field: StringField) -> None:
        problem = code_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate(self, extra_validators: Any = None) -> bool:
        """Check each field, then that exactly one kind of discount was given."""
        valid: bool = super().validate(extra_validators)
        if self.expires_on.errors:
            self.expires_on.errors = ["Enter the last day as a date, e.g. 2027-01-31."]
        typed_percent = bool((self.percent_off.raw_data or [""])[0].strip())
        typed_amount = bool(self.amount_off.data)
        if not typed_percent and not typed_amount:
            self.percent_off.errors = [
                *self.percent_off.errors,
                "Give a percentage off or an amount off.",
            ]
            return False
        if typed_percent and typed_amount:
            self.amount_off.errors = [
                *self.amount_off.errors,
                "Give a percentage off or an amount off, not both.",
            ]
            return False
        return valid

    def validate_amount_off(self, field: StringField) -> None:
        amount = self._minor(field, "amount off")
        if amount is not None and amount <= 0:
            raise ValidationError("The amount off must be more than 0.")

    def validate_min_subtotal(self, field: StringField) -> None:
        self._minor(field, "minimum order")

    def rules(self) -> PromotionRules:
        """The promotion asked for (call after `validate`)."""
        return PromotionRules(
            code=self.code.data or "",
            currency=self.currency,
            percent_off=self.percent_off.data,
            amount_off=self._minor(self.amount_off, "amount off"),
            min_subtotal=self._minor(self.min_subtotal, "minimum order"),
            max_redemptions=self.max_redemptions.data,
            expires_on=self.expires_on.data,
            once_per_customer=bool(self.once_per_customer.data),
            answer_slug=self.answer.data or None,
        )
