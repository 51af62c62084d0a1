"""Forms of the column: "Ask the doctor", and the answers index filter."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, EmailField, Form, IntegerField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from shop.core.forms import ShopForm, strip_text

QUESTION_MIN = 10


QUESTION_MAX = 5000


class AskForm(ShopForm):
    """A reader's question. `website` is a honeypot: people never see it, bots fill it."""

    name = StringField(
        "Your name or initials (optional)",
        validators=[Optional(), Length(max=100)],
        filters=[strip_text],
    )
    email = EmailField(
        "Your email",
        validators=[
            DataRequired("Enter your email so we can tell you when the doctor answers."),
            Length(max=254),
            Email("Enter an email address like name@example.com.", check_deliverability=False),
        ],
        filters=[strip_text],
    )
    question = TextAreaField(
        "Your question",
        validators=[
            DataRequired("Write your question."),
            Length(
                min=QUESTION_MIN,
                max=QUESTION_MAX,
                message=f"Your question must be {QUESTION_MIN} to {QUESTION_MAX:,} characters.",
            ),
        ],
        filters=[strip_text],
    )
    consent = BooleanField(
        "I agree that the shop stores my question and email to answer it, and that the doctor "
        "may publish my question without my name or email.",
        validators=[InputRequired("Please tick the box so we may store your question.")],
    )
    website = StringField("Leave this field empty", validators=[Optional()])

    def validate_website(self, field: StringField) -> None:
        if field.data:
            raise ValidationError(
                "This form looked automated. Clear the hidden 'website' field and send it again."
            )


class AnswerIndexForm(Form):
    """The answers index's page number, read from the query string."""

    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(min=1, max=10_000)])

    def __init__(self, formdata: MultiDict[str, str]) -> None:
        super().__init__(formdata)
