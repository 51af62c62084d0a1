"""Editorial models: doctors, topics, answers and the readers' question inbox."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.catalog.models import SkinConcern
from shop.core.models import TimestampMixin, str_enum, utcnow
from shop.extensions import Model, db


class AnswerStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


class QuestionStatus(enum.StrEnum):
    NEW = "new"
    ANSWERED = "answered"
    DECLINED = "declined"
    SPAM = "spam"


answer_concerns = sa.Table(
    "answer_concerns",
    db.metadata,
    sa.Column("answer_id", sa.ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "concern_id", sa.ForeignKey("skin_concerns.id", ondelete="CASCADE"), primary_key=True
    ),
    # The primary key leads with the answer; this one finds a concern's answers.
    sa.Index("ix_answer_concerns_concern", "concern_id", "answer_id"),
)

answer_topics = sa.Table(
    "answer_topics",
    db.metadata,
    sa.Column("answer_id", sa.ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_answer_topics_topic", "topic_id", "answer_id"),
)


class Doctor(Model):
    __tablename__ = "doctors"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    credentials: Mapped[str] = mapped_column(sa.String(60), default="")
    title: Mapped[str] = mapped_column(sa.String(160), default="")
    practice: Mapped[str] = mapped_column(sa.String(200), default="")
    bio: Mapped[str] = mapped_column(sa.Text, default="")
    # Path under MEDIA_ROOT, like product images.
    photo_path: Mapped[str | None] = mapped_column(sa.String(255), default=None)

    @property
    def display_name(self) -> str:
        """ "Dr. Miriam Hale, MD, FAAD" """
        return f"Dr. {self.name}, {self.credentials}" if self.credentials else f"Dr. {self.name}"

    def __repr__(self) -> str:
        return f"<Doctor {self.slug}>"


class Topic(Model):
    """An editorial topic (procedures, ingredients …) beside the shared skin concerns."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")

    def __repr__(self) -> str:
        return f"<Topic {self.slug}>"


class Answer(TimestampMixin, Model):
    """One column entry: a reader's question, the doctor's answer and its bottom line."""

    __tablename__ = "answers"
    __table_args__ = (sa.Index("ix_answers_status_published_at", "status", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    # True while `slug` is a stand-in the shop made for a draft: not an address, never shown
    # to readers or mailed. Publishing (or scheduling) replaces it with a slug made from the
    # headline. False for a slug staff typed and for one made at publish time.
    slug_placeholder: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The headline question, as the index and the page title show it.
    question: Mapped[str] = mapped_column(sa.String(300))
    # The reader's letter as asked (plain text; may include their sign-off).
    letter: Mapped[str] = mapped_column(sa.Text, default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    bottom_line: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    doctor_id: Mapped[int] = mapped_column(sa.ForeignKey("doctors.id"), index=True)
    status: Mapped[AnswerStatus] = mapped_column(
        str_enum(AnswerStatus, "answer_status"), default=AnswerStatus.DRAFT
    )
    # When the answer becomes (or became) public; None while it is a draft.
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=None)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("doctors.id"), default=None)
    reviewed_on: Mapped[date | None] = mapped_column(sa.Date, default=None)
    seo_description: Mapped[str | None] = mapped_column(sa.String(320), default=None)
    # Optimistic locking, as on products: a stale edit form cannot overwrite a newer save.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it once)

    doctor: Mapped[Doctor] = relationship(foreign_keys=[doctor_id], lazy="joined", innerjoin=True)
    reviewed_by: Mapped[Doctor | None] = relationship(foreign_keys=[reviewed_by_id])
    concerns: Mapped[list[SkinConcern]] = relationship(
        secondary=answer_concerns, order_by=SkinConcern.name
    )
    topics: Mapped[list[Topic]] = relationship(secondary=answer_topics, order_by=Topic.name)

    def is_public(self, now: datetime | None = None) -> bool:
        """Tell whether visitors may see this answer at `now`."""
        if self.status is AnswerStatus.DRAFT or self.published_at is None:
            return False
        published = self.published_at
        if published.tzinfo is None:  # SQLite hands back naive UTC
            published = published.replace(tzinfo=(now or utcnow()).tzinfo)
        return published <= (now or utcnow())

    def __repr__(self) -> str:
        return f"<Answer {self.slug}>"


class AnswerOldSlug(Model):
    """An address an answer was public at before its slug changed; it answers with a 301 to
    the answer's current slug. An old slug belongs to the last answer that left it, and never
    wins over a slug some answer holds now."""

    __tablename__ = "answer_old_slugs"

    slug: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("answers.id", ondelete="CASCADE"), index=True
    )
    retired_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<AnswerOldSlug {self.slug} -> {self.answer_id}>"


class ReaderQuestion(Model):
    """A question sent through "Ask the doctor", waiting in the staff inbox."""

    __tablename__ = "reader_questions"
    __table_args__ = (sa.Index("ix_reader_questions_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(100), default=None)
    email: Mapped[str] = mapped_column(sa.String(254))
    question: Mapped[str] = mapped_column(sa.Text)
    consent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    status: Mapped[QuestionStatus] = mapped_column(
        str_enum(QuestionStatus, "question_status"), default=QuestionStatus.NEW
    )
    answer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("answers.id", ondelete="SET NULL"), default=None, index=True
    )
    # Set once the asker has been told their answer is out, so they hear exactly once.
    notified_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=None)

    answer: Mapped[Answer | None] = relationship()

    def __repr__(self) -> str:
        return f"<ReaderQuestion {self.id} {self.status}>"
