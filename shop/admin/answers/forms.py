"""Forms of the answer editor: the answer itself, and the status actions that carry its version."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from shop.catalog.models import SkinConcern
from shop.core.forms import ShopForm, multiline_text, strip_text, too_long
from shop.core.models import utcnow
from shop.core.slugs import SLUG_MAX
from shop.editorial.models import Doctor, Topic
from shop.editorial.services import BOTTOM_LINE_POINT_MAX, BOTTOM_LINE_POINTS_MAX
from shop.extensions import db

QUESTION_MAX = 300  # Answer.question is String(300)
LETTER_MAX = 10_000
BODY_MAX = 50_000
BOTTOM_LINE_MAX = BOTTOM_LINE_POINTS_MAX * (BOTTOM_LINE_POINT_MAX + 1)
SEO_MAX = 320  # Answer.seo_description is String(320); the page's meta description shows 155
VERSION_MAX = 2**31 - 1
EARLIEST_REVIEW = date(1990, 1, 1)


def _optional_id(value: object) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(str(value))


def bottom_line_points(text: str | None) -> tuple[str, ...]:
    """One point per non-empty line."""
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


class VersionForm(ShopForm):
    """The version of the answer the editor opened; every write names it."""

    version = IntegerField(
        "Version",
        widget=HiddenInput(),
        validators=[
            InputRequired("The form lost track of the answer's version; reload the page."),
            NumberRange(min=1, max=VERSION_MAX, message="That version number is not valid."),
        ],
    )


class ScheduleForm(VersionForm):
    """When a scheduled answer goes live, in UTC."""

    go_live = DateTimeLocalField(
        "Goes live on (date and time, UTC)",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired("Enter the date and time the answer should go live.")],
    )


class AnswerForm(ShopForm):
    """Everything an editor writes about an answer; its status is changed by the actions."""

    question = StringField(
        "Question (the headline)",
        validators=[InputRequired("Enter the question."), too_long("question", QUESTION_MAX)],
        filters=[strip_text],
    )
    slug = StringField(
        "Slug (the web address; leave it empty to make it from the headline)",
        validators=[too_long("slug", SLUG_MAX)],
        filters=[strip_text],
    )
    letter = TextAreaField(
        "The reader's letter (plain text; a blank line starts a new paragraph)",
        validators=[too_long("letter", LETTER_MAX)],
        filters=[multiline_text],
    )
    body = TextAreaField(
        "Answer (Markdown)",
        validators=[too_long("answer", BODY_MAX)],
        filters=[multiline_text],
    )
    bottom_line = TextAreaField(
        "The bottom line (one point per line)",
        validators=[too_long("bottom line", BOTTOM_LINE_MAX)],
        filters=[multiline_text],
    )
    doctor_id = SelectField("Doctor who answers", coerce=_optional_id, validate_choice=True)
    reviewed_by_id = SelectField(
        "Medically reviewed by (optional)", coerce=_optional_id, validate_choice=True
    )
    reviewed_on = DateField("Reviewed on (optional)", validators=[Optional()])
    concern_ids = SelectMultipleField("Skin concerns", coerce=int, validate_choice=True)
    topic_ids = SelectMultipleField("Topics", coerce=int, validate_choice=True)
    seo_description = TextAreaField(
        "Description for search engines (optional; they show about 155 characters)",
        validators=[too_long("description", SEO_MAX)],
        filters=[multiline_text],
    )
    version = IntegerField(
        "Version",
        widget=HiddenInput(),
        validators=[
            Optional(),
            NumberRange(min=1, max=VERSION_MAX, message="That version number is not valid."),
        ],
    )

    def validate_question(self, field: StringField) -> None:
        if not field.data:
            raise ValidationError("Enter the question.")

    def validate_doctor_id(self, field: SelectField) -> None:
        if field.data is None:
            if len(field.choices or []) <= 1:  # only the "choose" entry
                raise ValidationError("Add a doctor before writing an answer.")
            raise ValidationError("Choose the doctor who answers.")

    def validate_bottom_line(self, field: TextAreaField) -> None:
        points = bottom_line_points(field.data)
        if len(points) > BOTTOM_LINE_POINTS_MAX:
            raise ValidationError(
                f"Keep the bottom line to {BOTTOM_LINE_POINTS_MAX} points or fewer."
            )
        if any(len(p) > BOTTOM_LINE_POINT_MAX for p in points):
            raise ValidationError(
                f"Keep each point to {BOTTOM_LINE_POINT_MAX} characters or fewer."
            )

    def validate_reviewed_on(self, field: DateField) -> None:
        if field.data is None:
            return
        if field.data > utcnow().date():
            raise ValidationError("The review date cannot be in the future.")
        if field.data < EARLIEST_REVIEW:
            raise ValidationError(f"The review date must be after {EARLIEST_REVIEW.year}.")


def fill_choices(form: AnswerForm) -> AnswerForm:
    """Offer the doctors, skin concerns and topics on file (alphabetical)."""
    doctors = db.session.execute(sa.select(Doctor.id, Doctor.name).order_by(Doctor.name)).all()
    form.doctor_id.choices = [("", "Choose a doctor"), *((i, f"Dr. {n}") for i, n in doctors)]
    form.reviewed_by_id.choices = [("", "Not reviewed"), *((i, f"Dr. {n}") for i, n in doctors)]
    concerns = db.session.execute(
        sa.select(SkinConcern.id, SkinConcern.name).order_by(SkinConcern.name)
    ).all()
    form.concern_ids.choices = [(i, n) for i, n in concerns]
    topics = db.session.execute(sa.select(Topic.id, Topic.name).order_by(Topic.name)).all()
    form.topic_ids.choices = [(i, n) for i, n in topics]
    return form
