"""Accessibility: axe-core finds no violation on the shop's main pages, storefront and admin.

The same tours (`storefront_tour`, `buying_tour`, `admin_tour`) walk the pages for the HTML
checker in `test_valid_html.py`: each yields a page's name once the browser shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from shop.accounts.models import StaffUser
from shop.catalog.models import Brand, Category, Product, ProductStatus, Variant
from shop.editorial.models import Answer, AnswerStatus, Doctor, ReaderQuestion, Topic
from shop.extensions import db
from shop.orders.models import Order
from tests.conftest import skip_or_fail
from tests.e2e.conftest import DemoShop, Shots, sign_in_staff

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PRODUCT = "Barrier Repair Cream"
NOT_FOUND = "not found"  # the one page of the tours that answers 404


def _scalar(shop: DemoShop, query: Any) -> Any:
    with shop.app.app_context():
        try:
            return db.session.scalar(query)
        finally:
            db.session.remove()


def _product(shop: DemoShop) -> Product:
    found: Product | None = _scalar(shop, sa.select(Product).where(Product.name == PRODUCT))
    assert found is not None, f"{PRODUCT} in the demo"
    assert found.status == ProductStatus.ACTIVE, f"{PRODUCT} on sale"
    return found


def _answer(shop: DemoShop) -> Answer:
    found: Answer | None = _scalar(
        shop,
        sa.select(Answer)
        .where(Answer.status == AnswerStatus.PUBLISHED)
        .order_by(Answer.published_at.desc()),
    )
    assert found is not None, "a published answer in the demo"
    return found


def storefront_tour(shop: DemoShop, page: Any) -> Iterator[str]:
    """Show the storefront's main pages one after another, yielding each one's name."""
    category = _scalar(shop, sa.select(Category.slug).order_by(Category.id))
    brand = _scalar(shop, sa.select(Brand.slug).order_by(Brand.id))
    doctor = _scalar(shop, sa.select(Doctor.slug).order_by(Doctor.id))
    topic = _scalar(shop, sa.select(Topic.slug).order_by(Topic.id))
    pages = [
        ("home", "/"),
        ("catalogue", "/products/"),
        ("filtered catalogue", f"/products/?category={category}&in_stock=1&sort=price_asc"),
        ("category", f"/categories/{category}"),
        ("brand", f"/brands/{brand}"),
        ("product", f"/products/{_product(shop).slug}"),
        ("answer", f"/answers/{_answer(shop).slug}"),
        ("answers index", "/answers/"),
        ("topic", f"/answers/topics/{topic}"),
        ("doctor", f"/doctors/{doctor}"),
        ("ask the doctor", "/ask"),
        ("shipping and returns", "/pages/shipping-returns"),
        ("search", "/search?q=cream"),
        ("search without results", "/search?q=zzzzqqq"),
        (NOT_FOUND, "/no-such-page"),
    ]
    for name, path in pages:
        response = page.goto(shop.url + path)
        assert response is not None, f"{name}: {path}"
        assert response.status == (404 if name == NOT_FOUND else 200), f"{name}: {path}"
        yield name


def buying_tour(shop: DemoShop, page: Any) -> Iterator[str]:
    """Put a product in the cart and pay in the sandbox, yielding the cart and the success page."""
    page.goto(f"{shop.url}/products/{_product(shop).slug}")
    page.get_by_role("button", name=re.compile("Add to cart", re.I)).click()
    page.wait_for_url(re.compile(r"/cart$"))
    expect(page.get_by_role("main").get_by_role("link", name=PRODUCT)).to_be_visible()
    yield "cart"
    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(r"/pay/cs_"))
    session_id = page.url.rsplit("/", 1)[-1].split("?")[0]
    paid = shop.sandbox.pay(session_id)
    shop.sandbox.wait_for_webhooks()
    page.goto(paid["redirect"])
    expect(page).to_have_title(re.compile("Thank you for your order"))
    yield "checkout success"
    body = shop.smtp.messages[-1].get_body(("plain",))
    assert body is not None, "the confirmation mail has a text part"
    mail = body.get_content()
    link = re.search(r"https?://\S+/orders/\S+", mail)
    assert link, f"the confirmation mail links to the order:\n{mail}"
    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    yield "order status"


def admin_tour(shop: DemoShop, page: Any) -> Iterator[str]:
    """Show the admin's login and, signed in as the owner, its main pages."""
    page.goto(f"{shop.url}/admin/login")
    yield "admin login"
    sign_in_staff(page, shop.url, shop.staff["owner"])
    product_id = _product(shop).id
    answer_id = _answer(shop).id
    order_id = _scalar(shop, sa.select(Order.id).order_by(Order.id.desc()))
    assert order_id is not None, "an order (the buying tour makes one)"
    question_id = _scalar(shop, sa.select(ReaderQuestion.id).order_by(ReaderQuestion.id))
    variant_id = _scalar(shop, sa.select(Variant.id).where(Variant.product_id == product_id))
    staff_id = _scalar(shop, sa.select(StaffUser.id).order_by(StaffUser.id))
    brand_id = _scalar(shop, sa.select(Brand.id).order_by(Brand.id))
    pages = [
        ("admin home", "/admin/"),
        ("dashboard", "/admin/dashboard"),
        ("orders", "/admin/orders/"),
        ("orders and checkouts", "/admin/orders/?status=all&sort=customer"),
        ("order", f"/admin/orders/{order_id}"),
        ("stock", "/admin/stock/"),
        ("stock search", "/admin/stock/?q=serum&sort=price&dir=desc"),
        ("stock of a size", f"/admin/stock/{variant_id}"),
        ("stocktake", "/admin/stock/bulk"),
        ("questions", "/admin/questions/"),
        ("question", f"/admin/questions/{question_id}"),
        ("new product", "/admin/products/new"),
        ("product editor", f"/admin/products/{product_id}"),
        ("new answer", "/admin/answers/new"),
        ("answer editor", f"/admin/answers/{answer_id}"),
        ("pages", "/admin/pages/"),
        ("page editor", "/admin/pages/shipping-returns"),
        ("links", "/admin/links/"),
        ("answer links", f"/admin/links/answers/{answer_id}"),
        ("product links", f"/admin/links/products/{product_id}"),
        ("product records", "/admin/data/products/"),
        ("answer records", "/admin/data/answers/"),
        ("question records", "/admin/data/questions/"),
        ("category records", "/admin/data/categories/"),
        ("new brand record", "/admin/data/brands/new/"),
        ("brand record", f"/admin/data/brands/edit/?id={brand_id}"),
        ("staff", "/admin/staff/"),
        ("staff member", f"/admin/staff/{staff_id}"),
        ("new staff member", "/admin/staff/new"),
        ("password", "/admin/password"),
        ("audit log", "/admin/audit"),
    ]
    for name, path in pages:
        response = page.goto(shop.url + path)
        assert response is not None, f"{name}: {path}"
        assert response.ok, f"{name}: {path} answered {response.status}"
        yield name


