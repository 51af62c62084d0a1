"""Load the column's demo content: doctors, topics, answers and readers' questions.

The copy lives in `editorial.toml` (doctors, topics, questions, answers) and
`answers-more.toml` (more answers), written for this project. Publication times are
given as "days ago", so the demo always looks current; negative values are scheduled.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import sqlalchemy as sa

from shop.catalog.models import Product, SkinConcern
from shop.core.models import utcnow
from shop.editorial.models import (
    Answer,
    AnswerStatus,
    Doctor,
    QuestionStatus,
    ReaderQuestion,
    Topic,
    answer_concerns,
    answer_topics,
)
from shop.extensions import db
from shop.links.models import AnswerProductLink

HERE = Path(__file__).parent
EDITORIAL_FILES = (HERE / "editorial.toml", HERE / "answers-more.toml")


def read_editorial(files: tuple[Path, ...] = EDITORIAL_FILES) -> dict[str, list[dict[str, Any]]]:
    """Merge the editorial demo files into one dict of lists."""
    merged: dict[str, list[dict[str, Any]]] = {
        "doctors": [],
        "topics": [],
        "answers": [],
        "questions": [],
    }
    for path in files:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        for key in merged:
            merged[key].extend(data.get(key, []))
    return merged


def draw_avatar_svg(initials: str, colour: str) -> str:
    """A round portrait placeholder with the doctor's initials."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 160" width="160" height="160" '
        f'role="img"><title>{escape(initials)}</title>'
        f'<circle cx="80" cy="80" r="80" fill="{escape(colour)}"/>'
        '<text x="80" y="96" text-anchor="middle" font-family="Georgia, serif" font-size="56" '
        f'fill="#ffffff">{escape(initials)}</text></svg>'
    )


def load_editorial(
    media_root: Path, data: dict[str, list[dict[str, Any]]] | None = None
) -> dict[str, int]:
    """Create the demo doctors, topics, answers and questions; return how many of each."""
    data = data or read_editorial()
    now = utcnow()
    doctors: dict[str, Doctor] = {}
    for item in data["doctors"]:
        relative = f"doctors/{item['slug']}.svg"
        target = media_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(draw_avatar_svg(item["initials"], item["colour"]), encoding="utf-8")
        doctors[item["slug"]] = Doctor(
            slug=item["slug"],
            name=item["name"],
            credentials=item["credentials"],
            title=item["title"],
            practice=item["practice"],
            bio=item["bio"].strip(),
            photo_path=relative,
        )
    topics = {
        t["slug"]: Topic(slug=t["slug"], name=t["name"], description=t["description"])
        for t in data["topics"]
    }
    db.session.add_all([*doctors.values(), *topics.values()])
    concerns = {c.slug: c for c in db.session.scalars(sa.select(SkinConcern))}

    answers: dict[str, Answer] = {}
    for item in data["answers"]:
        status = AnswerStatus(item.get("status", "published"))
        published = now - timedelta(days=item["days_ago"], hours=item.get("hour", 0))
        reviewer = item.get("reviewed_by")
        answer = Answer(
            slug=item["slug"],
            question=item["question"],
            letter=item["letter"].strip(),
            body=item["body"].strip(),
            bottom_line=list(item["bottom_line"]),
            doctor=doctors[item["doctor"]],
            status=status,
            published_at=None if status is AnswerStatus.DRAFT else published,
            reviewed_by=doctors[reviewer] if reviewer else None,
            reviewed_on=(now - timedelta(days=item["reviewed_days_ago"])).date()
            if reviewer
            else None,
            seo_description=item.get("seo_description"),
            created_at=min(published, now) - timedelta(days=2),
            updated_at=min(published, now) - timedelta(days=1),
        )
        answer.concerns = [concerns[c] for c in item.get("concerns", []) if c in concerns]
        answer.topics = [topics[t] for t in item.get("topics", [])]
        answers[item["slug"]] = answer
        db.session.add(answer)
    db.session.flush()

    # The doctor's curated recommendations, in her order, with her notes.
    products = {p.slug: p.id for p in db.session.scalars(sa.select(Product))}
    links = 0
    for item in data["answers"]:
        for position, rec in enumerate(item.get("products", [])[:4]):
            if rec["slug"] in products:
                db.session.add(
                    AnswerProductLink(
                        answer_id=answers[item["slug"]].id,
                        product_id=products[rec["slug"]],
                        position=position,
                        note=rec["note"].strip(),
                        caution=(rec.get("caution") or "").strip(),
                    )
                )
                links += 1

    for item in data["questions"]:
        created = now - timedelta(days=item["days_ago"], hours=3)
        linked = answers.get(item["answer"]) if item.get("answer") else None
        question_status = QuestionStatus(item.get("status", "new"))
        db.session.add(
            ReaderQuestion(
                name=item.get("name"),
                email=item["email"],
                question=item["question"].strip(),
                consent=True,
                created_at=created,
                status=question_status,
                answer=linked,
                # Demo questions that are already answered were told long ago; no mail now.
                notified_at=now if question_status is QuestionStatus.ANSWERED else None,
            )
        )
    db.session.flush()
    return {
        "doctors": len(doctors),
        "topics": len(topics),
        "answers": len(answers),
        "questions": len(data["questions"]),
        "links": links,
    }


