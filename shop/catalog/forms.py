"""The catalogue filter form, read from the query string."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    Form,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from shop.catalog.queries import DEFAULT_SORT, SORTS, CatalogFilters, Facets
from shop.core.money import MoneyError, parse_major

MAX_PAGE = 10_000


def _at_most(n: int) -> Any:
    def check(form: Form, field: SelectMultipleField) -> None:
        if field.data and len(field.data) > n:
            raise ValidationError(f"Choose at most {n}.")

    return check


class CatalogFilterForm(Form):
    """Filters, sort and page of the catalogue; every field is optional."""

    category = SelectMultipleField("Category", validators=[Optional(), _at_most(50)])
    brand = SelectMultipleField("Brand", validators=[Optional(), _at_most(50)])
    concern = SelectMultipleField("Skin concern", validators=[Optional(), _at_most(50)])
    price_min = StringField("Min price", validators=[Optional(), Length(max=12)])
    price_max = StringField("Max price", validators=[Optional(), Length(max=12)])
    in_stock = BooleanField("In stock only", false_values=("", "0", "false", "off", "no"))
    sort = SelectField(
        "Sort by",
        choices=[SelectChoice(value, label) for value, label in SORTS.items()],
        default=DEFAULT_SORT,
        validators=[Optional()],
    )
    page = IntegerField(
        "Page", default=1, validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)]
    )

    def __init__(self, formdata: MultiDict[str, str], facets: Facets, currency: str) -> None:
        super().__init__(formdata)
        self.currency = currency
        self.category.choices = [SelectChoice(c.slug, c.name) for c in facets.categories]
        self.brand.choices = [SelectChoice(b.slug, b.name) for b in facets.brands]
        self.concern.choices = [SelectChoice(c.slug, c.name) for c in facets.concerns]

    def _minor(self, field: StringField) -> int | None:
        """Read a price field as minor units; None when left empty."""
        text = (field.data or "").strip()
        if not text:
            return None
        try:
            return parse_major(text, self.currency)
        except MoneyError as exc:
            raise ValidationError(f"Enter a price such as 25 or 25.50 ({exc}).") from exc

    def validate_price_min(self, field: StringField) -> None:
        self._minor(field)

    def validate_price_max(self, field: StringField) -> None:
        high = self._minor(field)
        try:
            low = self._minor(self.price_min)
        except ValidationError:
            return
        if low is not None and high is not None and high < low:
            raise ValidationError("The maximum price is below the minimum.")

    def to_filters(self) -> CatalogFilters:
        """Turn valid form data into query filters (prices in minor units)."""
        return CatalogFilters(
            categories=tuple(self.category.data or ()),
            brands=tuple(self.brand.data or ()),
            concerns=tuple(self.concern.data or ()),
            price_min=self._minor(self.price_min),
            price_max=self._minor(self.price_max),
            in_stock=bool(self.in_stock.data),
            sort=self.sort.data or DEFAULT_SORT,
            page=self.page.data or 1,
        )

    def error_messages(self) -> list[str]:
        """One readable line per problem: "Max price: Not a valid decimal value."."""
        return [
            f"{self[name].label.text}: {msg}" for name, msgs in self.errors.items() for msg in msgs
        ]
