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

from shop.catalog.models import Product, ProductStatus, SkinConcern, product_concerns
from shop.core.models import utcnow
from shop.demo.loader import DemoLoadError, write_svg
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
        write_svg(media_root, relative, draw_avatar_svg(item["initials"], item["colour"]))
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
        # Positions count only the products that exist, so a small catalogue leaves no gaps.
        present = [rec for rec in item.get("products", [])[:4] if rec["slug"] in products]
        for position, rec in enumerate(present):
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
        raise DemoLoadError("Load the curated demo first.")
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


# Generated recommendations: at most this many products per answer, with short notes.
LINKS_PER_ANSWER = 6
_NOTES = [
    "My first pick for {concern}: {name} is gentle enough to use every day.",
    "{name} is the step I would add first; it rarely stings skin dealing with {concern}.",
    "For {concern}, {name} does the work without stripping the skin barrier.",
    "A simple everyday choice: {name} is fragrance-free and layers well.",
    "Give {name} six to eight weeks at night before you judge it on {concern}.",
    "If the budget allows one product for {concern}, make it {name}.",
    "{name} is what I suggest to patients who want one reliable step.",
    "Use {name} in the morning, under sunscreen; it suits most skin types.",
]
_CAUTIONS = [
    "Patch-test first if your skin is reactive.",
    "Start every other night; more is not better.",
    "Ask your doctor before using it in pregnancy.",
    "Pair it with a daily broad-spectrum sunscreen.",
    "Stop if it burns, not just tingles, and let your skin settle.",
]


def _spread(
    pool: list[int], counts: dict[int, int], cap: int, wanted: int, rng: random.Random
) -> int:
    """Add `wanted` links one at a time to random answers of `pool` below `cap`; return the rest."""
    room = [a for a in pool if counts[a] < cap]
    while wanted and room:
        i = rng.randrange(len(room))
        counts[room[i]] += 1
        wanted -= 1
        if counts[room[i]] >= cap:
            room[i] = room[-1]
            room.pop()
    return wanted


def _pick_products(
    k: int, sources: list[list[int]], taken: set[int], rng: random.Random
) -> list[int]:
    """Choose `k` products not in `taken`, from the first source that has them, then the next."""
    chosen: list[int] = []
    for source in sources:
        need = k - len(chosen)
        if not need:
            break
        # Sampling `need` more than are excluded always leaves `need` usable ones, if any.
        excluded = len(taken) + len(chosen)
        for product_id in rng.sample(source, min(len(source), need + excluded)):
            if product_id not in taken and product_id not in chosen:
                chosen.append(product_id)
                if len(chosen) == k:
                    break
    return chosen


def load_synthetic_links(
    total: int, progress: Callable[[int], None] | None = None, seed: int = 13, batch: int = 500
) -> int:
    """Grow the answers' product recommendations to `total` links with generated ones.

    Generated answers get 1 to 6 active products each, preferring products for the
    answer's skin concern, at positions after any they have, with a generated note. The
    curated answers keep the doctor's own picks unless the generated ones cannot hold
    `total`. Returns how many links were made.
    """
    rng = random.Random(seed)
    have = db.session.scalar(sa.select(sa.func.count()).select_from(AnswerProductLink)) or 0
    missing = max(0, total - have)
    if not missing:
        return 0
    # .all(): dict() would take a Result for a mapping (it has keys()).
    names = dict(
        db.session.execute(
            sa.select(Product.id, Product.name)
            .where(Product.status == ProductStatus.ACTIVE)
            .order_by(Product.id)
        ).all()
    )
    everything = list(names)
    cap = min(LINKS_PER_ANSWER, len(everything))
    answers = db.session.execute(sa.select(Answer.id, Answer.slug).order_by(Answer.id)).all()
    taken: dict[int, set[int]] = {a.id: set() for a in answers}
    next_position: dict[int, int] = dict.fromkeys(taken, 0)
    for answer_id, product_id, position in db.session.execute(
        sa.select(
            AnswerProductLink.answer_id, AnswerProductLink.product_id, AnswerProductLink.position
        )
    ):
        taken[answer_id].add(product_id)
        next_position[answer_id] = max(next_position[answer_id], position + 1)
    room = sum(max(0, cap - len(products)) for products in taken.values())
    if missing > room:
        raise DemoLoadError(
            f"{total} links need more answers or products: {len(answers)} answers can hold "
            f"{have + room} (at most {LINKS_PER_ANSWER} products each)."
        )

    # How many each answer gets: one for every generated answer, the rest spread at random.
    generated = [a.id for a in answers if a.slug.startswith("generated-answer-")]
    curated = [a.id for a in answers if not a.slug.startswith("generated-answer-")]
    counts = {a: len(products) for a, products in taken.items()}
    fresh = [a for a in generated if counts[a] == 0][:missing]
    for a in fresh:
        counts[a] = 1
    wanted = _spread(generated, counts, cap, missing - len(fresh), rng)
    _spread(curated, counts, cap, wanted, rng)

    concern_names = dict(db.session.execute(sa.select(SkinConcern.id, SkinConcern.name)).all())
    by_concern: dict[int, list[int]] = {}
    for product_id, concern_id in db.session.execute(
        sa.select(product_concerns.c.product_id, product_concerns.c.concern_id).order_by(
            product_concerns.c.product_id, product_concerns.c.concern_id
        )
    ):
        if product_id in names:
            by_concern.setdefault(concern_id, []).append(product_id)
    concern_of: dict[int, int] = {}
    for answer_id, concern_id in db.session.execute(
        sa.select(answer_concerns.c.answer_id, answer_concerns.c.concern_id).order_by(
            answer_concerns.c.answer_id, answer_concerns.c.concern_id
        )
    ):
        concern_of.setdefault(answer_id, concern_id)

    rows: list[dict[str, Any]] = []
    made = 0

    def flush_rows() -> None:
        nonlocal made
        if rows:
            db.session.execute(sa.insert(AnswerProductLink), rows)
            made += len(rows)
            if progress is not None:
                progress(len(rows))
            rows.clear()

    for answer_id, _ in answers:
        k = counts[answer_id] - len(taken[answer_id])
        if k <= 0:
            continue
        concern_id = concern_of.get(answer_id)
        concern = concern_names[concern_id].lower() if concern_id else "everyday skin"
        sources = [by_concern.get(concern_id, []), everything] if concern_id else [everything]
        for product_id in _pick_products(k, sources, taken[answer_id], rng):
            caution = rng.choice(_CAUTIONS) if rng.random() < 0.2 else ""
            rows.append(
                {
                    "answer_id": answer_id,
                    "product_id": product_id,
                    "position": next_position[answer_id],
                    "note": rng.choice(_NOTES).format(name=names[product_id], concern=concern),
                    "caution": caution,
                }
            )
            taken[answer_id].add(product_id)
            next_position[answer_id] += 1
        if len(rows) >= batch:
            flush_rows()
    flush_rows()
    db.session.flush()
    return made
