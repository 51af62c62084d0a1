"""The stocktake screen: many counted figures at once, all or nothing, with history and
audit rows; stale, bad and below-allocated rows refused; who may use it."""

from __future__ import annotations

import re
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
from shop.inventory.services import adjust_on_hand
from tests.factories import make_category, make_product
from tests.fixtures_staff import sign_in
from tests.html import csrf_token, visible_text

MakeStaff = Callable[..., StaffUser]
FRED = "fred@example.com"
URL = "/admin/stock/bulk"


@pytest.fixture
def fred(client: FlaskClient, make_staff: MakeStaff) -> StaffUser:
    """A fulfilment member of staff, signed in on `client`."""
    user = make_staff(FRED, StaffRole.FULFILMENT)
    assert sign_in(client, FRED)[0] == 303
    return user


def _variants(db: SQLAlchemy, *stock: int, name: str = "Barrier Cream") -> list[Variant]:
    product = make_product(name, variants=[(f"{i} ml", 1000, n) for i, n in enumerate(stock)])
    db.session.commit()
    return list(product.variants)


class Page:
    """The stocktake form as a browser holds it: rows by variant id, and the token."""

    def __init__(self, response: Any) -> None:
        assert response.status_code in (200, 400)
        html = response.get_data(as_text=True)
        self.token = csrf_token(html)
        self.rows: dict[int, tuple[int, str]] = {}  # variant id: (row index, loaded)
        for index, vid in re.findall(r'name="rows-(\d+)-variant_id" value="(\d+)"', html):
            loaded = re.search(rf'name="rows-{index}-loaded" value="(-?\d+)"', html)
            assert loaded is not None
            self.rows[int(vid)] = (int(index), loaded.group(1))
        self.counted = dict(re.findall(r'name="rows-(\d+)-counted" value="([^"]*)"', html))

    def data(
        self, counts: dict[int, str], reason: str = "correction", note: str = ""
    ) -> dict[str, str]:
        """Every row as posted, with `counts` typed into some of them."""
        form = {"csrf_token": self.token, "reason": reason, "note": note}
        for vid, (index, loaded) in self.rows.items():
            form[f"rows-{index}-variant_id"] = str(vid)
            form[f"rows-{index}-loaded"] = loaded
            form[f"rows-{index}-counted"] = counts.get(vid, "")
        return form


def _open(client: FlaskClient, query: str = "") -> Page:
    return Page(client.get(URL + query))


def _snapshot(db: SQLAlchemy) -> tuple[Any, ...]:
    db.session.expire_all()
    stock = db.session.execute(
        sa.select(StockRecord.variant_id, StockRecord.on_hand).order_by(StockRecord.variant_id)
    ).all()
    history = db.session.scalars(sa.select(StockAdjustment.id)).all()
    audits = db.session.scalars(sa.select(AuditEntry.id)).all()
    return [tuple(r) for r in stock], list(history), list(audits)


def _on_hand(db: SQLAlchemy, variant_id: int) -> int:
    db.session.expire_all()
    record = db.session.get(StockRecord, variant_id)
    assert record is not None
    return record.on_hand


def _row_errors(response: Any, page: Page, variant_id: int) -> str:
    """The messages shown next to one row's Counted box (tied by aria-describedby)."""
    html = response.get_data(as_text=True)
    index = page.rows[variant_id][0]
    field = f"rows-{index}-counted"
    assert f'aria-describedby="{field}-errors"' in html
    found = re.search(rf'<ul class="field-errors" id="{field}-errors">(.*?)</ul>', html, re.S)
    assert found is not None
    return visible_text(found.group(1))


