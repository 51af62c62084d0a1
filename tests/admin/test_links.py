"""The links editor: who may use it, and how each change shows on the public pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.admin.models import AuditEntry
from shop.catalog.models import ProductStatus
from shop.links.models import AnswerProductLink, DismissedSuggestion
from shop.links.services import add_link
from tests.factories import make_answer, make_brand, make_product
from tests.fixtures_staff import sign_in
from tests.html import csrf_token, visible_text
from tests.sql import counted_selects

MakeStaff = Callable[..., StaffUser]
EDITOR = "eve@example.com"
NAMES = ("Barrier Cream", "Calm Toner", "Daily Sunscreen")


@dataclass(frozen=True)
class Routine:
    answer_id: int
    slug: str
    product_ids: list[int]
    product_slugs: list[str]
    skus: list[str]


def _routine(db: SQLAlchemy, names: tuple[str, ...] = NAMES, body: str = "") -> Routine:
    answer = make_answer("How do I calm red skin?", body=body or "## Keep it simple\n")
    products = [make_product(name) for name in names]
    for n, product in enumerate(products):
        add_link(answer.id, product.id, note=f"Note {n}", caution="")
    routine = Routine(
        answer.id,
        answer.slug,
        [p.id for p in products],
        [p.slug for p in products],
        [p.variants[0].sku for p in products],
    )
    db.session.commit()
    return routine


def _editor(client: FlaskClient, make_staff: MakeStaff) -> None:
    make_staff(EDITOR, StaffRole.EDITOR)
    assert sign_in(client, EDITOR)[0] == 303


def _post(client: FlaskClient, page: str, action: str, **data: str) -> Any:
    token = csrf_token(client.get(page))
    return client.post(action, data={"csrf_token": token, **data})


def _public_order(client: FlaskClient, slug: str) -> list[str]:
    """The product names the public answer page lists, in its order."""
    html = client.get(f"/answers/{slug}").get_data(as_text=True)
    titles = re.findall(r'<h3 class="rec-title">(.*?)</h3>', html, re.S)
    return [visible_text(title) for title in titles]


def _links(db: SQLAlchemy, answer_id: int) -> list[tuple[int, int, str, str]]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(
            AnswerProductLink.product_id,
            AnswerProductLink.position,
            AnswerProductLink.note,
            AnswerProductLink.caution,
        )
        .where(AnswerProductLink.answer_id == answer_id)
        .order_by(AnswerProductLink.position)
    ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _audits(db: SQLAlchemy) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


def _link_id(db: SQLAlchemy, answer_id: int, product_id: int) -> int:
    found = db.session.scalar(
        sa.select(AnswerProductLink.id).where(
            AnswerProductLink.answer_id == answer_id, AnswerProductLink.product_id == product_id
        )
    )
    assert found is not None
    return found


# --- Access -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/links/",
        "/admin/links/answers/{answer}",
        "/admin/links/products/{product}",
        "/admin/links/pick/products?answer_id={answer}&q=cream",
        "/admin/links/pick/answers?product_id={product}&q=red",
        "/admin/links/answers/{answer}/suggestions",
        "/admin/links/products/{product}/suggestions",
    ],
)
def test_who_may_open_the_links_editor(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff, path: str
) -> None:
    routine = _routine(db)
    url = path.format(answer=routine.answer_id, product=routine.product_ids[0])
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")

    make_staff("fred@example.com", StaffRole.FULFILMENT)
    make_staff(EDITOR, StaffRole.EDITOR)
    make_staff("olive@example.com", StaffRole.OWNER)
    sign_in(client, "fred@example.com")
    assert client.get(url).status_code == 403
    for email in (EDITOR, "olive@example.com"):
        fresh = client.application.test_client()
        sign_in(fresh, email)
        assert fresh.get(url).status_code == 200


def test_changes_are_refused_to_fulfilment_and_visitors(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    link_id = _link_id(db, routine.answer_id, routine.product_ids[1])
    before = _links(db, routine.answer_id)
    response = client.post(f"/admin/links/links/{link_id}/remove", data={"back": "answer"})
    assert response.status_code in (302, 400)  # no CSRF token, or sent to sign in
    make_staff("fred@example.com", StaffRole.FULFILMENT)
    sign_in(client, "fred@example.com")
    token = csrf_token(client.get("/admin/"))  # the staff home has a form
    response = client.post(
        f"/admin/links/links/{link_id}/remove", data={"csrf_token": token, "back": "answer"}
    )
    assert response.status_code == 403
    assert _links(db, routine.answer_id) == before
    assert _audits(db) == []


def test_the_links_section_is_in_the_editor_navigation(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    _editor(client, make_staff)
    html = client.get("/admin/links/").get_data(as_text=True)
    assert re.search(r'<a href="/admin/links/"[^>]*>Links</a>', html)


def test_unknown_answer_or_product_is_404(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    _editor(client, make_staff)
    assert client.get("/admin/links/answers/999999").status_code == 404
    assert client.get("/admin/links/products/999999").status_code == 404
    assert client.get("/admin/links/pick/products?answer_id=999999&q=x").status_code == 404


# --- The answer side ----------------------------------------------------------------------


def test_the_answer_page_lists_products_in_order_with_stock_and_warnings(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    answer = make_answer("Which sunscreen?")
    gone = make_product("Old Balm", status=ProductStatus.ARCHIVED)
    empty = make_product("Empty Gel", variants=[("30 ml", 1500, 0)])
    fine = make_product("Good Serum", variants=[("30 ml", 3200, 7)])
    for product in (fine, gone, empty):
        db.session.add(AnswerProductLink(answer_id=answer.id, product_id=product.id, position=0))
    answer_id, sku = answer.id, fine.variants[0].sku
    db.session.commit()
    _editor(client, make_staff)

    text = visible_text(client.get(f"/admin/links/answers/{answer_id}"))
    assert text.index("Good Serum") < text.index("Old Balm") < text.index("Empty Gel")
    assert f"{sku} $32.00 (30 ml): 7 available" in text
    assert "Archived: readers see “No longer sold” here." in text
    assert "Sold out: readers see “Sold out for now” here." in text


def test_moving_a_product_reorders_the_public_answer_and_is_audited(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    assert _public_order(client, routine.slug) == list(NAMES)
    _editor(client, make_staff)
    page = f"/admin/links/answers/{routine.answer_id}"
    link_id = _link_id(db, routine.answer_id, routine.product_ids[2])

    response = _post(client, page, f"/admin/links/links/{link_id}/move/up", back="answer")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{page}#links"
    assert "Moved Daily Sunscreen up to #2." in visible_text(client.get(page))
    assert _public_order(client, routine.slug) == ["Barrier Cream", "Daily Sunscreen", "Calm Toner"]
    assert [position for _, position, _, _ in _links(db, routine.answer_id)] == [1, 2, 3]

    (entry,) = _audits(db)
    assert (entry.actor_email, entry.action, entry.entity, entry.entity_id) == (
        EDITOR,
        "link.move",
        "answer_links",
        str(routine.answer_id),
    )
    assert entry.before is not None
    assert entry.after is not None
    assert (entry.before["position"], entry.after["position"]) == (3, 2)
    assert entry.after["note"] == "Note 2"
    assert entry.after["product_id"] == routine.product_ids[2]


@pytest.mark.parametrize(("index", "direction", "edge"), [(0, "up", "first"), (2, "down", "last")])
def test_moving_past_either_end_changes_nothing_and_says_so(
    client: FlaskClient,
    db: SQLAlchemy,
    make_staff: MakeStaff,
    index: int,
    direction: str,
    edge: str,
) -> None:
    routine = _routine(db)
    _editor(client, make_staff)
    page = f"/admin/links/answers/{routine.answer_id}"
    before = _links(db, routine.answer_id)
    link_id = _link_id(db, routine.answer_id, routine.product_ids[index])

    response = _post(client, page, f"/admin/links/links/{link_id}/move/{direction}", back="answer")
    assert response.status_code == 303
    assert f"{NAMES[index]} is already {edge}; nothing moved." in visible_text(client.get(page))
    assert _links(db, routine.answer_id) == before
    assert _public_order(client, routine.slug) == list(NAMES)
    assert _audits(db) == []


def test_editing_the_note_shows_on_the_answer_and_product_pages(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    _editor(client, make_staff)
    page = f"/admin/links/answers/{routine.answer_id}"
    link_id = _link_id(db, routine.answer_id, routine.product_ids[1])

    response = _post(
        client,
        page,
        f"/admin/links/links/{link_id}/text",
        **{
            f"link-{link_id}-back": "answer",
            f"link-{link_id}-note": "  Soothes without stinging.  ",
            f"link-{link_id}-caution": "Patch test first.",
        },
    )
    assert response.status_code == 303
    assert "Saved the note and caution for Calm Toner." in visible_text(client.get(page))

    answer_text = visible_text(client.get(f"/answers/{routine.slug}"))
    assert "Soothes without stinging." in answer_text
    assert "Caution: Patch test first." in answer_text
    assert "Note 1" not in answer_text
    product_text = visible_text(client.get(f"/products/{routine.product_slugs[1]}"))
    assert "“Soothes without stinging.”" in product_text

    (entry,) = _audits(db)
    assert entry.action == "link.update"
    assert entry.before is not None
    assert entry.after is not None
    assert (entry.before["note"], entry.before["caution"]) == ("Note 1", "")
    assert (entry.after["note"], entry.after["caution"]) == (
        "Soothes without stinging.",
        "Patch test first.",
    )
    assert entry.before["position"] == entry.after["position"] == 2


@pytest.mark.parametrize(
    ("field", "length", "message"),
    [
        ("note", 601, "Keep the doctor's note to 600 characters or fewer."),
        ("caution", 301, "Keep the caution to 300 characters or fewer."),
    ],
)
def test_a_note_or_caution_too_long_is_refused(
    client: FlaskClient,
    db: SQLAlchemy,
    make_staff: MakeStaff,
    field: str,
    length: int,
    message: str,
) -> None:
    routine = _routine(db)
    _editor(client, make_staff)
    page = f"/admin/links/answers/{routine.answer_id}"
    link_id = _link_id(db, routine.answer_id, routine.product_ids[0])
    before = _links(db, routine.answer_id)
    data = {f"link-{link_id}-back": "answer", f"link-{link_id}-note": "Fine"}
    data[f"link-{link_id}-{field}"] = "x" * length

    response = _post(client, page, f"/admin/links/links/{link_id}/text", **data)
    assert response.status_code == 400
    assert message in visible_text(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert _links(db, routine.answer_id) == before
    assert _audits(db) == []


def test_removing_a_product_takes_it_off_the_public_pages(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    _editor(client, make_staff)
    page = f"/admin/links/answers/{routine.answer_id}"
    link_id = _link_id(db, routine.answer_id, routine.product_ids[0])

    response = _post(client, page, f"/admin/links/links/{link_id}/remove", back="answer")
    assert response.status_code == 303
    assert "Barrier Cream is no longer recommended" in visible_text(client.get(page))
    assert _public_order(client, routine.slug) == ["Calm Toner", "Daily Sunscreen"]
    assert "Note 0" not in visible_text(client.get(f"/products/{routine.product_slugs[0]}"))
    assert [(pid, pos) for pid, pos, _, _ in _links(db, routine.answer_id)] == [
        (routine.product_ids[1], 1),
        (routine.product_ids[2], 2),
    ]
    (entry,) = _audits(db)
    assert entry.action == "link.remove"
    assert entry.before == {
        "answer_id": routine.answer_id,
        "product_id": routine.product_ids[0],
        "position": 1,
        "note": "Note 0",
        "caution": "",
    }
    assert entry.after is None

    again = _post(client, page, f"/admin/links/links/{link_id}/remove", back="answer")
    assert again.status_code == 404


def test_a_post_without_csrf_is_refused(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    _editor(client, make_staff)
    link_id = _link_id(db, routine.answer_id, routine.product_ids[0])
    before = _links(db, routine.answer_id)
    assert client.post(f"/admin/links/links/{link_id}/remove").status_code == 400
    assert client.post(f"/admin/links/links/{link_id}/move/down").status_code == 400
    assert _links(db, routine.answer_id) == before


# --- The picker ---------------------------------------------------------------------------


def test_the_picker_finds_products_by_name_brand_and_sku(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    lumen = make_brand("Lumen Labs")
    serum = make_product("Vitamin C Serum", brand=lumen, variants=[("30 ml", 4200, 5)])
    oil = make_product("Rosehip Oil", variants=[("15 ml", 1900, 5)])
    serum_sku, oil_sku = serum.variants[0].sku, oil.variants[0].sku
    db.session.commit()
    _editor(client, make_staff)
    page = f"/admin/links/answers/{routine.answer_id}"

    by_name = visible_text(client.get(f"{page}?q=vitamin ser"))
    assert f"Vitamin C Serum Lumen Labs {serum_sku} $42.00 (30 ml) active" in by_name
    assert "Rosehip Oil" not in by_name

    assert "Vitamin C Serum" in visible_text(client.get(f"{page}?q=lumen"))

    by_sku = visible_text(client.get(f"{page}?q={oil_sku.lower()}"))
    assert "Rosehip Oil" in by_sku
    assert "Vitamin C Serum" not in by_sku

    fragment = client.get(f"/admin/links/pick/products?answer_id={routine.answer_id}&q=rosehip")
    assert fragment.status_code == 200
    assert "<html" not in fragment.get_data(as_text=True)
    assert "Rosehip Oil" in visible_text(fragment)

    nothing = visible_text(client.get(f"{page}?q=zzzz"))
    assert "No product matches “zzzz”." in nothing
    long = client.get(f"{page}?q=" + "a" * 150)
    assert long.status_code == 200
    assert "Only the first 100 characters were searched." in visible_text(long)


def test_linked_and_archived_products_are_marked_not_linkable(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    make_product("Barrier Balm", status=ProductStatus.ARCHIVED)
    db.session.commit()
    _editor(client, make_staff)
    response = client.get(f"/admin/links/answers/{routine.answer_id}?q=barrier")
    rows = re.findall(r"<tr>(.*?)</tr>", response.get_data(as_text=True), re.S)
    found = {visible_text(row).split(" Brand")[0]: visible_text(row) for row in rows[1:]}
    assert "Already linked" in found["Barrier Cream"]
    assert "Archived: cannot be linked" in found["Barrier Balm"]
    assert "Note for Barrier" not in visible_text(response)  # no Link form on either row


def test_linking_from_the_picker_appends_the_product_with_its_note(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    new_id = make_product("Rosehip Oil").id
    db.session.commit()
    _editor(client, make_staff)
    page = f"/admin/links/answers/{routine.answer_id}?q=rosehip"
    assert "Link Rosehip Oil" in visible_text(client.get(page))

    response = _post(
        client,
        page,
        f"/admin/links/answers/{routine.answer_id}/links?q=rosehip",
        product_id=str(new_id),
        note=" For dry patches at night. ",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"/admin/links/answers/{routine.answer_id}?q=rosehip#links"
    )
    after = visible_text(client.get(page))
    assert "Rosehip Oil is now recommended, at #4." in after
    assert "Already linked" in after
    assert _public_order(client, routine.slug) == [*NAMES, "Rosehip Oil"]
    assert "For dry patches at night." in visible_text(client.get(f"/answers/{routine.slug}"))
    (entry,) = _audits(db)
    assert entry.action == "link.add"
    assert entry.before is None
    assert entry.after == {
        "answer_id": routine.answer_id,
        "product_id": new_id,
        "position": 4,
        "note": "For dry patches at night.",
        "caution": "",
    }


def test_linking_a_product_twice_is_refused_with_a_message(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    _editor(client, make_staff)
    page = f"/admin/links/answers/{routine.answer_id}"
    before = _links(db, routine.answer_id)
    response = _post(
        client,
        page,
        f"/admin/links/answers/{routine.answer_id}/links",
        product_id=str(routine.product_ids[1]),
        note="Again",
    )
    assert response.status_code == 400
    text = visible_text(response)
    assert "The product was not linked" in text
    assert "This answer already recommends Calm Toner." in text
    assert _links(db, routine.answer_id) == before
    assert _audits(db) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"product_id": ""}, "Choose a product to link."),
        ({"product_id": "abc"}, "Not a valid integer value."),
        ({"product_id": "0"}, "Choose a product from the list."),
        ({"product_id": "{new}", "note": "n" * 601}, "600 characters or fewer"),
        ({"product_id": "999999"}, "There is no such product."),
        ({"product_id": "{archived}"}, "is archived"),
    ],
)
def test_bad_link_requests_are_refused(
    client: FlaskClient,
    db: SQLAlchemy,
    make_staff: MakeStaff,
    data: dict[str, str],
    message: str,
) -> None:
    routine = _routine(db)
    new_id = make_product("Rosehip Oil").id
    archived_id = make_product("Old Balm", status=ProductStatus.ARCHIVED).id
    db.session.commit()
    _editor(client, make_staff)
    page = f"/admin/links/answers/{routine.answer_id}"
    before = _links(db, routine.answer_id)
    posted = {k: v.format(new=new_id, archived=archived_id) for k, v in data.items()}
    response = _post(client, page, f"/admin/links/answers/{routine.answer_id}/links", **posted)
    assert response.status_code == 400
    assert message in visible_text(response)
    assert _links(db, routine.answer_id) == before


def test_the_picker_costs_the_same_queries_whatever_the_catalogue_size(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    _editor(client, make_staff)
    url = f"/admin/links/pick/products?answer_id={routine.answer_id}&q=cream"

    def selects() -> int:
        client.get(url)  # warm: sign-in and session lookups settle
        with counted_selects(db) as statements:
            response = client.get(url)
        assert response.status_code == 200
        return len(statements)

    small = selects()
    brand = make_brand("Bulk Brand")
    for n in range(40):
        make_product(f"Cream Number {n}", brand=brand)
    db.session.commit()
    large = selects()
    assert large == small
    rows = client.get(url).get_data(as_text=True).split("<tbody>", 1)[1].count("<tr>")
    assert rows == 20


# --- Suggestions --------------------------------------------------------------------------


def test_accepting_a_suggestion_links_it_and_dismissing_one_hides_it_for_good(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(
        db,
        names=("Barrier Cream",),
        body="Try **Rosehip Facial Oil** at night, or a **Squalane Night Drops** blend.",
    )
    oil_id = make_product("Rosehip Facial Oil").id
    drops_id = make_product("Squalane Night Drops").id
    db.session.commit()
    _editor(client, make_staff)
    page = f"/admin/links/answers/{routine.answer_id}/suggestions"
    assert f'href="{page}"' in client.get(page.rsplit("/", 1)[0]).get_data(as_text=True)
    suggestions = visible_text(client.get(page)).split("never suggested", 1)[1]
    assert "Rosehip Facial Oil Brand" in suggestions
    assert 'mentions the product name "Rosehip Facial Oil"' in suggestions
    assert "Squalane Night Drops" in suggestions

    accepted = _post(
        client,
        page,
        f"/admin/links/answers/{routine.answer_id}/suggestions/{oil_id}/accept",
        back="answer",
    )
    assert accepted.status_code == 303
    assert accepted.headers["Location"] == page
    assert _public_order(client, routine.slug) == ["Barrier Cream", "Rosehip Facial Oil"]

    dismissed = _post(
        client,
        page,
        f"/admin/links/answers/{routine.answer_id}/suggestions/{drops_id}/dismiss",
        back="answer",
    )
    assert dismissed.status_code == 303
    text = visible_text(client.get(page))
    assert "Squalane Night Drops will not be suggested for this answer again." in text
    after = text.split("never suggested", 1)[1]
    assert "Squalane Night Drops" not in after
    assert "Rosehip Facial Oil" not in after
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DismissedSuggestion)) == 1
    assert _public_order(client, routine.slug) == ["Barrier Cream", "Rosehip Facial Oil"]

    first, second = _audits(db)
    assert (first.action, second.action) == ("link.accept", "suggestion.dismiss")
    assert first.after is not None
    assert first.after["position"] == 2
    assert second.after == {"product_id": drops_id, "dismissed": True}


def test_dismissing_a_linked_product_is_refused(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    _editor(client, make_staff)
    page = f"/admin/links/answers/{routine.answer_id}/suggestions"
    response = _post(
        client,
        f"/admin/links/answers/{routine.answer_id}",  # the suggestions page has no form left
        f"/admin/links/answers/{routine.answer_id}/suggestions/{routine.product_ids[0]}/dismiss",
        back="answer",
    )
    assert response.status_code == 303
    assert "remove the link instead" in visible_text(client.get(page))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DismissedSuggestion)) == 0


def test_a_product_suggests_answers_that_mention_it_to_accept_or_dismiss(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    oil_id = make_product("Rosehip Facial Oil").id
    night = make_answer("What helps at night?", body="A little **Rosehip Facial Oil** works.")
    dry = make_answer("Dry patches?", body="Try **Rosehip Facial Oil** on dry patches.")
    night_id, night_slug, dry_id = night.id, night.slug, dry.id
    db.session.commit()
    _editor(client, make_staff)
    page = f"/admin/links/products/{oil_id}/suggestions"
    text = visible_text(client.get(page))
    assert "What helps at night? answer-" in text
    assert 'mentions the product name "Rosehip Facial Oil"' in text

    accepted = _post(
        client, page, f"/admin/links/answers/{night_id}/suggestions/{oil_id}/accept", back="product"
    )
    assert accepted.headers["Location"] == page
    assert _public_order(client, night_slug) == ["Rosehip Facial Oil"]
    dismissed = _post(
        client, page, f"/admin/links/answers/{dry_id}/suggestions/{oil_id}/dismiss", back="product"
    )
    assert dismissed.headers["Location"] == page
    after = visible_text(client.get(page)).split("never suggested", 1)[1]
    assert "What helps at night?" not in after
    assert "Dry patches?" not in after
    assert [a.action for a in _audits(db)] == ["link.accept", "suggestion.dismiss"]


# --- The product side ---------------------------------------------------------------------


def test_recommending_a_product_in_an_answer_from_the_product_page(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    other = make_answer("Is retinol safe in winter?", slug="retinol-in-winter")
    new = make_product("Rosehip Oil")
    new_id, other_id = new.id, other.id
    add_link(other_id, routine.product_ids[0])
    db.session.commit()
    _editor(client, make_staff)
    page = f"/admin/links/products/{new_id}"

    picks = visible_text(client.get(f"{page}?q=retinol winter"))
    assert "Is retinol safe in winter?" in picks
    assert "How do I calm red skin?" not in picks
    by_slug = visible_text(
        client.get(f"/admin/links/pick/answers?product_id={new_id}&q=retinol-in")
    )
    assert "Is retinol safe in winter?" in by_slug

    response = _post(
        client, f"{page}?q=retinol", f"{page}/answers", answer_id=str(other_id), note="Pairs well."
    )
    assert response.status_code == 303
    text = visible_text(client.get(page))
    assert "“Is retinol safe in winter?” now recommends Rosehip Oil, at #2." in text
    assert "Recommended in (1)" in text
    assert _public_order(client, "retinol-in-winter") == ["Barrier Cream", "Rosehip Oil"]
    assert "Already recommends it" in visible_text(client.get(f"{page}?q=retinol"))

    twice = _post(client, f"{page}?q=retinol", f"{page}/answers", answer_id=str(other_id))
    assert twice.status_code == 400
    assert "already recommends Rosehip Oil" in visible_text(twice)


def test_editing_and_removing_from_the_product_page_return_there(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    product_id = routine.product_ids[1]
    _editor(client, make_staff)
    page = f"/admin/links/products/{product_id}"
    text = visible_text(client.get(page))
    assert "How do I calm red skin?" in text
    assert "Reorder this answer's products" in text
    link_id = _link_id(db, routine.answer_id, product_id)

    saved = _post(
        client,
        page,
        f"/admin/links/links/{link_id}/text",
        **{f"link-{link_id}-back": "product", f"link-{link_id}-note": "Gentle enough daily."},
    )
    assert saved.status_code == 303
    assert saved.headers["Location"] == f"{page}#links"
    assert "“Gentle enough daily.”" in visible_text(
        client.get(f"/products/{routine.product_slugs[1]}")
    )

    removed = _post(client, page, f"/admin/links/links/{link_id}/remove", back="product")
    assert removed.status_code == 303
    assert removed.headers["Location"] == f"{page}#links"
    assert "No answer recommends this product yet." in visible_text(client.get(page))
    assert _public_order(client, routine.slug) == ["Barrier Cream", "Daily Sunscreen"]
    assert [a.action for a in _audits(db)] == ["link.update", "link.remove"]


# --- The checks ---------------------------------------------------------------------------


def test_the_index_lists_what_needs_fixing_with_links(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    answer = make_answer("What about old favourites?")
    gone = make_product("Old Balm", status=ProductStatus.ARCHIVED)
    empty = make_product("Empty Gel", variants=[("30 ml", 1500, 0)])
    lonely = make_answer("Do I need toner?")
    unloved = make_product("Lonely Lotion")
    # An archived product cannot be linked any more; this link is from before it was.
    db.session.add(AnswerProductLink(answer_id=answer.id, product_id=gone.id, position=9))
    add_link(answer.id, empty.id)
    ids = (answer.id, gone.id, lonely.id, unloved.id)
    db.session.commit()
    _editor(client, make_staff)

    response = client.get("/admin/links/")
    html = response.get_data(as_text=True)
    text = visible_text(response)
    assert "Answers recommending products that cannot be bought (2)" in text
    assert "Old Balm archived What about old favourites?" in text
    assert "Empty Gel sold out What about old favourites?" in text
    assert "Public answers without products (1) Do I need toner?" in text
    assert "Lonely Lotion" in text.split("Active products no answer recommends", 1)[1]
    assert f'href="/admin/links/answers/{ids[0]}#links"' in html
    assert f'href="/admin/links/products/{ids[1]}"' in html
    assert f'href="/admin/links/answers/{ids[2]}#add"' in html
    assert f'href="/admin/links/products/{ids[3]}#add"' in html


def test_reading_changes_nothing(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    routine = _routine(db)
    _editor(client, make_staff)
    before = _links(db, routine.answer_id)
    link_id = _link_id(db, routine.answer_id, routine.product_ids[0])
    assert client.get(f"/admin/links/links/{link_id}/remove").status_code == 405
    client.get(f"/admin/links/answers/{routine.answer_id}?q=cream&product_id=1")
    client.get(f"/admin/links/products/{routine.product_ids[0]}?q=red")
    assert _links(db, routine.answer_id) == before
    assert _audits(db) == []


# --- Positions ----------------------------------------------------------------------------


def test_older_gapped_or_tied_positions_become_1_to_n_on_the_first_change(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    answer = make_answer("An older answer?")
    products = [make_product(name) for name in NAMES]
    # As the demo and older imports stored them: from 0, with a tie and a gap.
    for product, position in zip(products, (0, 0, 7), strict=True):
        db.session.add(
            AnswerProductLink(answer_id=answer.id, product_id=product.id, position=position)
        )
    answer_id, slug = answer.id, answer.slug
    ids = [p.id for p in products]
    db.session.commit()
    _editor(client, make_staff)
    page = f"/admin/links/answers/{answer_id}"

    response = _post(
        client, page, f"/admin/links/links/{_link_id(db, answer_id, ids[2])}/move/up", back="answer"
    )
    assert response.status_code == 303
    assert [(pid, pos) for pid, pos, _, _ in _links(db, answer_id)] == [
        (ids[0], 1),
        (ids[2], 2),
        (ids[1], 3),
    ]
    assert _public_order(client, slug) == ["Barrier Cream", "Daily Sunscreen", "Calm Toner"]


def test_add_link_places_a_new_link_after_one_at_position_0(db: SQLAlchemy) -> None:
    answer = make_answer()
    first, second = make_product(), make_product()
    db.session.add(AnswerProductLink(answer_id=answer.id, product_id=first.id, position=0))
    assert add_link(answer.id, second.id).after == {
        "answer_id": answer.id,
        "product_id": second.id,
        "position": 2,
        "note": "",
        "caution": "",
    }
    placed = [(pid, pos) for pid, pos, _, _ in _links(db, answer.id)]
    assert placed == [(first.id, 1), (second.id, 2)]
