"""Forms of the product editor.

The edit page is one HTML form: the product's own fields (`ProductForm`, which carries the
CSRF token and the product's version) and one sub-form per part of the page, each with its
prefix: a row per size (`SizeForm`, with that size's version), a row for a new size, a row
per image and an upload. They are validated together and saved as one change.
"""

from __future__ import annotations

import re
from typing import Any

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from shop.catalog.models import SKIN_TYPES, ProductStatus
from shop.catalog.services import ALT_TEXT_MAX
from shop.catalog.tax_codes import TAX_CODE_EXAMPLE, is_tax_code
from shop.core.forms import ShopForm, strip_text
from shop.core.money import MoneyError, parse_major
from shop.core.slugs import SLUG_MAX, is_slug

NAME_MAX = 200
DESCRIPTION_MAX = 50_000
HOW_TO_USE_MAX = 20_000
SEO_TITLE_MAX = 200
SEO_DESCRIPTION_MAX = 320
INGREDIENTS_TEXT_MAX = 5_000
INGREDIENT_MAX = 120
INGREDIENTS_COUNT_MAX = 60
RANK_MAX = 9_999
CHOICES_MAX = 50
SKU_MAX = 64
SIZE_MAX = 60
POSITION_MAX = 999
PRICE_TEXT_MAX = 15
TAX_CODE_MAX = 40
SKU_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")


def _length(max_: int, what: str) -> Length:
    return Length(max=max_, message=f"Keep the {what} to {max_:,} characters or fewer.")


def split_ingredients(text: str) -> list[str]:
    """Read key ingredients typed one per line, or as a comma list on a single line."""
    text = text.strip()
    if not text:
        return []
    parts = text.splitlines() if "\n" in text else text.split(",")
    seen: list[str] = []
    for part in parts:
        item = " ".join(part.split())
        if item and item.lower() not in (s.lower() for s in seen):
            seen.append(item)
    return seen


def _int_or_none(value: object) -> int | None:
    """Coerce a submitted id; what is not a whole number becomes None (refused later)."""
    if value is None or value == "":
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def _values(field: Any) -> set[object]:
    return {choice.value for choice in field.choices or []}


def _check_choice(field: Any, message: str) -> None:
    if field.data not in _values(field):
        raise ValidationError(message)


def _check_choices(field: Any, message: str) -> None:
    chosen = list(field.data or [])
    if any(value not in _values(field) for value in chosen) or len(chosen) > CHOICES_MAX:
        raise ValidationError(message)


def _version_field() -> IntegerField:
    return IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired("This form has lost its version; reload the page.")],
    )


class ProductForm(ShopForm):
    """A product's own fields (variants and images have their forms)."""

    name = StringField(
        "Name",
        validators=[InputRequired("Enter the product's name."), _length(NAME_MAX, "name")],
        filters=[strip_text],
    )
    slug = StringField(
        "Slug (web address)",
        validators=[Optional(), _length(SLUG_MAX, "slug")],
        filters=[strip_text],
        description="Leave empty to make it from the name.",
    )
    brand = SelectField("Brand", coerce=_int_or_none, validate_choice=False)
    category = SelectField("Category", coerce=_int_or_none, validate_choice=False)
    status = SelectField("Status", validate_choice=True)
    featured_rank = IntegerField(
        "Featured rank (optional)",
        validators=[
            Optional(),
            NumberRange(1, RANK_MAX, f"Use a whole number from 1 to {RANK_MAX:,}."),
        ],
        description="Lower numbers come first on the home page; leave empty if not featured.",
    )
    skin_types = SelectMultipleField(
        "Skin types",
        choices=[SelectChoice(t, t.capitalize()) for t in SKIN_TYPES],
        validate_choice=False,
    )
    key_ingredients = TextAreaField(
        "Key ingredients",
        validators=[_length(INGREDIENTS_TEXT_MAX, "key ingredients")],
        description="One per line, or a comma-separated list on one line.",
    )
    concerns = SelectMultipleField("Skin concerns", coerce=_int_or_none, validate_choice=False)
    description = TextAreaField(
        "Description (Markdown)",
        validators=[_length(DESCRIPTION_MAX, "description")],
    )
    how_to_use = TextAreaField(
        "How to use (Markdown)",
        validators=[_length(HOW_TO_USE_MAX, "how-to-use text")],
    )
    tax_code = StringField(
        "Tax code (optional)",
        validators=[Optional(), _length(TAX_CODE_MAX, "tax code")],
        filters=[strip_text],
        # The product editor names the shop's default here (it is read from the config).
        description="Stripe's product tax code for this product.",
    )
    seo_title = StringField(
        "Search engine title (optional)",
        validators=[_length(SEO_TITLE_MAX, "search engine title")],
        filters=[strip_text],
    )
    seo_description = TextAreaField(
        "Search engine description (optional)",
        validators=[_length(SEO_DESCRIPTION_MAX, "search engine description")],
        filters=[strip_text],
    )
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def set_choices(
        self,
        brands: list[tuple[int, str]],
        categories: list[tuple[int, str]],
        concerns: list[tuple[int, str]],
        statuses: list[ProductStatus],
    ) -> None:
        """Fill the select lists from the catalogue."""
        self.brand.choices = [SelectChoice(i, n) for i, n in brands]
        self.category.choices = [SelectChoice(i, n) for i, n in categories]
        self.concerns.choices = [SelectChoice(i, n) for i, n in concerns]
        self.status.choices = [SelectChoice(s.value, s.value.capitalize()) for s in statuses]

    def validate_slug(self, field: StringField) -> None:
        if field.data and not is_slug(field.data):
            raise ValidationError(
                "Use lowercase letters, digits and single dashes, e.g. barrier-cream-50-ml."
            )

    def validate_key_ingredients(self, field: TextAreaField) -> None:
        items = split_ingredients(field.data or "")
        if len(items) > INGREDIENTS_COUNT_MAX:
            raise ValidationError(f"List at most {INGREDIENTS_COUNT_MAX} key ingredients.")
        long = [i for i in items if len(i) > INGREDIENT_MAX]
        if long:
            raise ValidationError(
                f"Keep each ingredient to {INGREDIENT_MAX} characters or fewer "
                f"(“{long[0][:30]}…” is longer)."
            )

    def validate_tax_code(self, field: StringField) -> None:
        if field.data and not is_tax_code(field.data):
            raise ValidationError(
                f"Enter a Stripe product tax code: txcd_ and 8 digits, e.g. {TAX_CODE_EXAMPLE}; "
                "or leave it empty for the shop default."
            )

    def validate_brand(self, field: SelectField) -> None:
        _check_choice(field, "Choose a brand from the list.")

    def validate_category(self, field: SelectField) -> None:
        _check_choice(field, "Choose a category from the list.")

    def validate_skin_types(self, field: SelectMultipleField) -> None:
        _check_choices(field, "Choose skin types from the list.")

    def validate_concerns(self, field: SelectMultipleField) -> None:
        _check_choices(field, "Choose skin concerns from the list.")


