"""The stock screens: who may open them, adjusting stock, refusals, low stock, search (its
matches first), the sorted and paged list of every variant, and its CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.models import StaffRole, StaffUser
from shop.admin.models import AuditEntry
from shop.catalog.models import Variant
from shop.inventory.models import StockAdjustment, StockRecord
from tests.factories import make_product
from tests.fixtures_staff import sign_in
from tests.html import csrf_token, visible_text

MakeStaff = Callable[..., StaffUser]
FULFIL = "fred@example.com"


def _variant(db: SQLAlchemy, name: str = "Barrier Cream", on_hand: int = 20) -> Variant:
    product = make_product(name, variants=[("50 ml", 2500, on_hand)])
    db.session.commit()
    return product.variants[0]


def _signed_in(client: FlaskClient, make_staff: MakeStaff, role: StaffRole) -> None:
    make_staff(FULFIL, role)
    assert sign_in(client, FULFIL)[0] == 303


def _snapshot(db: SQLAlchemy, variant_id: int) -> tuple[Any, ...]:
    db.session.expire_all()
    record = db.session.get(StockRecord, variant_id)
    assert record is not None
    history = db.session.scalars(
        sa.select(StockAdjustment.id).where(StockAdjustment.variant_id == variant_id)
    ).all()
    audits = db.session.scalars(sa.select(AuditEntry.id)).all()
    return record.on_hand, record.allocated, list(history), list(audits)


def _post(client: FlaskClient, variant_id: int, **data: str) -> Any:
    url = f"/admin/stock/{variant_id}"
    token = csrf_token(client.get(url))
    return client.post(url, data={"csrf_token": token, **data})


@pytest.mark.parametrize("path", ["/admin/stock/", "/admin/stock/{id}"])
def test_who_may_open_the_stock_pages(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff, path: str
) -> None:
    url = path.format(id=_variant(db).id)
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")

    make_staff("ed@example.com", StaffRole.EDITOR)
    make_staff("fred@example.com", StaffRole.FULFILMENT)
    make_staff("olive@example.com", StaffRole.OWNER)
    sign_in(client, "ed@example.com")
    assert client.get(url).status_code == 403
    for email in ("fred@example.com", "olive@example.com"):
        fresh = client.application.test_client()
        sign_in(fresh, email)
        page = fresh.get(url)
        assert page.status_code == 200
        assert "Stock" in visible_text(page)


def test_an_unknown_variant_is_404(client: FlaskClient, make_staff: MakeStaff) -> None:
    _signed_in(client, make_staff, StaffRole.FULFILMENT)
    assert client.get("/admin/stock/999999").status_code == 404


def test_adjusting_records_history_and_audit(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    variant = _variant(db, on_hand=20)
    vid, sku = variant.id, variant.sku
    _signed_in(client, make_staff, StaffRole.FULFILMENT)

    response = _post(client, vid, delta="-3", reason="damaged", note="  Crushed box  ")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/stock/{vid}"

    page = client.get(f"/admin/stock/{vid}")
    text = visible_text(page)
    assert f"Stock of SKU {sku} is now 17." in text
    assert "-3 17 damaged Crushed box" in text
    assert FULFIL in text

    db.session.expire_all()
    assert db.session.get(StockRecord, vid).on_hand == 17  # type: ignore[union-attr]
    newest = db.session.scalars(
        sa.select(StockAdjustment).order_by(StockAdjustment.id.desc())
    ).first()
    assert newest is not None
    assert (newest.delta, newest.on_hand_after, newest.reason, newest.note) == (
        -3,
        17,
        "damaged",
        "Crushed box",
    )
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.actor_email, entry.action, entry.entity, entry.entity_id) == (
        FULFIL,
        "stock.adjust",
        "variant",
        str(vid),
    )
    assert (entry.before, entry.after) == ({"on_hand": 20}, {"on_hand": 17})


def test_an_adjustment_below_what_checkouts_hold_is_refused(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    vid = _variant(db, on_hand=10).id
    db.session.execute(
        sa.update(StockRecord).where(StockRecord.variant_id == vid).values(allocated=8)
    )
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.FULFILMENT)
    before = _snapshot(db, vid)

    response = _post(client, vid, delta="-5", reason="correction", note="")
    assert response.status_code == 400
    assert "Cannot take 5 off: 10 on hand, 8 held by checkouts." in visible_text(response)
    assert _snapshot(db, vid) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"delta": "0", "reason": "restock"}, "A change of 0 does nothing"),
        ({"delta": "x", "reason": "restock"}, "Not a valid integer value"),
        ({"delta": "1.5", "reason": "restock"}, "Not a valid integer value"),
        ({"delta": "", "reason": "restock"}, "Enter how many units"),
        ({"delta": "100001", "reason": "restock"}, "between -100,000 and 100,000"),
        ({"delta": "2", "reason": "sold"}, "Not a valid choice"),
        ({"delta": "2", "reason": "initial"}, "Not a valid choice"),
        ({"delta": "2", "reason": "restock", "note": "n" * 301}, "300 characters or fewer"),
    ],
)
def test_bad_input_is_refused_with_a_message(
    client: FlaskClient,
    db: SQLAlchemy,
    make_staff: MakeStaff,
    data: dict[str, str],
    message: str,
) -> None:
    vid = _variant(db).id
    _signed_in(client, make_staff, StaffRole.FULFILMENT)
    before = _snapshot(db, vid)
    response = _post(client, vid, **data)
    assert response.status_code == 400
    text = visible_text(response)
    assert "The stock was not changed" in text
    assert message in text
    assert _snapshot(db, vid) == before


def test_a_post_without_csrf_is_refused(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    vid = _variant(db).id
    _signed_in(client, make_staff, StaffRole.FULFILMENT)
    before = _snapshot(db, vid)
    response = client.post(f"/admin/stock/{vid}", data={"delta": "5", "reason": "restock"})
    assert response.status_code == 400
    assert _snapshot(db, vid) == before


def test_reading_changes_nothing(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    vid = _variant(db).id
    _signed_in(client, make_staff, StaffRole.FULFILMENT)
    before = _snapshot(db, vid)
    client.get(f"/admin/stock/{vid}?delta=5&reason=restock")
    client.get("/admin/stock/?q=barrier")
    assert _snapshot(db, vid) == before


def test_low_stock_lists_low_and_sold_out_variants_sold_out_first(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    low = make_product("Low Lotion", variants=[("30 ml", 1000, 3)]).variants[0].sku
    gone = make_product("Gone Gel", variants=[("30 ml", 1000, 0)]).variants[0].sku
    held = make_product("Held Serum", variants=[("30 ml", 1000, 50)]).variants[0]
    plenty = make_product("Plenty Balm", variants=[("30 ml", 1000, 50)]).variants[0].sku
    db.session.execute(
        sa.update(StockRecord).where(StockRecord.variant_id == held.id).values(allocated=48)
    )
    held_sku = held.sku
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.FULFILMENT)

    page = client.get("/admin/stock/")
    assert page.status_code == 200
    text = visible_text(page)
    low_section = text.split("Low stock", 1)[1].split("All variants", 1)[0]
    assert gone in low_section
    assert low in low_section
    assert held_sku in low_section  # 50 on hand but only 2 available
    assert plenty not in low_section
    assert low_section.index(gone) < low_section.index(held_sku) < low_section.index(low)
    assert plenty in text  # still in the full list


def test_search_by_sku_and_by_name(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    cream = make_product("Barrier Cream", variants=[("50 ml", 2500, 40)]).variants[0].sku
    toner = make_product("Calm Toner", variants=[("100 ml", 1800, 40)]).variants[0].sku
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.FULFILMENT)

    by_name = visible_text(client.get("/admin/stock/?q=bARRier"))
    assert cream in by_name
    assert toner not in by_name

    by_sku = visible_text(client.get(f"/admin/stock/?q={toner.lower()}"))
    assert toner in by_sku
    assert cream not in by_sku

    nothing = client.get("/admin/stock/?q=" + "%25" * 150)
    assert nothing.status_code == 200
    assert "No SKU or product name contains" in visible_text(nothing)


def test_search_results_come_before_anything_else_on_the_page(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    # Enough sold-out variants to fill the low-stock list, which used to come first.
    for n in range(12):
        make_product(f"Sold Out Gel {n:02d}", variants=[("30 ml", 1000, 0)])
    wanted = make_product("Zinc Barrier Cream", variants=[("50 ml", 2500, 0)]).variants[0].sku
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.FULFILMENT)

    html = client.get("/admin/stock/?q=zinc").get_data(as_text=True)
    main = html.split('<main id="main"', 1)[1]
    # The first table on the page is the search's, and its first row is the match.
    first_table = main.split("<table", 1)[1].split("</table>", 1)[0]
    assert wanted in first_table
    assert "Sold Out Gel" not in first_table
    text = visible_text(main)
    assert text.index("Variants matching “zinc”") < text.index("Low stock")
    assert text.index(wanted) < text.index("Sold Out Gel 00")


def test_every_variant_is_listed_with_its_price_sorted_and_paged(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    product = make_product("Barrier Cream", variants=[("50 ml", 2800, 7), ("100 ml", 4500, 2)])
    make_product("Night Serum", variants=[("30 ml", 3900, 12)])
    for n in range(50):
        make_product(f"Filler {n:02d}", variants=[("10 ml", 500, 30)])
    db.session.commit()
    small = product.variants[0]
    _signed_in(client, make_staff, StaffRole.FULFILMENT)

    found = visible_text(client.get("/admin/stock/?q=barrier"))
    assert f"Barrier Cream 50 ml {small.sku} $28.00 7 0 7" in found
    assert "$45.00" in found

    first = client.get("/admin/stock/")
    assert "53 variants, page 1 of 2" in visible_text(first)
    assert 'href="/admin/stock/?page=2"' in first.get_data(as_text=True)
    assert "Night Serum" in visible_text(client.get("/admin/stock/?page=2"))

    by_stock = visible_text(client.get("/admin/stock/?sort=on_hand&dir=desc&page=2"))
    listed = by_stock.split("All variants", 1)[1]
    assert "Filler" not in listed  # 30 on hand each: all on page 1
    assert listed.index("Night Serum") < listed.index("$28.00") < listed.index("$45.00")
    by_price = visible_text(client.get("/admin/stock/?sort=price&dir=desc"))
    assert by_price.split("All variants", 1)[1].index("$45.00") < by_price.split("All variants", 1)[
        1
    ].index("$39.00")
    for bad in ("sort=colour", "dir=sideways", "page=3", "page=0"):
        assert client.get(f"/admin/stock/?{bad}").status_code == 400, bad


def test_the_stock_list_downloads_as_csv(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff
) -> None:
    make_product("Night Serum", variants=[("30 ml", 3900, 12)])
    make_product("=HYPERLINK(1) Cream", variants=[("50 ml", 2800, 3)])
    db.session.commit()
    _signed_in(client, make_staff, StaffRole.FULFILMENT)

    page = client.get("/admin/stock/?q=serum").get_data(as_text=True)
    assert 'href="/admin/stock/export.csv?q=serum"' in page
    response = client.get("/admin/stock/export.csv?q=serum")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "sku", "product", "size", "price", "currency", "on_hand", "allocated", "available",
    ]  # fmt: skip
    assert rows[1][1:] == ["Night Serum", "30 ml", "39.00", "USD", "12", "0", "12"]
    assert len(rows) == 2
    everything = list(csv.reader(io.StringIO(client.get("/admin/stock/export.csv").text)))
    assert [r[1] for r in everything if "HYPERLINK" in r[1]] == ["'=HYPERLINK(1) Cream"]