def _axe(page: Any) -> list[dict[str, Any]]:
    assert page.evaluate("typeof window.axe !== 'undefined'"), "axe-core in the page"
    result: list[dict[str, Any]] = page.evaluate(
        r"""async () => {
            const found = await axe.run(document, {resultTypes: ['violations']});
            return found.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
                detail: (v.nodes[0].failureSummary || '').replace(/\s+/g, ' '),
            }));
        }"""
    )
    return result


def _report(found: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for name, violations in found.items():
        for v in violations:
            lines.append(
                f"{name}: {v['id']} ({v['impact']}) {v['help']} - {v['count']} element(s), "
                f"e.g. {'; '.join(v['targets'])}\n    {v['detail']}"
            )
    return "\n".join(lines)


def _check(tour: Iterator[str], page: Any, shots: Shots) -> None:
    if not AXE.exists():
        skip_or_fail(f"The accessibility tests need {AXE} (npm ci)")
    # An init script, not a <script> tag: the shop's policy refuses inline script, as it
    # should, and Playwright's init scripts are the browser's own, outside the policy.
    page.add_init_script(path=str(AXE))
    found: dict[str, list[dict[str, Any]]] = {}
    seen = []
    for name in tour:
        seen.append(name)
        violations = _axe(page)
        if violations:
            found[name] = violations
            shots(page, name.replace(" ", "-"))
    assert seen, "the tour showed no page"
    assert not found, "axe-core found accessibility violations:\n" + _report(found)


def test_the_storefront_pages_have_no_accessibility_violations(
    demo_shop: DemoShop, page: Any, shots: Shots
) -> None:
    _check(storefront_tour(demo_shop, page), page, shots)


def test_the_storefront_pages_on_a_phone_have_no_accessibility_violations(
    demo_shop: DemoShop, phone_page: Any, shots: Shots
) -> None:
    _check(storefront_tour(demo_shop, phone_page), phone_page, shots)


def test_the_cart_and_the_order_confirmation_have_no_accessibility_violations(
    demo_shop: DemoShop, page: Any, shots: Shots
) -> None:
    _check(buying_tour(demo_shop, page), page, shots)


def test_the_admin_pages_have_no_accessibility_violations(
    demo_shop: DemoShop, page: Any, shots: Shots
) -> None:
    list(buying_tour(demo_shop, page))  # an order for the order pages
    _check(admin_tour(demo_shop, page), page, shots)
