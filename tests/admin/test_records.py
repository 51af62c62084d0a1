"""The data lists under /admin/data (Flask-Admin): who may open them, search, filters, sorting,
paging, CSV export, and editing reference data with its audit trail."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from werkzeug.test import TestResponse

from shop.accounts.models import StaffRole, StaffUser
from shop.admin.models import AuditEntry
from shop.catalog.models import Brand, Category, ProductStatus
from shop.editorial.models import AnswerStatus, Doctor
from tests.factories import (
    make_answer,
    make_brand,
    make_category,
    make_doctor,
    make_product,
    make_question,
)
from tests.fixtures_staff import sign_in
from tests.html import csrf_token, injected_markup, visible_text

MakeStaff = Callable[..., StaffUser]
OWNER, EDITOR, FULFILMENT = StaffRole.OWNER, StaffRole.EDITOR, StaffRole.FULFILMENT

LISTS = {
    "/admin/data/products/": EDITOR,
    "/admin/data/answers/": EDITOR,
    "/admin/data/questions/": EDITOR,
    "/admin/data/brands/": EDITOR,
    "/admin/data/categories/": EDITOR,
    "/admin/data/concerns/": EDITOR,
    "/admin/data/topics/": EDITOR,
    "/admin/data/doctors/": EDITOR,
}
OTHER = {EDITOR: FULFILMENT, FULFILMENT: EDITOR}


def _signed_in(client: FlaskClient, make_staff: MakeStaff, role: StaffRole) -> StaffUser:
    email = f"{role.value}@example.com"
    user = make_staff(email, role)
    assert sign_in(client, email)[0] == 303
    return user


@pytest.fixture
def editor(client: FlaskClient, make_staff: MakeStaff) -> StaffUser:
    return _signed_in(client, make_staff, EDITOR)


@pytest.fixture
def fulfiller(client: FlaskClient, make_staff: MakeStaff) -> StaffUser:
    return _signed_in(client, make_staff, FULFILMENT)


def _rows(response: TestResponse) -> list[list[str]]:
    """The list's table body: each row's cells as a reader sees them."""
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    if body is None:
        return []
    return [
        [visible_text(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def _column(response: TestResponse, index: int = 0) -> list[str]:
    return [row[index] for row in _rows(response)]


def _csv(response: TestResponse) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _audits(db: SQLAlchemy) -> list[AuditEntry]:
    db.session.expire_all()
    found = list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all())
    db.session.rollback()
    return found


def _brands(db: SQLAlchemy) -> list[tuple[str, str, str]]:
    db.session.expire_all()
    found = db.session.execute(
        sa.select(Brand.name, Brand.slug, Brand.description).order_by(Brand.id)
    ).all()
    db.session.rollback()
    return [tuple(row) for row in found]  # type: ignore[misc]


# Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", list(LISTS))
def test_each_list_opens_for_its_role_and_owners_only(
    client: FlaskClient, make_staff: MakeStaff, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/login?next={url.replace('/', '%2F')}"

    role = LISTS[url]
    make_staff("right@example.com", role)
    make_staff("wrong@example.com", OTHER[role])
    make_staff("owner@example.com", OWNER)
    sign_in(client, "wrong@example.com")
    refused = client.get(url)
    assert refused.status_code == 403
    assert "Your staff role does not include this page." in visible_text(refused)
    for email in ("right@example.com", "owner@example.com"):
        fresh = client.application.test_client()
        sign_in(fresh, email)
        page = fresh.get(url)
        assert page.status_code == 200
        assert "Dashboard" in visible_text(page)  # the admin's own navigation around it
        html = page.get_data(as_text=True)
        assert injected_markup(html) == []
        assert "<script" not in html
        assert "style=" not in html


def test_the_data_index_lists_only_what_the_role_may_open(
    client: FlaskClient, make_staff: MakeStaff
) -> None:
    assert client.get("/admin/data/").headers["Location"].startswith("/admin/login?next=")
    _signed_in(client, make_staff, EDITOR)
    page = client.get("/admin/data/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for href in ("/admin/data/products/", "/admin/data/answers/", "/admin/data/brands/"):
        assert f'href="{href}"' in html
    fresh = client.application.test_client()
    make_staff("packer@example.com", FULFILMENT)
    sign_in(fresh, "packer@example.com")
    html = fresh.get("/admin/data/").get_data(as_text=True)
    assert 'href="/admin/data/products/"' not in html
    assert 'href="/admin/data/brands/"' not in html


def test_a_list_sits_in_its_section_with_the_sections_tabs(
    client: FlaskClient, make_staff: MakeStaff
) -> None:
    _signed_in(client, make_staff, EDITOR)
    html = client.get("/admin/data/categories/").get_data(as_text=True)
    # One navigation entry for the reference data, its five tables as tabs.
    assert html.count('href="/admin/data/brands/"') == 2
    tabs = re.search(r'<nav class="admin-tabs" aria-label="Reference data">(.*?)</nav>', html, re.S)
    assert tabs is not None
    assert visible_text(tabs.group(1)).split() == [
        "Brands", "Categories", "Skin", "concerns", "Topics", "Doctors",
    ]  # fmt: skip
    assert 'href="/admin/data/categories/" aria-current="page"' in tabs.group(1)
    products = client.get("/admin/data/products/").get_data(as_text=True)
    assert 'href="/admin/products/new"' in products  # the "New product" tab and button
    assert 'href="/admin/data/orders/"' not in products


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/data/orders/", "/admin/orders/"),
        ("/admin/data/orders/?search=ann%40", "/admin/orders/?q=ann@"),
        ("/admin/data/orders/?flt0_status_equals=pending", "/admin/orders/?status=pending"),
        ("/admin/data/orders/export/csv/?search=bob", "/admin/orders/export.csv?q=bob"),
        ("/admin/data/variants/", "/admin/stock/"),
        ("/admin/data/variants/?search=serum&sort=4", "/admin/stock/?q=serum"),
        ("/admin/data/variants/export/csv/?search=serum", "/admin/stock/export.csv?q=serum"),
    ],
)
def test_the_old_order_and_stock_lists_lead_to_the_orders_and_stock_screens(
    client: FlaskClient, make_staff: MakeStaff, old: str, new: str
) -> None:
    assert client.get(old).headers["Location"].startswith("/admin/login?next=")
    _signed_in(client, make_staff, FULFILMENT)
    response = client.get(old)
    assert response.status_code == 301
    assert response.headers["Location"] == new
    assert client.get(new).status_code == 200
    fresh = client.application.test_client()
    make_staff("writer@example.com", EDITOR)
    sign_in(fresh, "writer@example.com")
    assert fresh.get(old).status_code == 403


# Products: search, filters, sorting, paging, export -----------------------------------------


def test_products_link_to_their_editor_and_offer_a_new_product(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    product = make_product("Barrier Cream")
    db.session.commit()
    html = client.get("/admin/data/products/").get_data(as_text=True)
    assert f'<a href="/admin/products/{product.id}">Barrier Cream</a>' in html
    assert 'href="/admin/products/new"' in html


def test_search_finds_products_by_name_or_slug(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    make_product("Barrier Cream", slug="barrier-cream")
    make_product("Gentle Cleanser", slug="gentle-wash")
    make_product("Night Serum", slug="night-serum")
    db.session.commit()
    assert _column(client.get("/admin/data/products/?search=cleanser")) == ["Gentle Cleanser"]
    assert _column(client.get("/admin/data/products/?search=gentle-wash")) == ["Gentle Cleanser"]
    assert _column(client.get("/admin/data/products/?search=nothing-like-it")) == []
    # A search is bounded, never an error.
    assert client.get("/admin/data/products/?search=" + "x" * 5000).status_code == 200


def test_filters_narrow_the_products(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    acme, zen = make_brand("Acme"), make_brand("Zen")
    masks = make_category("Masks")
    make_product("Acme Cream", brand=acme)
    make_product("Acme Mask", brand=acme, category=masks, status=ProductStatus.DRAFT)
    make_product("Zen Mask", brand=zen, category=masks)
    db.session.commit()
    url = "/admin/data/products/?sort=0"
    assert _column(client.get(f"{url}&flt0_brand_equals={acme.id}")) == ["Acme Cream", "Acme Mask"]
    assert _column(client.get(f"{url}&flt0_category_equals={masks.id}")) == [
        "Acme Mask",
        "Zen Mask",
    ]
    both = f"{url}&flt0_brand_equals={acme.id}&flt1_status_equals=draft"
    assert _column(client.get(both)) == ["Acme Mask"]
    # The filter form sends "All" as a blank value: no filter.
    blank = f"{url}&flt0_brand_equals=&flt1_category_equals=&flt2_status_equals="
    assert len(_rows(client.get(blank))) == 3
    # The form shows the filter chosen.
    html = client.get(f"{url}&flt0_brand_equals={zen.id}").get_data(as_text=True)
    assert f'<option value="{zen.id}" selected>Zen</option>' in html


@pytest.mark.parametrize(
    "query", ["flt0_brand_equals=abc", "flt0_status_equals=bogus", "flt0_brand_equals=99999"]
)
def test_a_nonsense_filter_is_refused_plainly(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, query: str
) -> None:
    make_product("Barrier Cream")
    db.session.commit()
    response = client.get(f"/admin/data/products/?{query}")
    assert response.status_code == 200
    assert "Invalid Filter Value" in visible_text(response)
    assert _column(response) == ["Barrier Cream"]


def test_sorting_orders_the_rows(client: FlaskClient, db: SQLAlchemy, editor: StaffUser) -> None:
    make_product("Beta Balm", brand=make_brand("Zeta"))
    make_product("Alpha Oil", brand=make_brand("Omega"))
    make_product("Gamma Gel", brand=make_brand("Alef"))
    db.session.commit()
    assert _column(client.get("/admin/data/products/?sort=0")) == [
        "Alpha Oil",
        "Beta Balm",
        "Gamma Gel",
    ]
    assert _column(client.get("/admin/data/products/?sort=0&desc=1")) == [
        "Gamma Gel",
        "Beta Balm",
        "Alpha Oil",
    ]
    by_brand = client.get("/admin/data/products/?sort=1")
    assert _column(by_brand, 1) == ["Alef", "Omega", "Zeta"]
    assert 'aria-sort="ascending"' in by_brand.get_data(as_text=True)
    # A sort that names no column (found by make attack) is the default order, not a 500.
    for bad in ("8248", "-1", "x"):
        unsorted = client.get(f"/admin/data/products/?sort={bad}")
        assert unsorted.status_code == 200
        assert "aria-sort" not in unsorted.get_data(as_text=True)
        assert sorted(_column(unsorted)) == ["Alpha Oil", "Beta Balm", "Gamma Gel"]


def test_products_come_in_pages_of_fifty(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    brand, category = make_brand(), make_category()
    for n in range(55):
        make_product(f"Product {n:02d}", brand=brand, category=category, image=False)
    db.session.commit()
    first = client.get("/admin/data/products/?sort=0")
    assert _column(first) == [f"Product {n:02d}" for n in range(50)]
    assert "55 rows, page 1 of 2" in visible_text(first)
    html = first.get_data(as_text=True)
    assert 'rel="next" href="/admin/data/products/?page=1&amp;sort=0' in html
    second = client.get("/admin/data/products/?sort=0&page=1")
    assert _column(second) == [f"Product {n:02d}" for n in range(50, 55)]
    smaller = client.get("/admin/data/products/?sort=0&page_size=25&page=2")
    assert _column(smaller) == [f"Product {n:02d}" for n in range(50, 55)]
    # A page size nobody offered falls back to 50; a nonsense page is refused.
    assert len(_rows(client.get("/admin/data/products/?page_size=100000"))) == 50
    assert client.get("/admin/data/products/?page=-1").status_code == 400


def test_products_export_as_csv_with_the_search_applied(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    acme = make_brand("Acme")
    make_product("Barrier Cream", slug="barrier-cream", brand=acme, category=make_category("Face"))
    make_product("=HYPERLINK(1)", slug="sneaky", brand=acme)
    make_product("Night Serum", slug="night-serum")
    db.session.commit()
    rows = _csv(client.get("/admin/data/products/export/csv/?search=cream"))
    assert rows[0] == ["Name", "Slug", "Brand", "Category", "Status", "Updated"]
    assert [r[:5] for r in rows[1:]] == [
        ["Barrier Cream", "barrier-cream", "Acme", "Face", "active"]
    ]
    everything = _csv(client.get(f"/admin/data/products/export/csv/?flt0_brand_equals={acme.id}"))
    assert sorted(r[0] for r in everything[1:]) == ["'=HYPERLINK(1)", "Barrier Cream"]
    page = client.get("/admin/data/products/?search=cream").get_data(as_text=True)
    assert 'href="/admin/data/products/export/csv/?search=cream"' in page


# The other lists ---------------------------------------------------------------------------


def test_answers_filter_by_doctor_and_status(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    hale, ito = make_doctor("Miriam Hale"), make_doctor("Ken Ito")
    answer = make_answer("Is retinol safe?", doctor=hale)
    make_answer("Why SPF daily?", doctor=ito, status=AnswerStatus.DRAFT)
    db.session.commit()
    page = client.get(f"/admin/data/answers/?flt0_doctor_equals={hale.id}")
    assert _column(page) == ["Is retinol safe?"]
    assert f'href="/admin/answers/{answer.id}"' in page.get_data(as_text=True)
    assert 'href="/admin/answers/new"' in page.get_data(as_text=True)
    assert _column(client.get("/admin/data/answers/?flt0_status_equals=draft")) == [
        "Why SPF daily?"
    ]
    assert _column(client.get("/admin/data/answers/?search=spf")) == ["Why SPF daily?"]


def test_reader_questions_are_listed_read_only(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    question = make_question("sam@example.com", "Is <b>zinc</b> better than avobenzone?")
    db.session.commit()
    page = client.get("/admin/data/questions/?search=zinc")
    html = page.get_data(as_text=True)
    assert f'href="/admin/questions/{question.id}"' in html
    assert "&lt;b&gt;zinc&lt;/b&gt;" in html
    assert "/admin/data/questions/new/" not in html
    assert client.get("/admin/data/questions/new/").status_code == 404  # lists have no forms


# Reference data ----------------------------------------------------------------------------


def _form_post(client: FlaskClient, url: str, **data: Any) -> TestResponse:
    token = csrf_token(client.get(url))
    return client.post(url, data={"csrf_token": token, **data})


def test_creating_a_brand_saves_it_and_audits_it(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    response = _form_post(
        client,
        "/admin/data/brands/new/",
        name="  La Roche ",
        slug="la-roche",
        description="French pharmacy brand.",
    )
    assert response.status_code == 302
    assert _brands(db) == [("La Roche", "la-roche", "French pharmacy brand.")]
    (entry,) = _audits(db)
    assert (entry.action, entry.entity, entry.actor_email) == (
        "brand.create",
        "brand",
        editor.email,
    )
    assert entry.before is None
    assert entry.after == {
        "name": "La Roche",
        "slug": "la-roche",
        "description": "French pharmacy brand.",
    }
    listed = client.get("/admin/data/brands/")
    assert _column(listed) == ["La Roche"]


def test_editing_a_category_records_before_and_after(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    category = make_category("Masks", slug="masks", position=3)
    db.session.commit()
    url = f"/admin/data/categories/edit/?id={category.id}"
    response = _form_post(
        client, url, name="Face masks", slug="masks", description="", position="1"
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Category, category.id)
    assert saved is not None
    assert (saved.name, saved.position) == ("Face masks", 1)
    db.session.rollback()
    (entry,) = _audits(db)
    assert entry.action == "category.edit"
    assert entry.entity_id == str(category.id)
    assert entry.before == {"name": "Masks", "position": 3}
    assert entry.after == {"name": "Face masks", "position": 1}


def test_editing_a_doctor(client: FlaskClient, db: SQLAlchemy, editor: StaffUser) -> None:
    doctor = make_doctor("Miriam Hale", slug="miriam-hale")
    db.session.commit()
    old_bio = doctor.bio
    url = f"/admin/data/doctors/edit/?id={doctor.id}"
    page = client.get(url)
    assert 'value="Hale Dermatology"' in page.get_data(as_text=True)
    data = {
        "name": "Miriam Hale",
        "slug": "miriam-hale",
        "credentials": "MD",
        "title": "Board-certified dermatologist",
        "practice": "Hale Dermatology",
        "bio": "Twenty years.",
    }
    assert _form_post(client, url, **data).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Doctor, doctor.id)
    assert saved is not None
    assert (saved.credentials, saved.bio) == ("MD", "Twenty years.")
    db.session.rollback()
    (entry,) = _audits(db)
    assert entry.before == {"credentials": "MD, FAAD", "bio": old_bio}
    assert entry.after == {"credentials": "MD", "bio": "Twenty years."}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Other", "slug": "taken"}, "Another brand already uses this slug"),
        ({"name": "Taken Brand", "slug": "fresh"}, "Another brand already uses this name"),
        ({"name": "Other", "slug": ""}, "Enter a slug"),
        ({"name": "Other", "slug": "Not A Slug"}, "Use only lowercase letters"),
        ({"name": "", "slug": "fresh"}, "Enter the name."),
        ({"name": "x" * 121, "slug": "fresh"}, "Keep it to 120 characters or fewer."),
    ],
)
def test_a_bad_brand_is_refused_with_a_clear_message(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser, data: dict[str, str], message: str
) -> None:
    make_brand("Taken Brand", slug="taken")
    db.session.commit()
    before = _brands(db)
    response = _form_post(client, "/admin/data/brands/new/", description="", **data)
    assert response.status_code == 400
    assert message in visible_text(response)
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert "Traceback" not in html
    assert "IntegrityError" not in html
    assert _brands(db) == before
    assert _audits(db) == []


def test_editing_keeps_its_own_slug_but_not_anothers(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    mine, _theirs = make_brand("Mine", slug="mine"), make_brand("Theirs", slug="theirs")
    db.session.commit()
    url = f"/admin/data/brands/edit/?id={mine.id}"
    clash = _form_post(client, url, name="Mine", slug="theirs", description="")
    assert clash.status_code == 400
    assert "Another brand already uses this slug" in visible_text(clash)
    same = _form_post(client, url, name="Mine", slug="mine", description="New words.")
    assert same.status_code == 302
    assert _brands(db)[0] == ("Mine", "mine", "New words.")
    assert [e.after for e in _audits(db)] == [{"description": "New words."}]


def test_a_post_without_the_csrf_token_changes_nothing(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    brand = make_brand("Acme", slug="acme")
    db.session.commit()
    before = _brands(db)
    new = client.post("/admin/data/brands/new/", data={"name": "X", "slug": "x"})
    assert new.status_code == 400
    edit = client.post(f"/admin/data/brands/edit/?id={brand.id}", data={"name": "Y", "slug": "y"})
    assert edit.status_code == 400
    assert "This form expired" in visible_text(edit)
    assert _brands(db) == before
    assert _audits(db) == []


def test_nothing_can_be_deleted_here(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    brand = make_brand("Acme", slug="acme")
    db.session.commit()
    token = csrf_token(client.get(f"/admin/data/brands/edit/?id={brand.id}"))
    page = client.get("/admin/data/brands/").get_data(as_text=True)
    assert "/delete/" not in page
    assert "action_form" not in page
    for url in ("/admin/data/brands/delete/", "/admin/data/brands/action/"):
        response = client.post(
            url, data={"csrf_token": token, "id": brand.id, "action": "delete", "rowid": brand.id}
        )
        assert response.status_code == 404
    assert _brands(db) == [("Acme", "acme", "A test brand.")]


def test_opening_lists_forms_and_exports_changes_nothing(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    brand = make_brand("Acme", slug="acme")
    make_product("Barrier Cream", brand=brand)
    db.session.commit()
    before = _brands(db)
    for url in (
        "/admin/data/brands/new/?name=X&slug=x",
        f"/admin/data/brands/edit/?id={brand.id}&name=Y&slug=y",
        "/admin/data/brands/?search=acme",
        "/admin/data/brands/export/csv/",
        "/admin/data/products/export/csv/",
    ):
        assert client.get(url).status_code == 200
    assert _brands(db) == before
    assert _audits(db) == []


def test_the_forms_carry_labels_and_the_csrf_token(
    client: FlaskClient, db: SQLAlchemy, editor: StaffUser
) -> None:
    page = client.get("/admin/data/categories/new/")
    html = page.get_data(as_text=True)
    assert csrf_token(page)
    for field in ("name", "slug", "description", "position"):
        assert f'<label for="{field}">' in html
    assert injected_markup(html) == []
    assert "<script" not in html
    assert "style=" not in html


@pytest.mark.parametrize(
    "url",
    [
        "/admin/data/brands/edit/?id=abc",
        "/admin/data/brands/edit/?id=99999999",
        "/admin/data/brands/?sort=99&desc=x&page_size=abc",
        "/admin/data/brands/?sort=abc&page=abc",
        "/admin/data/brands/export/xlsx/",
    ],
)
def test_nonsense_addresses_never_crash(client: FlaskClient, editor: StaffUser, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (200, 302, 400, 404)


def test_a_clash_the_form_missed_is_refused_without_a_stack_trace(
    app: Flask, client: FlaskClient, db: SQLAlchemy, editor: StaffUser, monkeypatch: Any
) -> None:
    # Two editors saving the same slug at once both pass the form's check; the database refuses
    # the second, and the editor reads why.
    make_brand("Acme", slug="acme")
    db.session.commit()
    (admin,) = [a for a in app.extensions["admin"] if a.endpoint == "admin_data"]
    (view,) = [v for v in admin._views if v.endpoint == "records_brands"]
    monkeypatch.setattr(view.form, "unique_fields", ())
    response = _form_post(client, "/admin/data/brands/new/", name="Acme", slug="acme")
    assert response.status_code == 400
    assert "Another brand already uses this name or slug; nothing was saved." in visible_text(
        response
    )
    assert "IntegrityError" not in response.get_data(as_text=True)
    assert len(_brands(db)) == 1
    assert _audits(db) == []
