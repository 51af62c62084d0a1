"""The column as a reader meets it: index, topics, answer pages, doctors, feed, sitemap."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.core.models import utcnow
from shop.editorial.models import Answer, AnswerStatus, Doctor
from tests.factories import make_answer, make_concern, make_doctor, make_topic
from tests.html import breadcrumbs, injected_markup, json_ld, visible_text


@pytest.fixture
def column(db: SQLAlchemy) -> dict[str, Any]:
    """Two doctors; public, draft, future and past-scheduled answers on shared topics."""
    hale = make_doctor("Miriam Hale", "miriam-hale")
    osei = make_doctor("Daniel Osei", "daniel-osei")
    rosacea = make_concern("Rosacea", "rosacea")
    injectables = make_topic("Injectables", "injectables")
    answers = {
        "botox": make_answer(
            "Do Botox or Dysport help with migraines from jaw tension?",
            slug="botox-migraine",
            doctor=hale,
            topics=[injectables],
            days_ago=2,
        ),
        "flush": make_answer(
            "Why does my face flush after wine?",
            slug="rosacea-flush",
            doctor=hale,
            concerns=[rosacea],
            days_ago=5,
        ),
        "laser": make_answer(
            "Can lasers fix broken capillaries?",
            slug="laser-capillaries",
            doctor=osei,
            concerns=[rosacea],
            topics=[injectables],
            days_ago=9,
        ),
        "due": make_answer(
            "Is a scheduled answer visible once its time has come?",
            slug="due-now",
            doctor=osei,
            status=AnswerStatus.SCHEDULED,
            days_ago=0.01,
        ),
        "future": make_answer(
            "A future answer?",
            slug="future-answer",
            doctor=hale,
            status=AnswerStatus.SCHEDULED,
            published_at=utcnow() + timedelta(days=3),
        ),
        "draft": make_answer(
            "A draft answer?", slug="draft-answer", doctor=hale, status=AnswerStatus.DRAFT
        ),
    }
    db.session.commit()
    return {"hale": hale, "osei": osei, **answers}


def _titles(client: FlaskClient, url: str) -> list[str]:
    import re

    html = client.get(url).get_data(as_text=True)
    return [
        visible_text(t)
        for t in re.findall(r'<article class="answer-card">\s*<h3>(.*?)</h3>', html, re.S)
    ]


def test_index_lists_public_answers_newest_first(
    client: FlaskClient, column: dict[str, Any]
) -> None:
    assert _titles(client, "/answers/") == [
        "Is a scheduled answer visible once its time has come?",
        "Do Botox or Dysport help with migraines from jaw tension?",
        "Why does my face flush after wine?",
        "Can lasers fix broken capillaries?",
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/answers/topics/rosacea",
            ["Why does my face flush after wine?", "Can lasers fix broken capillaries?"],
        ),
        (
            "/answers/topics/injectables",
            [
                "Do Botox or Dysport help with migraines from jaw tension?",
                "Can lasers fix broken capillaries?",
            ],
        ),
        (
            "/answers/?topic=rosacea",
            ["Why does my face flush after wine?", "Can lasers fix broken capillaries?"],
        ),
    ],
)
def test_topic_pages_and_filter(
    client: FlaskClient, column: dict[str, Any], url: str, expected: list[str]
) -> None:
    assert _titles(client, url) == expected


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/answers/future-answer", 404),
        ("/answers/draft-answer", 404),
        ("/answers/no-such-answer", 404),
        ("/answers/topics/nothing", 404),
        ("/doctors/nobody", 404),
        ("/answers/?topic=nothing", 400),
        ("/answers/?page=-1", 400),
        ("/answers/?page=abc", 400),
        ("/answers/?page=99", 404),
    ],
)
def test_unpublished_and_unknown_pages(
    client: FlaskClient, column: dict[str, Any], url: str, status: int
) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert "Traceback" not in visible_text(response)


def test_draft_and_future_answers_never_leak(client: FlaskClient, column: dict[str, Any]) -> None:
    for url in [
        "/",
        "/answers/",
        "/answers/topics/injectables",
        "/doctors/miriam-hale",
        "/answers/feed.xml",
        "/sitemap.xml",
        "/answers/botox-migraine",
    ]:
        body = client.get(url).get_data(as_text=True)
        for hidden in ("future-answer", "A future answer?", "draft-answer", "A draft answer?"):
            assert hidden not in body, url


def test_scheduled_answer_appears_at_its_time_without_any_job(
    client: FlaskClient, db: SQLAlchemy, column: dict[str, Any]
) -> None:
    assert client.get("/answers/due-now").status_code == 200
    future: Answer = column["future"]
    future.published_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/answers/future-answer").status_code == 200


def test_answer_page_has_everything_a_reader_expects(
    client: FlaskClient, column: dict[str, Any]
) -> None:
    response = client.get("/answers/botox-migraine")
    assert response.status_code == 200
    text = visible_text(response)
    assert "Do Botox or Dysport help with migraines from jaw tension?" in text
    assert "My skin is dry." in text
    assert "— Dry in Denver" in text
    assert "What helps" in text
    assert "Gentle cleansing" in text
    assert "The bottom line" in text
    assert "Wear sunscreen." in text
    assert "Dr. Miriam Hale, MD, FAAD" in text
    assert "twenty years" in text  # the doctor's bio
    assert "not a diagnosis" in text  # the disclaimer
    assert "Ask the doctor" in text
    assert "Related answers" in text
    assert "Can lasers fix broken capillaries?" in text
    assert breadcrumbs(response)[:2] == ["Home", "Answers"]
    html = response.get_data(as_text=True)
    assert "<h2>What helps</h2>" in html
    assert '<time datetime="' in html


def test_answer_page_json_ld_names_the_doctor_as_author(
    client: FlaskClient, column: dict[str, Any]
) -> None:
    [data] = [
        d
        for d in json_ld(client.get("/answers/botox-migraine"))
        if isinstance(d, dict) and d["@type"] == "MedicalWebPage"
    ]
    assert data["@type"] == "MedicalWebPage"
    assert data["headline"] == "Do Botox or Dysport help with migraines from jaw tension?"
    assert data["author"]["name"] == "Dr. Miriam Hale"
    assert data["author"]["honorificSuffix"] == "MD, FAAD"
    assert data["url"] == "http://shop.test/answers/botox-migraine"
    assert data["datePublished"].endswith("Z")


def test_doctor_page_lists_their_public_answers(
    client: FlaskClient, column: dict[str, Any]
) -> None:
    response = client.get("/doctors/daniel-osei")
    assert response.status_code == 200
    assert "Dr. Daniel Osei, MD, FAAD" in visible_text(response)
    assert _titles(client, "/doctors/daniel-osei") == [
        "Is a scheduled answer visible once its time has come?",
        "Can lasers fix broken capillaries?",
    ]


def test_feed_is_valid_atom_without_drafts_or_future_answers(
    client: FlaskClient, column: dict[str, Any]
) -> None:
    import feedparser

    response = client.get("/answers/feed.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title.endswith("the doctor's answers")
    assert [e.title for e in feed.entries] == [
        "Is a scheduled answer visible once its time has come?",
        "Do Botox or Dysport help with migraines from jaw tension?",
        "Why does my face flush after wine?",
        "Can lasers fix broken capillaries?",
    ]
    first = feed.entries[1]
    assert first.link == "http://shop.test/answers/botox-migraine"
    assert first.author == "Dr. Miriam Hale, MD, FAAD"
    assert "<h2>What helps</h2>" in first.content[0].value
    index = client.get("/answers/").get_data(as_text=True)
    assert 'rel="alternate" type="application/atom+xml"' in index


def test_sitemap_lists_public_answers_doctors_and_topics(
    client: FlaskClient, column: dict[str, Any]
) -> None:
    xml = client.get("/sitemap.xml").get_data(as_text=True)
    for path in [
        "/answers/botox-migraine",
        "/answers/rosacea-flush",
        "/answers/due-now",
        "/doctors/miriam-hale",
        "/answers/topics/rosacea",
        "/answers/topics/injectables",
    ]:
        assert f"<loc>http://shop.test{path}</loc>" in xml


def test_home_shows_the_latest_answers(client: FlaskClient, column: dict[str, Any]) -> None:
    text = visible_text(client.get("/"))
    assert "Latest answers from the doctor" in text
    assert "Is a scheduled answer visible once its time has come?" in text
    assert "A future answer?" not in text


XSS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "<a href='javascript:alert(1)'>click</a>",
    "[click](javascript:alert(1))",
    "<iframe src=//evil.example></iframe>",
]


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_answers_and_names_never_reaches_a_page_unescaped(
    client: FlaskClient, db: SQLAlchemy, payload: str
) -> None:
    doctor: Doctor = make_doctor(f"Eve {payload}", "eve")
    doctor.bio = f"Bio {payload}"
    topic = make_topic(f"Topic {payload}", "xss-topic")
    make_answer(
        f"Is this safe {payload}?",
        slug="xss-answer",
        doctor=doctor,
        topics=[topic],
        body=f"## Heading {payload}\n\n{payload}\n\n- item {payload}\n",
    )
    answer = db.session.scalars(sa.select(Answer)).one()
    answer.letter = f"Dear doctor {payload}"
    answer.bottom_line = [f"Point {payload}"]
    db.session.commit()
    for url in [
        "/answers/xss-answer",
        "/answers/",
        "/answers/topics/xss-topic",
        "/doctors/eve",
        "/",
        "/answers/feed.xml",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        if url.endswith(".xml"):
            continue
        assert injected_markup(response.get_data(as_text=True)) == [], url


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_query_strings_is_never_reflected(
    client: FlaskClient, db: SQLAlchemy, payload: str
) -> None:
    from urllib.parse import quote

    for url in [
        f"/answers/?topic={quote(payload)}",
        f"/answers/?page={quote(payload)}",
        f"/products/?sort={quote(payload)}",
        f"/products/?price_min={quote(payload)}",
        f"/products/?brand={quote(payload)}",
        f"/products/x?variant={quote(payload)}",
    ]:
        response = client.get(url)
        assert response.status_code in (400, 404), url
        assert injected_markup(response.get_data(as_text=True)) == [], url
