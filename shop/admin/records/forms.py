"""Forms of the data lists: Flask-WTF (so every POST carries the CSRF token), bounded inputs,
and unique names and slugs checked with a clear message before the database would refuse."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from shop.core.forms import ShopForm, strip_text
from shop.core.slugs import SLUG_MAX, is_slug
from shop.extensions import db

NAME_MAX = 120
DESCRIPTION_MAX = 5_000
BIO_MAX = 10_000
POSITION_MAX = 10_000


class RecordsForm(ShopForm):
    """Flask-Admin's form base: a Flask-WTF form that never writes its CSRF token to a row."""

    def populate_obj(self, obj: Any) -> None:
        for name, field in self._fields.items():
            if name != "csrf_token":
                field.populate_obj(obj, name)


class ReferenceForm(RecordsForm):
    """A reference row's form: knows which row it edits, to tell a clash from itself."""

    model: Any = None
    noun = "row"
    # Columns that must be unique, with the words used in the error.
    unique_fields: tuple[str, ...] = ("slug",)

    def __init__(self, *args: Any, obj: Any = None, **kwargs: Any) -> None:
        self.editing = obj
        super().__init__(*args, obj=obj, **kwargs)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        for name in self.unique_fields:
            field = self._fields[name]
            if field.errors or not field.data:
                continue
            column = getattr(self.model, name)
            stmt = sa.select(self.model.id).where(column == field.data)
            if self.editing is not None and self.editing.id is not None:
                stmt = stmt.where(self.model.id != self.editing.id)
            if db.session.scalar(stmt.limit(1)) is not None:
                field.errors.append(
                    f"Another {self.noun} already uses this {field.label.text.lower()}; "
                    "choose a different one."
                )
                valid = False
        return valid


def slug_field() -> StringField:
    return StringField(
        "Slug",
        description="Lowercase letters, digits and dashes, as it appears in the address.",
        validators=[
            InputRequired("Enter a slug, e.g. gentle-cleansers."),
            Length(max=SLUG_MAX, message=f"Keep the slug to {SLUG_MAX} characters or fewer."),
        ],
        filters=[strip_text],
    )


def check_slug(form: Any, field: StringField) -> None:
    """Refuse anything but lowercase words joined by single dashes."""
    if field.data and not is_slug(field.data):
        raise ValidationError(
            "Use only lowercase letters, digits and single dashes, e.g. gentle-cleansers."
        )


def name_field(label: str = "Name", max_length: int = NAME_MAX) -> StringField:
    return StringField(
        label,
        validators=[
            InputRequired("Enter the name."),
            Length(max=max_length, message=f"Keep it to {max_length} characters or fewer."),
        ],
        filters=[strip_text],
    )


def text_field(label: str, max_length: int = DESCRIPTION_MAX) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            Length(max=max_length, message=f"Keep it to {max_length:,} characters or fewer.")
        ],
        filters=[strip_text, lambda v: "" if v is None else v],
    )


def short_field(label: str, max_length: int) -> StringField:
    return StringField(
        label,
        validators=[
            Length(max=max_length, message=f"Keep it to {max_length} characters or fewer.")
        ],
        filters=[strip_text, lambda v: "" if v is None else v],
    )


def taxonomy_form(model: Any, noun: str) -> type[ReferenceForm]:
    """A form for a name/slug/description row (brand, skin concern, topic)."""

    class TaxonomyForm(ReferenceForm):
        name = name_field()
        slug = slug_field()
        description = text_field("Description")

        def validate_slug(self, field: StringField) -> None:
            check_slug(self, field)

    TaxonomyForm.model = model
    TaxonomyForm.noun = noun
    TaxonomyForm.unique_fields = ("name", "slug")
    return TaxonomyForm


def category_form(model: Any) -> type[ReferenceForm]:
    """A category's form: a taxonomy row with its position in menus."""

    class CategoryForm(taxonomy_form(model, "category")):  # type: ignore[misc]
        position = IntegerField(
            "Position in menus",
            description="Lower numbers come first.",
            default=0,
            validators=[
                Optional(),
                NumberRange(
                    min=0,
                    max=POSITION_MAX,
                    message=f"The position must be a whole number from 0 to {POSITION_MAX:,}.",
                ),
            ],
        )

        def populate_obj(self, obj: Any) -> None:
            super().populate_obj(obj)
            if obj.position is None:
                obj.position = 0

    return CategoryForm


def doctor_form(model: Any) -> type[ReferenceForm]:
    """A doctor's form: name, slug, credentials, title, practice and biography."""

    class DoctorForm(ReferenceForm):
        name = name_field("Name (without Dr.)")
        slug = slug_field()
        credentials = short_field("Credentials, e.g. MD, FAAD", 60)
        title = short_field("Title", 160)
        practice = short_field("Practice", 200)
        bio = text_field("Biography (Markdown)", BIO_MAX)

        def validate_slug(self, field: StringField) -> None:
            check_slug(self, field)

    DoctorForm.model = model
    DoctorForm.noun = "doctor"
    DoctorForm.unique_fields = ("slug",)
    return DoctorForm
