"""The product editor's "Tax code" field: it names the shop's default, saves a Stripe tax code
(audited), empties back to the default, and refuses a malformed one beside the field."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.admin.models import AuditEntry
from shop.catalog.models import Product
from tests.admin.test_products import _page_form, _save
from tests.factories import make_product
from tests.fixtures_staff import sign_in
from tests.html import visible_text


@pytest.fixture
def editor(client: FlaskClient, make_staff: Callable[..., StaffUser]) -> FlaskClient:
    make_staff("ed@example.com", StaffRole.EDITOR)
    assert sign_in(client, "ed@example.com")[0] == 303
    return client


def _sunscreen(db: SQLAlchemy) -> int:
    product = make_product("Daily Sunscreen", image=False)
    db.session.commit()
    return product.id


def _stored(db: SQLAlchemy, product_id: int) -> str | None:
    db.session.expire_all()
    return db.session.scalars(sa.select(Product.tax_code).where(Product.id == product_id)).one()


def test_the_field_names_the_shop_default_from_the_config(
    app: Flask, editor: FlaskClient, db: SQLAlchemy
) -> None:
    product_id = _sunscreen(db)
    app.config["SHOP_DEFAULT_TAX_CODE"] = "txcd_00000000"
    page = editor.get(f"/admin/products/{product_id}")
    html = page.get_data(as_text=True)
    assert '<label for="tax_code">Tax code (optional)</label>' in html
    hint = re.search(r'<span class="hint" id="tax_code-hint">(.*?)</span>', html)
    assert hint is not None
    assert "Leave empty for the shop default, txcd_00000000." in hint.group(1)
    assert _page_form(page)["tax_code"] == ""

    new = editor.get("/admin/products/new").get_data(as_text=True)
    assert "Leave empty for the shop default, txcd_00000000." in new


def test_a_tax_code_is_saved_audited_shown_and_emptied_back_to_the_default(
    editor: FlaskClient, db: SQLAlchemy
) -> None:
    product_id = _sunscreen(db)
    response = _save(editor, product_id, {"tax_code": "  txcd_99999999 "})
    assert response.status_code == 303
    assert _stored(db, product_id) == "txcd_99999999"
    [entry] = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "product.update")
    ).all()
    assert (entry.before, entry.after) == ({"tax_code": None}, {"tax_code": "txcd_99999999"})
    assert _page_form(editor.get(f"/admin/products/{product_id}"))["tax_code"] == "txcd_99999999"

    assert _save(editor, product_id, {"tax_code": ""}).status_code == 303
    assert _stored(db, product_id) is None


@pytest.mark.parametrize("bad", ["txcd_123", "TXCD_99999999", "99999999", "txcd_9999 9999"])
def test_a_malformed_tax_code_is_refused_beside_the_field(
    editor: FlaskClient, db: SQLAlchemy, bad: str
) -> None:
    product_id = _sunscreen(db)
    response = _save(editor, product_id, {"tax_code": bad, "name": "Renamed"})
    assert response.status_code == 400
    text = visible_text(response)
    assert "Nothing was saved: correct the fields marked below" in text
    html = response.get_data(as_text=True)
    errors = re.search(r'<ul class="field-errors" id="tax_code-errors">(.*?)</ul>', html, re.S)
    assert errors is not None
    assert (
        "Enter a Stripe product tax code: txcd_ and 8 digits, e.g. txcd_99999999; "
        "or leave it empty for the shop default."
    ) in visible_text(errors.group(1))
    assert 'href="#tax_code"' in html
    assert _page_form(response)["tax_code"] == bad  # what was typed stays in the field
    assert _stored(db, product_id) is None
    db.session.expire_all()
    unchanged = db.session.get(Product, product_id)
    assert unchanged is not None
    assert (unchanged.name, unchanged.version) == ("Daily Sunscreen", 1)


def test_a_new_product_can_be_created_with_a_tax_code(editor: FlaskClient, db: SQLAlchemy) -> None:
    product_id = _sunscreen(db)
    form = _page_form(editor.get("/admin/products/new"))
    template = db.session.get(Product, product_id)
    assert template is not None
    form.setlist("name", ["Mineral Sunscreen"])
    form.setlist("brand", [str(template.brand_id)])
    form.setlist("category", [str(template.category_id)])
    form.setlist("tax_code", ["txcd_99999999"])
    form["action"] = "save"
    response = editor.post("/admin/products/new", data=form)
    assert response.status_code == 303
    created = db.session.scalars(
        sa.select(Product).where(Product.name == "Mineral Sunscreen")
    ).one()
    assert created.tax_code == "txcd_99999999"
