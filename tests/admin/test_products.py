"""The product editor: access, create and edit, preview, variants, images, archive, locking."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from shop.accounts.models import StaffRole, StaffUser
from shop.admin.models import AuditEntry
from shop.catalog.images import encode_copies
from shop.catalog.models import Product, ProductImage, ProductStatus, Variant
from shop.core.money import format_major
from shop.core.storage import init_storage
from shop.inventory.models import StockRecord
from tests.catalog.test_images import bomb_png
from tests.factories import make_brand, make_category, make_concern, make_product
from tests.fixtures_staff import sign_in
from tests.html import csrf_token, injected_markup, visible_text

MakeStaff = Callable[..., StaffUser]
EDITOR = "ed@example.com"
CHANGED = (
    "Someone else saved this product or one of its sizes after you opened this page, so "
    "nothing was saved. What you typed is still in the form below"
)


@pytest.fixture
def editor(client: FlaskClient, make_staff: MakeStaff) -> FlaskClient:
    make_staff(EDITOR, StaffRole.EDITOR)
    assert sign_in(client, EDITOR)[0] == 303
    return client


def _product(db: SQLAlchemy, name: str = "Barrier Cream", **kwargs: Any) -> Product:
    product = make_product(name, image=False, **kwargs)
    db.session.commit()
    return product


def _reload(db: SQLAlchemy, product_id: int) -> Product:
    db.session.expire_all()
    found = db.session.get(Product, product_id)
    assert found is not None
    return found


def _form(product: Product, **overrides: Any) -> dict[str, Any]:
    """What the edit page's product form sends, unchanged unless overridden."""
    data: dict[str, Any] = {
        "name": product.name,
        "slug": product.slug,
        "brand": str(product.brand_id),
        "category": str(product.category_id),
        "status": product.status.value,
        "featured_rank": "",
        "skin_types": list(product.skin_types),
        "key_ingredients": "\n".join(product.key_ingredients),
        "concerns": [str(c.id) for c in product.concerns],
        "description": product.description,
        "how_to_use": product.how_to_use,
        "seo_title": "",
        "seo_description": "",
        "version": str(product.version),
        "action": "save",
    }
    for v in product.variants:
        data.update(_size(v))
    for image in product.images:
        data[f"image{image.id}-alt_text"] = image.alt_text
    data.update(overrides)
    return data


def _size(variant: Variant, **overrides: str) -> dict[str, str]:
    """What the edit page sends for one size, unchanged unless overridden (by field name)."""
    values = {
        "version": str(variant.version),
        "sku": variant.sku,
        "size_label": variant.size_label,
        "price": format_major(variant.price, variant.currency),
        "compare_at_price": (
            format_major(variant.compare_at_price, variant.currency)
            if variant.compare_at_price is not None
            else ""
        ),
        "position": str(variant.position),
    }
    values.update(overrides)
    return {f"size{variant.id}-{name}": value for name, value in values.items()}


class _PageForm(HTMLParser):
    """The product form of the edit page as a browser submits it (no file inputs or buttons)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._inside = False
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._inside = "product-form" in a.get("class", "").split()
        if not self._inside or ("name" not in a and tag != "option"):
            return
        kind = a.get("type", "text")
        if (
            tag == "input"
            and kind not in ("file", "submit")
            and (kind != "checkbox" or "checked" in a)
        ):
            self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, text = self.fields[-1]
            # A browser drops one newline right after <textarea>.
            self.fields[-1] = (
                name,
                text + (data if text else data.removeprefix("\r\n").removeprefix("\n")),
            )


def _page_form(response: TestResponse) -> MultiDict[str, str]:
    """Every field of the edit page's one form, with the values the page shows."""
    parser = _PageForm()
    parser.feed(response.get_data(as_text=True))
    return MultiDict(parser.fields)


def _save(
    client: FlaskClient,
    product: Product | int,
    changes: dict[str, str] | None = None,
    *,
    action: str = "save",
    files: dict[str, FileStorage] | None = None,
) -> TestResponse:
    """Open the edit page, change some of its fields as staff would, press a button."""
    product_id = product if isinstance(product, int) else product.id
    url = f"/admin/products/{product_id}"
    data = _page_form(client.get(url))
    for name, value in (changes or {}).items():
        data.setlist(name, [value])
    data["action"] = action
    if not files:
        return client.post(url, data=data)
    for name, file in files.items():
        data.add(name, file)  # type: ignore[arg-type]
    # Encoded here, in memory: the test client would spool a large body to a temporary
    # file it never closes.
    boundary, body = encode_multipart(data)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _post(client: FlaskClient, url: str, data: dict[str, Any], page: str | None = None) -> Any:
    token = csrf_token(client.get(page or url))
    return client.post(url, data={"csrf_token": token, **data})


