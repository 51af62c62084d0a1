"""Read a search results page the way a visitor sees it."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.html import visible_text


def search_page(client: FlaskClient, q: str, **args: str) -> TestResponse:
    """GET /search for `q`, asserting the page came back fine."""
    response = client.get("/search?" + urlencode({"q": q, **args}))
    assert response.status_code == 200, response.status_code
    return response


def hits(response: TestResponse, group: str) -> list[str]:
    """Titles of the hits in one group ("products" or "answers"), in order."""
    html = response.get_data(as_text=True)
    section = re.search(
        rf'<section class="search-group" aria-labelledby="search-{group}">(.*?)</section>',
        html,
        re.S,
    )
    if section is None:
        return []
    titles = re.findall(r'<h3 class="search-hit-title">(.*?)</h3>', section.group(1), re.S)
    return [visible_text(t) for t in titles]


def group_order(response: TestResponse) -> list[str]:
    """The groups on the page, top to bottom."""
    html = response.get_data(as_text=True)
    return re.findall(r'aria-labelledby="search-(products|answers)"', html)


def answer_slugs(response: TestResponse) -> list[str]:
    """Slugs of the answers listed, in order."""
    html = response.get_data(as_text=True)
    return re.findall(r'<h3 class="search-hit-title"><a href="/answers/([^"]+)"', html)