@pytest.mark.parametrize("method", ["get", "post"])
def test_who_may_use_the_stocktake(
    client: FlaskClient, db: SQLAlchemy, make_staff: MakeStaff, method: str
) -> None:
    (variant,) = _variants(db, 5)

    def attempt(c: FlaskClient) -> Any:
        if method == "get":
            return c.get(URL)
        token = csrf_token(c.get("/admin/login" if c is client else "/admin/password"))
        data = {"csrf_token": token, "rows-0-variant_id": str(variant.id)}
        return c.post(URL, data=data | {"rows-0-loaded": "5", "rows-0-counted": "9"})

    response = attempt(client)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")

    make_staff("ed@example.com", StaffRole.EDITOR)
    editor = client.application.test_client()
    sign_in(editor, "ed@example.com")
    assert attempt(editor).status_code == 403
    assert _on_hand(db, variant.id) == 5

    for email, role in ((FRED, StaffRole.FULFILMENT), ("olive@example.com", StaffRole.OWNER)):
        make_staff(email, role)
        staff = client.application.test_client()
        sign_in(staff, email)
        if method == "get":
            page = staff.get(URL)
            assert page.status_code == 200
            assert "Stocktake" in visible_text(page)
        else:
            form = _open(staff)
            assert staff.post(URL, data=form.data({variant.id: "9"})).status_code == 303
    if method == "post":
        assert _on_hand(db, variant.id) == 9


def test_the_stock_page_links_to_the_stocktake(client: FlaskClient, fred: StaffUser) -> None:
    assert f'href="{URL}"' in client.get("/admin/stock/").get_data(as_text=True)


def test_counts_update_several_variants_with_history_and_audit(
    client: FlaskClient, db: SQLAlchemy, fred: StaffUser
) -> None:
    a, b, c, d = _variants(db, 10, 4, 7, 3)
    ids = a.id, b.id, c.id, d.id
    skus = a.sku, b.sku
    page = _open(client)
    assert set(page.rows) == set(ids)
    text = visible_text(client.get(URL))
    assert f"{a.sku} Barrier Cream 0 ml 10 0" in text

    # a: 10 → 12, b: 4 → 0, c: unchanged count (skipped), d: blank (left alone).
    response = client.post(
        URL,
        data=page.data({ids[0]: "12", ids[1]: " 0 ", ids[2]: "7"}, "damaged", "  Aisle 3  "),
    )
    assert response.status_code == 303
    assert response.headers["Location"] == URL
    shown = visible_text(client.get(URL))
    assert "Updated 2 variants. 1 count matched on hand already." in shown

    assert [_on_hand(db, vid) for vid in ids] == [12, 0, 7, 3]
    history = db.session.scalars(
        sa.select(StockAdjustment)
        .where(StockAdjustment.reason == "damaged")
        .order_by(StockAdjustment.variant_id)
    ).all()
    assert [(h.variant_id, h.delta, h.on_hand_after, h.note) for h in history] == [
        (ids[0], 2, 12, "Aisle 3"),
        (ids[1], -4, 0, "Aisle 3"),
    ]
    audits = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.actor_email, e.action, e.entity, e.entity_id) for e in audits] == [
        (FRED, "stock.count", "variant", str(ids[0])),
        (FRED, "stock.count", "variant", str(ids[1])),
    ]
    assert [(e.before, e.after) for e in audits] == [
        ({"on_hand": 10}, {"on_hand": 12}),
        ({"on_hand": 4}, {"on_hand": 0}),
    ]
    assert skus[0] in audits[0].summary
    # The variant's own page shows the history and the staff change.
    variant_page = visible_text(client.get(f"/admin/stock/{ids[0]}"))
    assert "+2 12 damaged Aisle 3" in variant_page
    assert f"{skus[0]}: counted 12 (damaged), on hand 10 → 12" in variant_page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("x", "Enter a whole number of units"),
        ("1.5", "Enter a whole number of units"),
        ("1e3", "Enter a whole number of units"),
        ("-3", "The count cannot be negative."),
        ("2000000", "at most 1,000,000 units"),
        ("1", "cannot be below the 2 units held by checkouts"),
    ],
)
def test_one_bad_row_changes_nothing_and_keeps_what_was_typed(
    client: FlaskClient, db: SQLAlchemy, fred: StaffUser, typed: str, message: str
) -> None:
    good, bad, other = _variants(db, 10, 5, 8)
    db.session.execute(
        sa.update(StockRecord).where(StockRecord.variant_id == bad.id).values(allocated=2)
    )
    db.session.commit()
    before = _snapshot(db)
    page = _open(client)

    response = client.post(URL, data=page.data({good.id: "15", bad.id: typed, other.id: "-1"}))
    assert response.status_code == 400
    text = visible_text(response)
    assert "Nothing was changed" in text
    assert message in _row_errors(response, page, bad.id)
    assert "cannot be negative" in _row_errors(response, page, other.id)
    # In the summary too, linked to the row's box.
    assert re.search(rf"{bad.sku} : [^:]*{re.escape(message)}", text)
    again = Page(response)
    assert again.counted[str(page.rows[good.id][0])] == "15"
    assert again.counted[str(page.rows[bad.id][0])] == typed
    assert _snapshot(db) == before


