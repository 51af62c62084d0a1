"""Property and fuzz tests (hypothesis): inputs nobody wrote by hand.

- The Markdown renderer never lets script through, whatever the editor typed.
- The search never fails, whatever the visitor typed (on both databases).
- Webhook payloads without a valid signature never change anything; signed nonsense is
  answered, never a server error.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
import stripe
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop.core.markdown import render_markdown
from shop.extensions import db
from shop.orders.models import Order
from shop.payments.models import StripeEvent
from shop.search.parser import MAX_TERM_CHARS, MAX_TERMS, parse_query
from tests.conftest import make_app
from tests.factories import make_product

WITH_FIXTURES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Pieces attackers put in Markdown and HTML, mixed with ordinary text by hypothesis.
HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](\tjavascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](javascript:alert(1))",
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example></iframe>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">',
    "<object data=x></object>",
    "<form action=//evil.example><button>go</button></form>",
    '<a href="vbscript:msgbox(1)">x</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>`",
    "```\n<script>alert(1)</script>\n```",
    "&lt;script&gt;",
    "**",
    "\n\n",
    "> ",
    "- ",
    "# ",
]
markdown_text = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=20), max_size=12).map("".join)

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "style", "form", "svg", "math", "base"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


@given(markdown_text)
@settings(max_examples=400, deadline=None)
def test_markdown_never_lets_script_through(source: str) -> None:
    parser = _Elements()
    parser.feed(str(render_markdown(source)))
    for tag, attrs in parser.found:
        assert tag not in FORBIDDEN_TAGS, (tag, source)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, source)
            assert name not in ("style", "srcdoc", "formaction"), (tag, name, source)
            if name in ("href", "src") and value is not None:
                cleaned = "".join(c for c in value if c > " ").lower()
                assert not cleaned.startswith(BAD_SCHEMES), (tag, value, source)


visitor_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=300) | st.lists(
    st.sampled_from(['"', "*", "NEAR(", "AND", "OR", "NOT", "-", "^", ":", "'", "\\", "\x00"])
    | st.text(max_size=8),
    max_size=20,
).map(" ".join)


@given(visitor_text)
@settings(max_examples=500, deadline=None)
def test_the_search_parser_never_raises_and_stays_bounded(text: str) -> None:
    query = parse_query(text)
    assert len(query.terms) <= MAX_TERMS
    assert all(0 < len(term) <= MAX_TERM_CHARS for term in query.terms)
    query.fts5(match_any=False)
    query.tsquery(match_any=True)


@pytest.fixture
def searchable(app: Flask) -> None:
    make_product("Barrier Repair Cream", slug="barrier-repair-cream")
    db.session.commit()


@WITH_FIXTURES
@given(text=visitor_text)
def test_the_search_page_answers_whatever_is_typed(app: Flask, searchable: None, text: str) -> None:
    client = app.test_client()
    response = client.get("/search", query_string={"q": text})
    assert response.status_code == 200, text
    assert "Something went wrong" not in response.get_data(as_text=True)


SECRET = "whsec_fuzz_secret"


@pytest.fixture
def signed_app(backend: str, app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """The shop with a webhook secret, on the test's database."""
    signed = make_app(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media", STRIPE_WEBHOOK_SECRET=SECRET
    )
    yield signed
    with signed.app_context():
        db.engine.dispose()


def _state() -> tuple[int, int]:
    found = (
        int(db.session.scalar(sa.select(sa.func.count()).select_from(StripeEvent)) or 0),
        int(db.session.scalar(sa.select(sa.func.count()).select_from(Order)) or 0),
    )
    db.session.rollback()
    return found


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)
event_like = st.fixed_dictionaries(
    {
        "id": st.text(max_size=30).map(lambda s: "evt_" + s),
        "object": st.just("event"),
        "type": st.sampled_from(
            [
                "checkout.session.completed",
                "checkout.session.expired",
                "checkout.session.async_payment_succeeded",
                "charge.refunded",
                "refund.updated",
                "anything.else",
            ]
        ),
        "data": st.fixed_dictionaries({"object": json_values}),
    },
    optional={"created": st.integers(), "livemode": st.booleans()},
)
payloads = st.binary(max_size=300) | event_like.map(json.dumps).map(str.encode)
# What an HTTP header can carry (no control characters such as newlines).
header_text = st.text(st.characters(codec="latin-1", exclude_categories=["Cc"]), max_size=80)
signatures = st.none() | header_text | st.just("t=1,v1=" + "0" * 64)


@WITH_FIXTURES
@given(payload=payloads, signature=signatures)
def test_unsigned_webhooks_never_change_anything(
    signed_app: Flask, payload: bytes, signature: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    before = _state()
    response = signed_app.test_client().post("/stripe/webhook", data=payload, headers=headers)
    assert response.status_code == 400
    assert _state() == before


@WITH_FIXTURES
@given(event=event_like)
def test_signed_nonsense_is_answered_never_a_server_error(
    signed_app: Flask, event: dict[str, object]
) -> None:
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, SECRET, timestamp=int(time.time())
    )
    before = _state()
    response = signed_app.test_client().post(
        "/stripe/webhook",
        data=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": header},
    )
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    orders_after = _state()[1]
    assert orders_after == before[1]  # no order is ever made from a webhook