class _PagePart(ShopForm):
    """A part of the product page: posted inside the product form, under its CSRF token."""

    class Meta:
        csrf = False


class SizeForm(_PagePart):
    """One size of a product: SKU, size, price and compare-at price in major units, position."""

    sku = StringField(
        "SKU",
        validators=[InputRequired("Enter the SKU."), _length(SKU_MAX, "SKU")],
        filters=[strip_text],
    )
    size_label = StringField(
        "Size (e.g. 50 ml)", validators=[_length(SIZE_MAX, "size")], filters=[strip_text]
    )
    price = StringField(
        "Price",
        validators=[
            InputRequired("Enter the price, e.g. 24.50."),
            _length(PRICE_TEXT_MAX, "price"),
        ],
        filters=[strip_text],
    )
    compare_at_price = StringField(
        "Compare-at price (optional)",
        validators=[Optional(), _length(PRICE_TEXT_MAX, "compare-at price")],
        filters=[strip_text],
        description="The former price, shown struck through; higher than the price.",
    )
    position = IntegerField(
        "Position",
        default=0,
        validators=[
            Optional(),
            NumberRange(0, POSITION_MAX, f"Use a whole number from 0 to {POSITION_MAX}."),
        ],
    )
    version = _version_field()

    def __init__(self, *args: Any, currency: str = "USD", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def validate_sku(self, field: StringField) -> None:
        if field.data and not SKU_RE.match(field.data):
            raise ValidationError(
                "Use letters, digits, dots, dashes and underscores, e.g. HALE-BC-50."
            )

    def _minor(self, field: StringField) -> int | None:
        if not field.data:
            return None
        try:
            return parse_major(str(field.data), self.currency)
        except MoneyError as exc:
            raise ValidationError(
                f"Enter an amount in {self.currency} such as 24.50 (no currency sign)."
            ) from exc

    def validate_price(self, field: StringField) -> None:
        self._minor(field)

    def validate_compare_at_price(self, field: StringField) -> None:
        self._minor(field)

    def minor(self, name: str) -> int | None:
        """A price field's value in minor units (after validation)."""
        field = self[name]
        return parse_major(str(field.data), self.currency) if field.data else None


class NewSizeForm(SizeForm):
    """The row for a new size: left empty, no size is added; started, it must be complete."""

    sku = StringField("SKU", validators=[Optional(), _length(SKU_MAX, "SKU")], filters=[strip_text])
    price = StringField(
        "Price",
        validators=[Optional(), _length(PRICE_TEXT_MAX, "price")],
        filters=[strip_text],
    )
    version = None  # a new size has no version yet

    def is_started(self) -> bool:
        """Whether anything was typed into the row (the position has a default)."""
        return any(self[name].data for name in ("sku", "size_label", "price", "compare_at_price"))

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the row only once something is typed into it."""
        if not super().validate(extra_validators):
            return False
        if not self.is_started():
            return True
        if not self.sku.data:
            self.sku.errors = [*self.sku.errors, "Enter the new size's SKU."]
        if not self.price.data:
            self.price.errors = [*self.price.errors, "Enter the new size's price, e.g. 24.50."]
        return not (self.sku.errors or self.price.errors)


class ImageForm(_PagePart):
    """One image of a product: its alt text, or a tick to remove it."""

    alt_text = StringField(
        "Alt text (what the image shows)",
        validators=[_length(ALT_TEXT_MAX, "alt text")],
        filters=[strip_text],
    )
    remove = BooleanField("Remove this image")

    def validate_alt_text(self, field: StringField) -> None:
        if not field.data and not self.remove.data:
            raise ValidationError("Describe the image for people who cannot see it.")


class UploadForm(_PagePart):
    """A new image and its alt text; both empty, no image is added."""

    image = FileField("Image file (JPEG, PNG or WebP, at most 5 MB)")
    alt_text = StringField(
        "Alt text of the new image",
        validators=[_length(ALT_TEXT_MAX, "alt text")],
        filters=[strip_text],
    )

    def has_file(self) -> bool:
        """Whether a file was chosen."""
        return bool(self.image.data and getattr(self.image.data, "filename", ""))

    def validate_image(self, field: FileField) -> None:
        if self.alt_text.data and not self.has_file():
            raise ValidationError("Choose the image file for this alt text, or clear the alt text.")

    def validate_alt_text(self, field: StringField) -> None:
        if self.has_file() and not field.data:
            raise ValidationError("Describe the image for people who cannot see it.")