def test_a_row_changed_since_loading_is_refused(
    client: FlaskClient, db: SQLAlchemy, fred: StaffUser
) -> None:
    good, stale = _variants(db, 10, 6)
    page = _open(client)
    # Someone else receives 4 units while the counter is on the shelf.
    adjust_on_hand(stale.id, 4, "restock")
    db.session.commit()
    before = _snapshot(db)

    response = client.post(URL, data=page.data({good.id: "11", stale.id: "6"}))
    assert response.status_code == 400
    assert "changed since you loaded the page: now 10" in _row_errors(response, page, stale.id)
    assert _snapshot(db) == before

    # The message showed the new figure: saving the same counts again applies them.
    refreshed = Page(response)
    assert refreshed.rows[stale.id][1] == "10"
    assert refreshed.rows[good.id][1] == "10"
    counts = {good.id: "11", stale.id: "6"}
    assert client.post(URL, data=refreshed.data(counts)).status_code == 303
    assert (_on_hand(db, good.id), _on_hand(db, stale.id)) == (11, 6)


def test_a_change_landing_just_before_the_write_is_refused(
    client: FlaskClient, db: SQLAlchemy, fred: StaffUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service checks again under the row locks, so a change that lands after the
    form checks pass is still caught, and nothing of the stocktake is applied."""
    from shop.admin import stock as stock_views
    from shop.inventory.services import apply_stocktake

    good, raced = _variants(db, 10, 6)
    page = _open(client)
    real = apply_stocktake

    def after_a_late_restock(*args: Any, **kwargs: Any) -> Any:
        adjust_on_hand(raced.id, 1, "restock")  # another request, just in time
        return real(*args, **kwargs)

    monkeypatch.setattr(stock_views, "apply_stocktake", after_a_late_restock)
    before = _snapshot(db)
    response = client.post(URL, data=page.data({good.id: "12", raced.id: "5"}))
    assert response.status_code == 400
    assert "changed since you loaded the page: now 7" in _row_errors(response, page, raced.id)
    assert "1 row could not be applied; nothing changed." in visible_text(response)
    assert _snapshot(db) == before


def test_an_unknown_variant_is_refused(
    client: FlaskClient, db: SQLAlchemy, fred: StaffUser
) -> None:
    (variant,) = _variants(db, 6)
    page = _open(client)
    data = page.data({variant.id: "9"}) | {
        "rows-1-variant_id": "999999",
        "rows-1-loaded": "3",
        "rows-1-counted": "4",
    }
    before = _snapshot(db)
    response = client.post(URL, data=data)
    assert response.status_code == 400
    assert "There is no such variant any more." in visible_text(response)
    assert _snapshot(db) == before


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "Enter at least one count"),
        ({"reason": "sold"}, "Not a valid choice"),
        ({"note": "n" * 301}, "300 characters or fewer"),
        ({"rows-0-loaded": "abc"}, "Not a valid integer value"),
    ],
)
def test_bad_shared_fields_are_refused(
    client: FlaskClient,
    db: SQLAlchemy,
    fred: StaffUser,
    extra: dict[str, str],
    message: str,
) -> None:
    (variant,) = _variants(db, 6)
    page = _open(client)
    counts = {} if not extra else {variant.id: "9"}
    before = _snapshot(db)
    response = client.post(URL, data=page.data(counts) | extra)
    assert response.status_code == 400
    assert message in visible_text(response)
    assert _snapshot(db) == before


def test_too_many_rows_in_one_post_are_refused(
    client: FlaskClient, db: SQLAlchemy, fred: StaffUser
) -> None:
    (variant,) = _variants(db, 6)
    page = _open(client)
    data = page.data({variant.id: "9"})
    for i in range(1, 201):
        data |= {f"rows-{i}-variant_id": str(variant.id), f"rows-{i}-loaded": "6"}
    before = _snapshot(db)
    response = client.post(URL, data=data)
    assert response.status_code == 400
    assert "at most 200 rows" in visible_text(response)
    assert _snapshot(db) == before


def test_a_variant_counted_twice_is_refused(
    client: FlaskClient, db: SQLAlchemy, fred: StaffUser
) -> None:
    (variant,) = _variants(db, 6)
    page = _open(client)
    data = page.data({variant.id: "9"}) | {
        "rows-1-variant_id": str(variant.id),
        "rows-1-loaded": "6",
        "rows-1-counted": "8",
    }
    before = _snapshot(db)
    response = client.post(URL, data=data)
    assert response.status_code == 400
    assert "already counted in another row" in visible_text(response)
    assert _snapshot(db) == before


def test_rows_are_chosen_by_search_category_and_low_stock(
    client: FlaskClient, db: SQLAlchemy, fred: StaffUser
) -> None:
    serums = make_category("Serums")
    serum = make_product("Calm Serum", category=serums, variants=[("30 ml", 1000, 2)])
    cream = make_product("Barrier Cream", variants=[("50 ml", 1000, 40)])
    db.session.commit()
    serum_id, cream_id = serum.variants[0].id, cream.variants[0].id
    cream_sku = cream.variants[0].sku

    assert set(_open(client, "?q=calm").rows) == {serum_id}
    assert set(_open(client, f"?q={cream_sku.lower()}").rows) == {cream_id}
    assert set(_open(client, f"?category={serums.id}").rows) == {serum_id}
    assert set(_open(client, "?low=1").rows) == {serum_id}
    assert set(_open(client).rows) == {serum_id, cream_id}
    nothing = client.get(URL + "?q=nothing-like-this")
    assert "No variants match." in visible_text(nothing)

    # Saving keeps the filters.
    page = _open(client, "?q=calm&low=1")
    response = client.post(URL + "?q=calm&low=1", data=page.data({serum_id: "3"}))
    assert response.status_code == 303
    assert response.headers["Location"] == URL + "?q=calm&low=1"


def test_at_most_200_rows_are_shown_and_the_page_says_so(
    client: FlaskClient, db: SQLAlchemy, fred: StaffUser
) -> None:
    _variants(db, *([1] * 201), name="Sample Sachet")
    response = client.get(URL)
    assert len(Page(response).rows) == 200
    assert "More than 200 variants match; showing the first 200." in visible_text(response)


def test_a_post_without_csrf_changes_nothing(
    client: FlaskClient, db: SQLAlchemy, fred: StaffUser
) -> None:
    (variant,) = _variants(db, 6)
    page = _open(client)
    before = _snapshot(db)
    data = page.data({variant.id: "9"})
    del data["csrf_token"]
    assert client.post(URL, data=data).status_code == 400
    assert _snapshot(db) == before


def test_reading_changes_nothing(client: FlaskClient, db: SQLAlchemy, fred: StaffUser) -> None:
    (variant,) = _variants(db, 6)
    before = _snapshot(db)
    client.get(URL + f"?rows-0-variant_id={variant.id}&rows-0-loaded=6&rows-0-counted=9")
    assert _snapshot(db) == before
