"""Staff edit the shop's pages in the admin: list, editor with preview, locking, audit, roles."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from werkzeug.test import TestResponse

from shop.accounts.models import StaffRole, StaffUser
from shop.admin.models import AuditEntry
from shop.pages.models import Page
from shop.pages.services import PageContent, write_page
from tests.conftest import make_app
from tests.fixtures_staff import sign_in
from tests.html import csrf_token, injected_markup, visible_text

MakeStaff = Callable[..., StaffUser]
URL = "/admin/pages/shipping-returns"
STALE = (
    "This page was changed by someone else after you opened it; nothing was saved. "
    "Here is the current version, with your text below it to copy from."
)


@pytest.fixture
def shipping(db: SQLAlchemy, standard_pages: list[Page]) -> Page:
    page = write_page(
        "shipping-returns",
        PageContent("Shipping and returns", "Standard shipping is **$6.95** per order."),
    )
    db.session.commit()
    return page


@pytest.fixture
def other_app(app: Flask, db: SQLAlchemy, tmp_path: Path) -> Iterator[Flask]:
    """A second app process on the same database, with a page cache of its own."""
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "media")
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _version_on(page: TestResponse) -> str:
    found = re.search(r'name="version" type="hidden" value="(\d+)"', page.get_data(as_text=True))
    assert found is not None, "the editor has no version field"
    return found.group(1)


def _form(page: TestResponse, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_token(page),
        "version": _version_on(page),
        "title": "Shipping and returns",
        "body_markdown": "Standard shipping is **$6.95** per order.",
        "seo_description": "",
        **changes,
    }


def _stored(db: SQLAlchemy) -> Page:
    db.session.rollback()
    page = db.session.scalar(sa.select(Page).where(Page.slug == "shipping-returns"))
    assert page is not None
    return page


def _public(client: FlaskClient, db: SQLAlchemy) -> str:
    db.session.rollback()  # the test's session may hold SQLite's write lock
    response = client.get("/pages/shipping-returns")
    assert response.status_code == 200
    return visible_text(response)


def test_an_edit_shows_on_the_site_at_once_through_the_page_cache(
    client: FlaskClient, db: SQLAlchemy, other_app: Flask, editor: StaffUser, shipping: Page
) -> None:
    reader = other_app.test_client()
    here = client.application.test_client()
    for visitor in (reader, here):  # both processes have the old page in their cache
        assert "$6.95 per order" in _public(visitor, db)
        assert "$6.95 per order" in _public(visitor, db)
    page = client.get(URL)
    assert page.status_code == 200
    saved = client.post(
        URL,
        data=_form(
            page,
            title="Shipping & returns",
            body_markdown="## Rates\r\n\r\nStandard shipping is now **$4.95** per order.",
        ),
    )
    assert saved.status_code == 303
    assert saved.headers["Location"] == URL
    assert "Saved. The page on the site shows the new text now." in visible_text(client.get(URL))
    for visitor in (reader, here):
        text = _public(visitor, db)
        assert "Standard shipping is now $4.95 per order." in text
        assert "$6.95" not in text
        assert "Shipping & returns" in text


def test_an_edit_is_audited_with_what_changed(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, shipping: Page
) -> None:
    version = _stored(db).version
    page = client.get(URL)
    client.post(URL, data=_form(page, body_markdown="Free shipping over $75."))
    stored = _stored(db)
    assert (stored.body_markdown, stored.version) == ("Free shipping over $75.", version + 1)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "page")).one()
    assert (entry.actor_email, entry.action, entry.entity_id) == (
        "ed@example.com",
        "page.edit",
        "shipping-returns",
    )
    assert entry.before == {"body_markdown": "Standard shipping is **$6.95** per order."}
    assert entry.after == {"body_markdown": "Free shipping over $75."}
    # The editor lists it under "Staff changes".
    assert "Page shipping-returns: changed body_markdown" in visible_text(client.get(URL))


def test_saving_without_a_change_changes_nothing(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, shipping: Page
) -> None:
    version = _stored(db).version
    saved = client.post(URL, data=_form(client.get(URL)))
    assert saved.status_code == 303
    assert "Nothing was changed." in visible_text(client.get(URL))
    assert _stored(db).version == version
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_a_stale_version_is_refused_with_a_clear_message(
    client: FlaskClient,
    db: SQLAlchemy,
    make_staff: MakeStaff,
    editor: StaffUser,
    shipping: Page,
) -> None:
    make_staff("owner@example.com", StaffRole.OWNER)
    colleague = client.application.test_client()
    assert sign_in(colleague, "owner@example.com")[0] == 303
    mine, theirs = client.get(URL), colleague.get(URL)
    first = colleague.post(URL, data=_form(theirs, body_markdown="Their rates."))
    assert first.status_code == 303
    second = client.post(URL, data=_form(mine, body_markdown="My rates."))
    assert second.status_code == 409
    text = visible_text(second)
    assert "Nothing was saved" in text
    assert STALE in text
    page = second.get_data(as_text=True)
    # The form shows the page as it is now; the editor's own text is kept below it.
    assert re.search(r'<textarea[^>]*name="body_markdown"[^>]*>\s*Their rates\.</textarea>', page)
    assert 'id="unsaved-body" rows="12" readonly>My rates.</textarea>' in page
    assert _stored(db).body_markdown == "Their rates."
    # Saving again from the page the 409 showed works.
    third = client.post(URL, data=_form(second, body_markdown="My rates."))
    assert third.status_code == 303
    assert _stored(db).body_markdown == "My rates."


def test_preview_renders_the_markdown_and_saves_nothing(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, shipping: Page
) -> None:
    version = _stored(db).version
    page = client.get(URL)
    assert 'data-preview-target="body-preview"' in page.get_data(as_text=True)
    assert "js/admin-preview" in page.get_data(as_text=True)
    shown = client.post(
        URL,
        data=_form(page, body_markdown="## New rates\n\n<script>alert(1)</script>", preview="1"),
    )
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    preview = html.split('id="body-preview"', 1)[1].split("</section>", 1)[0]
    assert "<h2>New rates</h2>" in preview
    assert injected_markup(preview) == []
    assert "nothing has been saved" in visible_text(shown)
    stored = _stored(db)
    assert (stored.body_markdown, stored.version) == (
        "Standard shipping is **$6.95** per order.",
        version,
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "  "}, "Enter the page's title."),
        ({"title": "x" * 121}, "Keep the title to 120 characters or fewer."),
        ({"body_markdown": "x" * 50_001}, "Keep the text to 50,000 characters or fewer."),
        ({"seo_description": "x" * 321}, "Keep the description to 320 characters or fewer."),
        ({"version": ""}, "The form lost track of the page's version; reload the page."),
        ({"version": "-3"}, "That version number is not valid."),
    ],
)
def test_bad_input_is_refused_with_a_message(
    client: FlaskClient,
    db: SQLAlchemy,
    editor: StaffUser,
    shipping: Page,
    changes: dict[str, str],
    message: str,
) -> None:
    version = _stored(db).version
    response = client.post(URL, data=_form(client.get(URL), **changes))
    assert response.status_code == 400
    assert message in visible_text(response)
    assert "The page was not saved" in visible_text(response)
    assert _stored(db).version == version


def test_a_post_without_csrf_is_refused(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, shipping: Page
) -> None:
    data = _form(client.get(URL), body_markdown="Forged.")
    del data["csrf_token"]
    assert client.post(URL, data=data).status_code == 400
    assert _stored(db).body_markdown == "Standard shipping is **$6.95** per order."


@pytest.mark.parametrize("role", [StaffRole.OWNER, StaffRole.EDITOR], ids=str)
def test_owners_and_editors_find_pages_in_the_admin(
    client: FlaskClient, make_staff: MakeStaff, shipping: Page, role: StaffRole
) -> None:
    make_staff("staff@example.com", role)
    assert sign_in(client, "staff@example.com")[0] == 303
    home = client.get("/admin/")
    assert '<a href="/admin/pages/">Pages</a>' in home.get_data(as_text=True)
    listing = client.get("/admin/pages/")
    assert listing.status_code == 200
    text = visible_text(listing)
    for title in ("Contact us", "Shipping and returns", "Privacy policy", "Terms of sale"):
        assert title in text
    assert text.count("Not written yet") == 4  # all but the shipping page
    assert '<a href="/admin/pages/shipping-returns">' in listing.get_data(as_text=True)
    assert client.get(URL).status_code == 200


def test_fulfilment_staff_cannot_edit(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff, shipping: Page
) -> None:
    make_staff("packer@example.com", StaffRole.FULFILMENT)
    assert sign_in(client, "packer@example.com")[0] == 303
    token = csrf_token(client.get("/admin/password"))
    assert "/admin/pages/" not in client.get("/admin/").get_data(as_text=True)
    assert client.get("/admin/pages/").status_code == 403
    assert client.get(URL).status_code == 403
    posted = client.post(
        URL,
        data={"csrf_token": token, "version": "2", "title": "Hacked", "body_markdown": "No."},
    )
    assert posted.status_code == 403
    assert _stored(db).title == "Shipping and returns"


def test_visitors_are_sent_to_sign_in(client: FlaskClient, shipping: Page) -> None:
    for url in ("/admin/pages/", URL):
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login" in response.headers["Location"]


def test_an_unknown_page_is_404_in_the_admin(
    client: FlaskClient, editor: StaffUser, shipping: Page
) -> None:
    assert client.get("/admin/pages/no-such-page").status_code == 404