def _audits(db: SQLAlchemy, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def _picture(fmt: str = "PNG", size: tuple[int, int] = (1400, 1000)) -> bytes:
    image = Image.new("RGB", size, (240, 230, 220))
    image.paste((20, 90, 160), (0, 0, size[0] // 3, size[1]))
    buffer = BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _upload(
    client: FlaskClient, product: Product, data: bytes, filename: str, alt: str = "A jar"
) -> TestResponse:
    """Choose a file and its alt text in the edit page's upload row and save the page."""
    return _save(
        client,
        product,
        {"upload-alt_text": alt},
        files={"upload-image": FileStorage(BytesIO(data), filename=filename)},
    )


# Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/products/new", "/admin/products/{id}"])
def test_who_may_open_the_editor(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff, path: str
) -> None:
    url = path.format(id=_product(db).id)
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


def test_writes_are_refused_to_other_roles(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    product = _product(db)
    make_staff("fred@example.com", StaffRole.FULFILMENT)
    sign_in(client, "fred@example.com")
    token = csrf_token(client.get("/admin/stock/1"))
    for url in (f"/admin/products/{product.id}", "/admin/preview"):
        assert client.post(url, data={"csrf_token": token}).status_code == 403
    assert _reload(db, product.id).version == 1


def test_an_unknown_product_is_404(editor: FlaskClient) -> None:
    assert editor.get("/admin/products/999999").status_code == 404


# Create and edit ------------------------------------------------------------------------


def test_creating_a_product(editor: FlaskClient, db: SQLAlchemy) -> None:
    brand, category = make_brand("Hale"), make_category("Creams")
    dry, red = make_concern("Dryness"), make_concern("Redness")
    db.session.commit()
    response = _post(
        editor,
        "/admin/products/new",
        {
            "name": "Crème Riche",
            "slug": "",
            "brand": str(brand.id),
            "category": str(category.id),
            "status": "draft",
            "featured_rank": "3",
            "skin_types": ["dry", "sensitive"],
            "key_ingredients": "Ceramides, Squalane, ceramides",
            "concerns": [str(dry.id), str(red.id)],
            "description": "A **rich** cream.",
            "how_to_use": "Apply at night.",
            "seo_title": "Rich cream",
            "seo_description": "",
            "action": "save",
        },
    )
    assert response.status_code == 303
    product = db.session.scalars(sa.select(Product)).one()
    assert response.headers["Location"] == f"/admin/products/{product.id}"
    assert (product.slug, product.status, product.featured_rank) == (
        "creme-riche",
        ProductStatus.DRAFT,
        3,
    )
    assert product.key_ingredients == ["Ceramides", "Squalane"]
    assert product.skin_types == ["dry", "sensitive"]
    assert {c.name for c in product.concerns} == {"Dryness", "Redness"}
    assert product.seo_description is None
    (entry,) = _audits(db, "product.create")
    assert entry.entity_id == str(product.id)
    assert entry.actor_email == EDITOR
    page = editor.get(response.headers["Location"])
    assert "“Crème Riche” was created" in visible_text(page)


def test_a_duplicate_slug_is_an_error_on_the_field(editor: FlaskClient, db: SQLAlchemy) -> None:
    taken = _product(db, "Barrier Cream", slug="barrier-cream")
    data = _form(taken, slug="", name="Barrier Cream")
    data.pop("version")
    response = _post(editor, "/admin/products/new", data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "already used by “Barrier Cream”" in visible_text(response)
    assert 'aria-describedby="slug-hint slug-errors"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "Enter the product's name."),
        ({"name": "x" * 201}, "Keep the name to 200 characters or fewer."),
        ({"slug": "Not a slug"}, "Use lowercase letters"),
        ({"featured_rank": "0"}, "from 1 to 9,999"),
        ({"description": "x" * 50_001}, "Keep the description to 50,000 characters"),
        ({"skin_types": ["scaly"]}, "Choose skin types from the list."),
        ({"concerns": ["abc"]}, "Choose skin concerns from the list."),
        ({"brand": "999999"}, "Choose a brand from the list."),
        ({"key_ingredients": "\n".join(f"Ingredient {n}" for n in range(61))}, "at most 60"),
    ],
)
def test_edit_refusals_change_nothing(
    editor: FlaskClient, db: SQLAlchemy, overrides: dict[str, Any], message: str
) -> None:
    product = _product(db)
    url = f"/admin/products/{product.id}"
    response = _post(editor, url, _form(product, **overrides))
    assert response.status_code == 400
    assert message in visible_text(response)
    assert "Nothing was saved: correct the fields marked below" in visible_text(response)
    assert _reload(db, product.id).version == 1


def test_saving_an_edit_bumps_the_version_and_is_audited(
    editor: FlaskClient, db: SQLAlchemy
) -> None:
    product = _product(db)
    url = f"/admin/products/{product.id}"
    response = _post(editor, url, _form(product, name="Barrier Cream Rich", status="draft"))
    assert response.status_code == 303
    saved = _reload(db, product.id)
    assert (saved.name, saved.status, saved.version) == (
        "Barrier Cream Rich",
        ProductStatus.DRAFT,
        2,
    )
    (entry,) = _audits(db, "product.update")
    assert entry.before == {"name": "Barrier Cream", "status": "active"}
    assert entry.after == {"name": "Barrier Cream Rich", "status": "draft"}
    page = editor.get(url)
    assert 'name="version" type="hidden" value="2"' in page.get_data(as_text=True)


def test_the_second_of_two_editors_gets_409_and_the_current_version(
    app: Flask, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    product = _product(db)
    url = f"/admin/products/{product.id}"
    make_staff("ann@example.com", StaffRole.EDITOR)
    make_staff("bob@example.com", StaffRole.OWNER)
    ann, bob = app.test_client(), app.test_client()
    sign_in(ann, "ann@example.com")
    sign_in(bob, "bob@example.com")
    ann_token = csrf_token(ann.get(url))  # both open the page at version 1
    bob_token = csrf_token(bob.get(url))

    ann_form = {"csrf_token": ann_token, **_form(product, name="Ann's name")}
    bob_form = {"csrf_token": bob_token, **_form(product, description="Bob's text")}
    assert ann_form["version"] == bob_form["version"] == "1"

    first = ann.post(url, data=ann_form)
    second = bob.post(url, data=bob_form)

    assert first.status_code == 303
    assert second.status_code == 409
    text = visible_text(second)
    assert CHANGED in text
    assert "The product was saved" not in text
    html = second.get_data(as_text=True)
    # Bob's typing is kept, and the form is now at the current version: saving again is a
    # choice made knowing Ann saved first.
    assert "Bob&#39;s text</textarea>" in html
    assert 'name="version" type="hidden" value="2"' in html
    assert "Ann&#39;s name" in visible_text(second) or "Ann's name" in text  # the heading
    saved = _reload(db, product.id)
    assert (saved.name, saved.description, saved.version) == (
        "Ann's name",
        "A **test** product.",
        2,
    )
    assert len(_audits(db, "product.update")) == 1


# Preview --------------------------------------------------------------------------------


def test_preview_without_javascript_renders_and_saves_nothing(
    editor: FlaskClient, db: SQLAlchemy
) -> None:
    product = _product(db)
    url = f"/admin/products/{product.id}"
    response = _post(
        editor,
        url,
        _form(
            product,
            name="Typed but not saved",
            description="Now **bolder** <script>alert(1)</script>",
            action="preview",
        ),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<strong>bolder</strong>" in html
    assert 'value="Typed but not saved"' in html
    # The typed script is escaped; the only scripts are our own files.
    ours = ("/static/js/admin-preview.", "/static/js/admin-unsaved.")
    assert [p for p in injected_markup(html) if not any(js in p for js in ours)] == []
    saved = _reload(db, product.id)
    assert (saved.name, saved.version) == ("Barrier Cream", 1)
    assert _audits(db, "product.update") == []


def test_the_new_product_form_previews_too(editor: FlaskClient, db: SQLAlchemy) -> None:
    make_brand(), make_category()
    db.session.commit()
    response = _post(
        editor,
        "/admin/products/new",
        {"name": "Draft idea", "how_to_use": "1. Cleanse\n2. *Pat dry*", "action": "preview"},
    )
    assert response.status_code == 200
    assert "<em>Pat dry</em>" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


def test_the_preview_endpoint(editor: FlaskClient, db: SQLAlchemy) -> None:
    token = csrf_token(editor.get("/admin/products/new"))
    response = editor.post(
        "/admin/preview",
        data={"text": "## Hi\n\n[x](javascript:alert(1)) <b onclick=x>bold</b>"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    body = response.get_data(as_text=True)
    assert "<h2>Hi</h2>" in body
    assert injected_markup(body) == []

    too_long = editor.post("/admin/preview", data={"text": "x" * 50_001, "csrf_token": token})
    assert too_long.status_code == 400
    assert "at most 50,000" in too_long.get_data(as_text=True)
    assert (
        editor.post("/admin/preview", data={"text": "x" * 50_000, "csrf_token": token}).status_code
        == 200
    )
    assert editor.post("/admin/preview", data={"text": "hi"}).status_code == 400  # no CSRF


def test_markdown_fields_are_wired_to_the_live_preview(editor: FlaskClient, db: SQLAlchemy) -> None:
    product = _product(db)
    html = editor.get(f"/admin/products/{product.id}").get_data(as_text=True)
    assert 'data-preview-target="description-preview"' in html
    assert '<div id="description-preview" class="md-preview prose" aria-live="polite"' in html
    assert re.search(r'src="/static/js/admin-preview\.[0-9a-f]{12}\.js" defer', html)
    assert "<strong>test</strong>" in html  # the stored text, rendered


# Links ----------------------------------------------------------------------------------


def test_the_edit_page_links_answers_and_the_public_page(
    editor: FlaskClient, db: SQLAlchemy
) -> None:
    active = _product(db, "On Sale", slug="on-sale")
    draft = _product(db, "Not Yet", slug="not-yet", status=ProductStatus.DRAFT)
    page = editor.get(f"/admin/products/{active.id}").get_data(as_text=True)
    assert f'href="/admin/links/products/{active.id}"' in page
    assert 'href="/products/on-sale"' in page
    page = editor.get(f"/admin/products/{draft.id}").get_data(as_text=True)
    assert 'href="/products/not-yet"' not in page


# Sizes: saved with the product, as one form -----------------------------------------------


def _variant(db: SQLAlchemy, variant_id: int) -> Variant:
    db.session.expire_all()
    found = db.session.get(Variant, variant_id)
    assert found is not None
    return found


def test_a_price_typed_in_a_size_survives_save_product(editor: FlaskClient, db: SQLAlchemy) -> None:
    """The defect: "Save product" said saved and dropped the price typed in a size's row."""
    product = _product(db, variants=[("50 ml", 2500, 7), ("100 ml", 4200, 3)])
    small, large = product.variants
    response = _save(
        editor,
        product,
        {
            f"size{small.id}-price": "19.99",
            f"size{large.id}-compare_at_price": "49.00",
            "name": "Barrier Cream Rich",
        },
    )
    assert response.status_code == 303
    page = editor.get(response.headers["Location"])
    assert "“Barrier Cream Rich” was saved." in visible_text(page)
    saved = _reload(db, product.id)
    assert saved.name == "Barrier Cream Rich"
    assert [(v.price, v.compare_at_price, v.stock.on_hand) for v in saved.variants] == [
        (1999, None, 7),
        (4200, 4900, 3),
    ]
    shown = _page_form(page)
    assert shown[f"size{small.id}-price"] == "19.99"
    assert shown[f"size{large.id}-compare_at_price"] == "49.00"
    assert shown["name"] == "Barrier Cream Rich"
    assert "Saved: $19.99" in visible_text(page)
    assert saved.version == 2  # one save, one new version
    # Each changed part has its audit entry, with only what changed.
    (product_entry,) = _audits(db, "product.update")
    assert product_entry.after == {"name": "Barrier Cream Rich"}
    entries = {e.before["variant_id"]: e for e in _audits(db, "product.variant_edit") if e.before}
    assert entries[small.id].before == {"variant_id": small.id, "price": 2500}
    assert entries[small.id].after == {"variant_id": small.id, "price": 1999}
    assert entries[large.id].after == {"variant_id": large.id, "compare_at_price": 4900}


def test_sku_size_and_position_are_saved_too(editor: FlaskClient, db: SQLAlchemy) -> None:
    product = _product(db, variants=[("50 ml", 2500, 7)])
    variant = product.variants[0]
    prefix = f"size{variant.id}"
    response = _save(
        editor,
        product,
        {f"{prefix}-sku": "BC-50", f"{prefix}-size_label": "50 ml jar", f"{prefix}-position": "4"},
    )
    assert response.status_code == 303
    saved = _variant(db, variant.id)
    assert (saved.sku, saved.size_label, saved.position, saved.stock.on_hand) == (
        "BC-50",
        "50 ml jar",
        4,
        7,
    )
    assert _audits(db, "product.update") == []  # the product's own fields did not change


def test_a_size_changed_since_the_page_was_opened_refuses_the_whole_save(
    editor: FlaskClient, db: SQLAlchemy
) -> None:
    product = _product(db, variants=[("50 ml", 2500, 7), ("100 ml", 4200, 3)])
    small, large = product.variants
    url = f"/admin/products/{product.id}"
    data = _page_form(editor.get(url))
    # Meanwhile the catalogue import reprices the large size (the product itself is untouched).
    large.price = 3900
    db.session.commit()
    assert (_reload(db, product.id).version, _variant(db, large.id).version) == (1, 2)

    data.setlist("name", ["Renamed"])
    data.setlist(f"size{small.id}-price", ["19.99"])
    response = editor.post(url, data=data)

    assert response.status_code == 409
    text = visible_text(response)
    assert CHANGED in text
    assert "” was saved" not in text
    shown = _page_form(response)  # what was typed is still there
    assert (shown["name"], shown[f"size{small.id}-price"]) == ("Renamed", "19.99")
    assert shown[f"size{large.id}-version"] == "2"
    assert "Saved: $39.00" in text  # and the size shows what is stored now
    saved = _reload(db, product.id)
    assert (saved.name, saved.version) == ("Barrier Cream", 1)
    assert [v.price for v in saved.variants] == [2500, 3900]
    assert _audits(db, "product.update") == _audits(db, "product.variant_edit") == []

    # Saving again, knowing, replaces the other change with what is in the form.
    shown["action"] = "save"
    again = editor.post(url, data=shown)
    assert again.status_code == 303
    assert [v.price for v in _reload(db, product.id).variants] == [1999, 4200]


def test_a_size_added_since_the_page_was_opened_refuses_the_save(
    editor: FlaskClient, db: SQLAlchemy
) -> None:
    product = _product(db, variants=[("50 ml", 2500, 7)])
    variant = product.variants[0]
    url = f"/admin/products/{product.id}"
    data = _page_form(editor.get(url))
    # The catalogue import adds a size without touching the product's own row.
    added = Variant(product_id=product.id, sku="BC-200", size_label="200 ml", price=5000)
    added.currency = "USD"
    db.session.add(added)
    db.session.commit()
    data.setlist(f"size{variant.id}-price", ["19.99"])
    response = editor.post(url, data=data)
    assert response.status_code == 409
    shown = _page_form(response)
    assert shown[f"size{variant.id}-price"] == "19.99"
    assert shown[f"size{added.id}-price"] == "50.00"  # the new size, as stored
    assert _variant(db, variant.id).price == 2500


def test_a_stale_product_refuses_the_sizes_too(editor: FlaskClient, db: SQLAlchemy) -> None:
    product = _product(db, variants=[("50 ml", 2500, 7)])
    variant = product.variants[0]
    url = f"/admin/products/{product.id}"
    data = _page_form(editor.get(url))
    assert _save(editor, product, {"description": "Someone else's text"}).status_code == 303
    data.setlist(f"size{variant.id}-price", ["19.99"])
    response = editor.post(url, data=data)
    assert response.status_code == 409
    assert _variant(db, variant.id).price == 2500


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", "abc", "Enter an amount in USD such as 24.50"),
        ("price", "5.001", "Enter an amount in USD"),
        ("price", "-1", "Enter an amount in USD"),
        ("price", "", "Enter the price"),
        ("sku", "bad sku!", "Use letters, digits"),
        ("sku", "", "Enter the SKU."),
        ("compare_at_price", "1.00", "higher than the price"),
        ("sku", "sku-0-0", "already used by “Other”"),
        ("position", "1000", "from 0 to 999"),
    ],
)
def test_a_refused_size_value_is_shown_beside_its_field_and_nothing_is_saved(
    editor: FlaskClient, db: SQLAlchemy, field: str, value: str, message: str
) -> None:
    other = make_product("Other", image=False)
    other.variants[0].sku = "SKU-0-0"
    product = _product(db, variants=[("50 ml", 2500, 7), ("100 ml", 4200, 3)])
    small, large = product.variants
    response = _save(
        editor,
        product,
        {"name": "Renamed", f"size{small.id}-price": "19.99", f"size{large.id}-{field}": value},
    )
    assert response.status_code == 400
    text = visible_text(response)
    assert "Nothing was saved: correct the fields marked below" in text
    assert "” was saved" not in text
    html = response.get_data(as_text=True)
    # The message sits under the field, tied to it, and the summary links to it.
    field_id = f"size{large.id}-{field}"
    errors = re.search(rf'<ul class="field-errors" id="{field_id}-errors">(.*?)</ul>', html, re.S)
    assert errors is not None
    assert message in visible_text(errors.group(1))
    assert f'href="#{field_id}"' in html
    assert 'data-warn-unsaved="typed"' in html  # with JavaScript, leaving asks first
    assert re.search(
        rf'id="{field_id}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field_id}"', html
    )
    shown = _page_form(response)
    assert (shown["name"], shown[f"size{small.id}-price"]) == ("Renamed", "19.99")
    saved = _reload(db, product.id)
    assert (saved.name, saved.version) == ("Barrier Cream", 1)
    assert [v.price for v in saved.variants] == [2500, 4200]
    assert db.session.scalars(sa.select(AuditEntry)).all() == []


def test_two_sizes_cannot_be_given_one_sku(editor: FlaskClient, db: SQLAlchemy) -> None:
    product = _product(db, variants=[("50 ml", 2500, 7), ("100 ml", 4200, 3)])
    small, large = product.variants
    response = _save(
        editor, product, {f"size{small.id}-sku": "BC-X", f"size{large.id}-sku": "bc-x"}
    )
    assert response.status_code == 400
    assert "typed for two sizes" in visible_text(response)
    assert [v.sku for v in _reload(db, product.id).variants] == [small.sku, large.sku]


def test_adding_a_size_with_the_rest_of_the_page(editor: FlaskClient, db: SQLAlchemy) -> None:
    product = _product(db)
    response = _save(
        editor,
        product,
        {
            "name": "Barrier Cream Rich",
            "new_size-sku": "BC-100",
            "new_size-size_label": "100 ml",
            "new_size-price": "24.50",
            "new_size-compare_at_price": "30",
            "new_size-position": "1",
        },
    )
    assert response.status_code == 303
    variant = db.session.scalars(sa.select(Variant).where(Variant.sku == "BC-100")).one()
    assert (variant.price, variant.compare_at_price, variant.currency) == (2450, 3000, "USD")
    stock = db.session.get(StockRecord, variant.id)
    assert stock is not None
    assert (stock.on_hand, stock.allocated) == (0, 0)
    saved = _reload(db, product.id)
    assert (saved.name, saved.version) == ("Barrier Cream Rich", 2)
    (entry,) = _audits(db, "product.variant_add")
    assert entry.after is not None
    assert entry.after["price"] == 2450
    page = editor.get(f"/admin/products/{product.id}")
    assert "the new size BC-100 starts with 0 in stock" in visible_text(page)
    html = page.get_data(as_text=True)
    assert f'href="/admin/stock/{variant.id}"' in html
    assert _page_form(page)[f"size{variant.id}-price"] == "24.50"
    assert _page_form(page)["new_size-sku"] == ""  # the row is empty again


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"new_size-sku": "sku-0-0", "new_size-price": "5"}, "sku", "already used by “Other”"),
        ({"new_size-sku": "NEW", "new_size-price": "$5"}, "price", "Enter an amount in USD"),
        ({"new_size-sku": "NEW"}, "price", "Enter the new size's price"),
        ({"new_size-size_label": "200 ml"}, "sku", "Enter the new size's SKU."),
        ({"new_size-sku": "bad sku!", "new_size-price": "5"}, "sku", "Use letters, digits"),
        (
            {"new_size-sku": "NEW", "new_size-price": "5", "new_size-compare_at_price": "4"},
            "compare_at_price",
            "higher than the price",
        ),
    ],
)
def test_a_refused_new_size_saves_nothing(
    editor: FlaskClient, db: SQLAlchemy, data: dict[str, str], field: str, message: str
) -> None:
    other = make_product("Other", image=False)
    other.variants[0].sku = "SKU-0-0"
    product = _product(db)
    response = _save(editor, product, {"name": "Renamed", **data})
    assert response.status_code == 400
    assert message in visible_text(response)
    assert 'id="new_size-' + field + '-errors"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Variant)) == 2
    assert _reload(db, product.id).name == "Barrier Cream"


# Archive --------------------------------------------------------------------------------


def test_archiving_and_restoring(editor: FlaskClient, db: SQLAlchemy) -> None:
    product = _product(db, variants=[("50 ml", 2500, 7)])
    variant = product.variants[0]
    # "Save and archive" keeps what was typed too.
    response = _save(editor, product, {f"size{variant.id}-price": "21.00"}, action="archive")
    assert response.status_code == 303
    archived = _reload(db, product.id)
    assert archived.status is ProductStatus.ARCHIVED
    assert archived.variants[0].price == 2100
    page = editor.get(f"/admin/products/{product.id}")
    assert "This product is archived" in visible_text(page)
    assert "no longer shown or sold" in visible_text(page)

    response = _save(editor, product, {"status": "active"})
    assert response.status_code == 303
    restored = _reload(db, product.id)
    assert (restored.status, restored.version) == (ProductStatus.ACTIVE, 3)
    assert [
        e.action for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
    ] == ["product.archive", "product.variant_edit", "product.restore"]
    assert db.session.get(Product, product.id) is not None  # never deleted


# Images ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "suffix"), [("PNG", "png"), ("JPEG", "jpg")])
def test_uploading_an_image(
    editor: FlaskClient, db: SQLAlchemy, app: Flask, fmt: str, suffix: str
) -> None:
    product = _product(db)
    response = _upload(editor, product, _picture(fmt), f"photo.{suffix}", alt="A white jar")
    assert response.status_code == 303
    image = db.session.scalars(sa.select(ProductImage)).one()
    assert (image.width, image.height, image.alt_text) == (1200, 857, "A white jar")
    assert image.path.startswith(f"products/{product.id}/")
    assert image.path.endswith(f"-1200.{suffix}")
    folder = Path(app.config["MEDIA_ROOT"]) / "products" / str(product.id)
    widths = sorted(int(p.stem.rpartition("-")[2]) for p in folder.iterdir())
    assert widths == [300, 600, 1200]
    assert _reload(db, product.id).version == 2
    (entry,) = _audits(db, "product.image_add")
    assert entry.after is not None
    assert entry.after["path"] == image.path
    # The storefront shows it, and the editor offers the smaller copies in a srcset.
    shop_page = editor.get(f"/products/{product.slug}").get_data(as_text=True)
    assert f'src="/media/{image.path}"' in shop_page
    assert 'width="1200" height="857"' in shop_page
    with editor.get(f"/media/{image.path}") as served:
        assert served.status_code == 200
    edit_page = editor.get(f"/admin/products/{product.id}").get_data(as_text=True)
    assert " 300w" in edit_page
    assert " 1200w" in edit_page


@pytest.mark.parametrize(
    ("data", "filename", "alt", "message"),
    [
        pytest.param(
            b"not an image at all\n" * 50,
            "photo.png",
            "A jar",
            "not a JPEG, PNG or WebP",
            id="text-named-png",
        ),
        pytest.param(
            _picture("PNG", (50, 50)) + b"\0" * (5 * 1024 * 1024),
            "big.png",
            "A jar",
            "larger than 5 MB",
            id="over-5-MB",
        ),
        pytest.param(
            bomb_png(20_000, 20_000), "bomb.png", "A jar", "too large in pixels", id="bomb"
        ),
        pytest.param(_picture("PNG", (50, 50)), "ok.png", "", "Describe the image", id="no-alt"),
        pytest.param(
            _picture("PNG", (50, 50)), "ok.png", "x" * 301, "300 characters", id="long-alt"
        ),
    ],
)
def test_uploads_that_are_refused(
    editor: FlaskClient,
    db: SQLAlchemy,
    app: Flask,
    data: bytes,
    filename: str,
    alt: str,
    message: str,
) -> None:
    product = _product(db)
    response = _upload(editor, product, data, filename, alt=alt)
    assert response.status_code == 400
    assert message in visible_text(response)
    assert "Nothing was saved: correct the fields marked below" in visible_text(response)
    assert db.session.scalars(sa.select(ProductImage)).all() == []
    assert _reload(db, product.id).version == 1
    assert not (Path(app.config["MEDIA_ROOT"]) / "products").exists()


def test_alt_text_without_a_file_is_refused(editor: FlaskClient, db: SQLAlchemy) -> None:
    product = _product(db)
    response = _save(editor, product, {"upload-alt_text": "A jar", "name": "Renamed"})
    assert response.status_code == 400
    assert "Choose the image file for this alt text" in visible_text(response)
    assert _reload(db, product.id).name == "Barrier Cream"


def _assert_not_saved(response: TestResponse, db: SQLAlchemy, product: Product) -> None:
    """The storage failed: staff are told why, and the product is as it was."""
    assert response.status_code == 500
    assert "The image could not be saved (the disk is full or not writable)" in visible_text(
        response
    )
    assert db.session.scalars(sa.select(ProductImage)).all() == []
    assert _audits(db, "product.image_add") == []
    assert _reload(db, product.id).version == 1


def test_an_unwritable_media_folder_is_a_clear_error(
    editor: FlaskClient, db: SQLAlchemy, app: Flask, tmp_path: Path
) -> None:
    product = _product(db)
    blocker = tmp_path / "regular-file"
    blocker.write_text("MEDIA_ROOT points beneath this file, so every write fails")
    app.config["MEDIA_ROOT"] = str(blocker / "media")
    init_storage(app)  # the storage is built from the config once per app
    response = _upload(editor, product, _picture(), "photo.png")
    _assert_not_saved(response, db, product)


def _noise(size: tuple[int, int] = (1400, 1000)) -> bytes:
    """A JPEG of noise: it barely compresses, so every stored copy is large."""
    image = Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))
    buffer = BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """Mount a tmpfs of a given size: a real disk that fills up (needs root)."""
    mount_cmd, umount_cmd = shutil.which("mount"), shutil.which("umount")
    if os.geteuid() != 0 or mount_cmd is None or umount_cmd is None:
        pytest.skip("mounting a small tmpfs to fill needs root and mount(8)")
    mounted: list[Path] = []

    def mount(size: int) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [mount_cmd, "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run([umount_cmd, str(point)], check=True)  # noqa: S603 - fixed arguments


def test_a_disk_that_fills_up_mid_upload_leaves_the_product_as_it_was(
    editor: FlaskClient, db: SQLAlchemy, app: Flask, small_disk: Callable[[int], Path]
) -> None:
    product = _product(db)
    data = _noise()
    _suffix, copies = encode_copies(data)
    assert len(copies) > 1
    # Room for the first copy and a little more: a later one hits ENOSPC half-written.
    page = 4096
    largest = len(copies[0][2])
    disk = small_disk((largest // page + 2) * page)
    app.config["MEDIA_ROOT"] = str(disk)
    init_storage(app)

    response = _upload(editor, product, data, "photo.jpg")

    _assert_not_saved(response, db, product)
    # Nothing is left behind to fill the disk further: no copy, no partial file.
    assert [p for p in disk.rglob("*") if p.is_file()] == []
    # And once there is room again the same upload works.
    app.config["MEDIA_ROOT"] = str(small_disk(64 * 1024 * 1024))
    init_storage(app)
    assert _upload(editor, product, data, "photo.jpg").status_code == 303
    assert len(db.session.scalars(sa.select(ProductImage)).all()) == 1


def test_changing_alt_text_and_removing_an_image(
    editor: FlaskClient, db: SQLAlchemy, app: Flask
) -> None:
    product = _product(db)
    assert _upload(editor, product, _picture(), "photo.png").status_code == 303
    image = db.session.scalars(sa.select(ProductImage)).one()

    response = _save(editor, product, {f"image{image.id}-alt_text": "  ", "name": "Renamed"})
    assert response.status_code == 400
    assert "Describe the image" in visible_text(response)
    assert _reload(db, product.id).name == "Barrier Cream"
    response = _save(editor, product, {f"image{image.id}-alt_text": "A jar, lid off"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(ProductImage, image.id).alt_text == "A jar, lid off"  # type: ignore[union-attr]
    (entry,) = _audits(db, "product.image_alt")
    assert entry.after == {"image_id": image.id, "alt_text": "A jar, lid off"}

    folder = Path(app.config["MEDIA_ROOT"]) / "products" / str(product.id)
    assert len(list(folder.iterdir())) == 3
    response = _save(editor, product, {f"image{image.id}-remove": "y"})
    assert response.status_code == 303
    assert "1 image was removed" in visible_text(editor.get(response.headers["Location"]))
    assert db.session.scalars(sa.select(ProductImage)).all() == []
    assert list(folder.iterdir()) == []
    assert _reload(db, product.id).version == 4
    assert [e.action for e in _audits(db, "product.image_delete")] == ["product.image_delete"]