_SUBJECTS = [
    "retinoids",
    "sunscreen",
    "barrier repair",
    "azelaic acid",
    "niacinamide",
    "exfoliation",
    "moisturisers",
    "cleansing",
    "vitamin C",
    "peptides",
    "rosacea flares",
    "breakouts",
]
_FRAMES = [
    "Is {s} worth it for {c}?",
    "How should I start {s} with {c}?",
    "Can {s} make {c} worse?",
    "What does {s} really do for {c}?",
]


def load_synthetic_answers(
    total: int, progress: Callable[[int], None] | None = None, seed: int = 11, batch: int = 500
) -> int:
    """Grow the column to `total` answers with generated ones (for benchmarks)."""
    rng = random.Random(seed)
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) or 0
    missing = max(0, total - have)
    doctor_ids = list(db.session.scalars(sa.select(Doctor.id)))
    concern_rows = db.session.execute(sa.select(SkinConcern.id, SkinConcern.name)).all()
    topic_ids = list(db.session.scalars(sa.select(Topic.id)))
    if not doctor_ids or not concern_rows:
        raise ValueError("Load the curated demo first.")
    now = utcnow()
    made = 0
    while made < missing:
        size = min(batch, missing - made)
        rows = []
        picks = []
        for n in range(have + made + 1, have + made + size + 1):
            concern_id, concern_name = rng.choice(concern_rows)
            subject = rng.choice(_SUBJECTS)
            question = rng.choice(_FRAMES).format(s=subject, c=concern_name.lower())
            published = now - timedelta(hours=n)
            rows.append(
                {
                    "slug": f"generated-answer-{n}",
                    "question": f"{question} (No. {n})",
                    "letter": f"Dear doctor, I wonder about {subject}. (Generated letter {n}.)",
                    "body": (
                        f"## The short answer\n\nA generated answer about {subject} and "
                        f"{concern_name.lower()}, number {n}.\n\n## What to try\n\n"
                        "- Start slowly\n- Patch-test first\n- Wear sunscreen daily\n"
                    ),
                    "bottom_line": [f"{subject.capitalize()} can help, used with care."],
                    "doctor_id": rng.choice(doctor_ids),
                    "status": AnswerStatus.PUBLISHED,
                    "published_at": published,
                    "reviewed_by_id": None,
                    "reviewed_on": None,
                    "seo_description": None,
                    "created_at": published,
                    "updated_at": published,
                }
            )
            picks.append((concern_id, rng.choice(topic_ids) if topic_ids else None))
        ids = list(
            db.session.scalars(
                sa.insert(Answer).returning(Answer.id, sort_by_parameter_order=True), rows
            )
        )
        db.session.execute(
            sa.insert(answer_concerns),
            [{"answer_id": a, "concern_id": c} for a, (c, _) in zip(ids, picks, strict=True)],
        )
        topic_links = [
            {"answer_id": a, "topic_id": t} for a, (_, t) in zip(ids, picks, strict=True) if t
        ]
        if topic_links:
            db.session.execute(sa.insert(answer_topics), topic_links)
        made += size
        if progress is not None:
            progress(size)
    db.session.flush()
    return made
