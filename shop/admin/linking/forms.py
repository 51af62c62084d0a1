"""Forms of the links editor: a link's note and caution, adding a link, and plain actions."""

from __future__ import annotations

from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange

from shop.core.forms import ShopForm, strip_text
from shop.links.services import CAUTION_MAX, NOTE_MAX

SIDES = ("answer", "product")  # which screen a link's form goes back to


def _note_field(label: str = "Doctor's note (why this product here)") -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            Length(
                max=NOTE_MAX, message=f"Keep the doctor's note to {NOTE_MAX} characters or fewer."
            )
        ],
        filters=[strip_text],
    )


class _Back:
    back = HiddenField(
        default="answer",
        validators=[AnyOf(SIDES, message="Say which screen to return to: answer or product.")],
    )


class LinkTextForm(_Back, ShopForm):
    """The doctor's note and caution beside one recommended product (one per link, by prefix)."""

    note = _note_field()
    caution = TextAreaField(
        "Caution (optional)",
        validators=[
            Length(
                max=CAUTION_MAX, message=f"Keep the caution to {CAUTION_MAX} characters or fewer."
            )
        ],
        filters=[strip_text],
    )


class LinkActionForm(_Back, ShopForm):
    """A button that changes a link (move, remove): only the CSRF token and where to go back."""


class AddProductForm(ShopForm):
    """Link a product to an answer, after its other products, with an optional note."""

    product_id = IntegerField(
        "Product",
        validators=[
            InputRequired("Choose a product to link."),
            NumberRange(min=1, max=2**31 - 1, message="Choose a product from the list."),
        ],
    )
    note = _note_field("Note (optional)")


class AddAnswerForm(ShopForm):
    """Recommend a product in an answer, after the answer's other products."""

    answer_id = IntegerField(
        "Answer",
        validators=[
            InputRequired("Choose an answer."),
            NumberRange(min=1, max=2**31 - 1, message="Choose an answer from the list."),
        ],
    )
    note = _note_field("Note (optional)")


class SuggestionForm(ShopForm):
    """Accept or dismiss a suggested link: only the CSRF token, and where to go back."""

    back = HiddenField(
        default="answer",
        validators=[AnyOf(SIDES, message="Say which screen to return to: answer or product.")],
    )
