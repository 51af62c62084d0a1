"""Journeys 1 and 2: buying from an answer, and a declined card, "back to the shop" (which
releases the hold at once) and a second checkout whose hold runs out.

Everything flows as it does in production: the browser pays on the sandbox's hosted page,
the sandbox posts signed webhooks to the live shop, the shop mails through a real SMTP
server, and staff read the result in the admin.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, DemoShop, Shots, context_page, sign_in_staff

ANSWER_SLUG = "adult-hormonal-acne-jawline"
ANSWER_QUESTION = "Why am I breaking out along my jaw in my thirties, and what actually helps?"
PRODUCT_NAME = "Adapalene 0.1% Gel"
PAYS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
BUYER = "reader@example.com"


@pytest.fixture
def staff_page(browser: Any) -> Iterator[Any]:
    """A second person at another computer: their own cookies, desktop-sized."""
    yield from context_page(browser, viewport=DESKTOP)


def wait_for(found: Callable[[], Any], what: str, timeout: float = 10) -> Any:
    """Return `found()` once it is truthy; fail after `timeout` seconds saying what never came."""
    deadline = time.monotonic() + timeout
    while True:
        value = found()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} never came"
        time.sleep(0.05)


def mail_to(shop: DemoShop, address: str) -> list[EmailMessage]:
    return [m for m in shop.smtp.messages if address in str(m["To"])]


def webhook_answers(shop: DemoShop, event_type: str) -> list[int | None]:
    """The statuses the live shop answered the sandbox's deliveries of one event type with."""
    shop.sandbox.wait_for_webhooks()
    events = shop.sandbox.events(event_type)
    assert events, f"the sandbox made no {event_type} event"
    return [attempt["status"] for e in events for attempt in e["attempts"]]


def pay_on_sandbox(page: Any, card: str, email: str = BUYER) -> None:
    """Fill the sandbox's hosted pay page as a customer would, and press Pay."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Full name").fill("Rosa Reader")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Address line 1").fill("12 Elm Street")
    page.get_by_label("Town or city").fill("Portland")
    page.get_by_label("Postal code").fill("97201")
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def add_to_cart_from_product_page(page: Any, quantity: int = 1) -> None:
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(re.compile(r"/cart$"))


def cart_quantities(page: Any) -> dict[str, str]:
    """The cart as the customer reads it: product name -> quantity shown."""
    lines = page.get_by_role("list", name="Items in your cart").get_by_role("listitem")
    shown: dict[str, str] = {}
    for i in range(lines.count()):
        line = lines.nth(i)
        name = line.get_by_role("heading", level=2).inner_text().strip()
        shown[name] = line.get_by_label(re.compile("^Quantity")).input_value()
    return shown


def test_a_reader_buys_a_product_from_an_answer_and_staff_see_the_answer_credited(
    demo_shop: DemoShop, page: Any, staff_page: Any, shots: Shots
) -> None:
    base = demo_shop.url
    page.goto(f"{base}/answers/{ANSWER_SLUG}")
    expect(page.get_by_role("heading", level=1)).to_have_text(ANSWER_QUESTION)
    products = page.get_by_role("region", name="Products from this answer")
    expect(products).to_be_visible()
    shots(page, "answer")

    products.get_by_role("link", name=PRODUCT_NAME).click()
    page.wait_for_url(re.compile(r"/products/adapalene-gel"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PRODUCT_NAME)
    shots(page, "product")

    add_to_cart_from_product_page(page)
    expect(page.get_by_role("status")).to_contain_text(PRODUCT_NAME)
    assert cart_quantities(page) == {PRODUCT_NAME: "1"}
    shots(page, "cart")

    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(re.escape(demo_shop.sandbox.url) + r"/pay/cs_"))
    expect(page.get_by_role("heading", name="Your order")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(PRODUCT_NAME)
    shots(page, "pay-page")

    pay_on_sandbox(page, PAYS)
    page.wait_for_url(re.compile(r"/checkout/success\?session_id=cs_"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"Thank you: order \S+ is confirmed"))
    number = re.search(r"order (\S+) is confirmed", heading.inner_text())
    assert number is not None
    order_number = number.group(1)
    expect(page.get_by_role("main")).to_contain_text(PRODUCT_NAME)
    expect(page.get_by_role("main")).to_contain_text(BUYER)
    shots(page, "success")
    # Stripe's webhook reached the shop too, and the shop took it.
    assert webhook_answers(demo_shop, "checkout.session.completed") == [200]

    # The confirmation mail: its subject and body name the order and the product.
    mails = wait_for(lambda: mail_to(demo_shop, BUYER), f"a mail to {BUYER}")
    assert len(mails) == 1, "one confirmation, even though both the webhook and the page saw it"
    mail = mails[0]
    assert mail["Subject"] == f"Your order {order_number} is confirmed"
    body_part = mail.get_body(preferencelist=("plain",))
    assert body_part is not None
    body = body_part.get_content()
    assert order_number in body
    assert PRODUCT_NAME in body
    link = re.search(r"(https?://\S+/orders/[\w.-]+)", body)
    assert link is not None, body
    assert link.group(1).startswith(base)

    # The signed link in the mail opens the order in the browser.
    page.goto(link.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Thank you: order {order_number} is confirmed"
    )
    expect(page.get_by_role("main")).to_contain_text(PRODUCT_NAME)
    shots(page, "order-from-mail")
    # A link with its signature changed opens nothing.
    page.goto(link.group(1)[:-3] + ("xyz" if not link.group(1).endswith("xyz") else "abc"))
    expect(page.get_by_role("main")).to_contain_text("This order link is not valid")

    # Staff in fulfilment find the order and see which answer sold it.
    sign_in_staff(staff_page, base, demo_shop.staff["fulfilment"])
    staff_page.goto(f"{base}/admin/orders/")
    order_link = staff_page.get_by_role("link", name=order_number)
    expect(order_link).to_be_visible()
    row = staff_page.get_by_role("row").filter(has=order_link)
    expect(row).to_contain_text("paid")
    expect(row).to_contain_text(BUYER)
    shots(staff_page, "admin-orders")

    order_link.click()
    staff_page.wait_for_url(re.compile(r"/admin/orders/\d+$"))
    expect(staff_page.get_by_role("heading", level=1)).to_have_text(f"Order {order_number}")
    expect(staff_page.get_by_role("table", name="What was bought")).to_contain_text(PRODUCT_NAME)
    source = staff_page.get_by_role("definition").filter(has_text=ANSWER_QUESTION)
    expect(source).to_be_visible()
    expect(staff_page.get_by_role("term").filter(has_text="Source answer")).to_be_visible()
    expect(source.get_by_role("link")).to_have_attribute("href", f"/answers/{ANSWER_SLUG}")
    timeline = staff_page.get_by_role("table", name=re.compile("What happened to this order"))
    expect(timeline).to_contain_text("Paid $24.95")  # $18.00 and $6.95 shipping, in money
    shots(staff_page, "admin-order")


def test_a_declined_card_then_back_to_the_shop_releases_the_hold_and_keeps_the_cart(
    demo_shop: DemoShop, page: Any, staff_page: Any, shots: Shots
) -> None:
    base = demo_shop.url
    # The demo has 2 Centella Recovery Moisturisers: buying both holds the last of them.
    page.goto(f"{base}/products/centella-recovery-moisturiser")
    expect(page.get_by_role("main").get_by_text("Only 2 left").first).to_be_visible()
    add_to_cart_from_product_page(page, 2)
    page.goto(f"{base}/products/adapalene-gel")
    add_to_cart_from_product_page(page, 3)
    wanted = {"Centella Recovery Moisturiser": "2", PRODUCT_NAME: "3"}
    assert cart_quantities(page) == wanted
    shots(page, "cart")

    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(re.escape(demo_shop.sandbox.url) + r"/pay/cs_"))
    session_id = page.url.rsplit("/", 1)[-1]
    pay_on_sandbox(page, DECLINED)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Your card was declined")
    expect(page.get_by_label("Card number")).to_have_value(DECLINED)  # what was typed stays
    shots(page, "declined")

    # The declined card left the session open, as Stripe does: the hold is still there.
    assert demo_shop.sandbox.control("GET", f"sessions/{session_id}")["status"] == "open"

    # Back to the shop: told nothing was charged, with the cart as it was, and the session
    # closed at Stripe so the hold ends now rather than in half an hour.
    page.get_by_role("link", name=re.compile("Back to the shop")).click()
    page.wait_for_url(re.compile(r"/cart$"))
    expect(page.get_by_role("status")).to_contain_text("Nothing was charged")
    shots(page, "back-in-cart")
    assert cart_quantities(page) == wanted
    expect(page.get_by_text("Sold out")).to_have_count(0)
    assert demo_shop.sandbox.control("GET", f"sessions/{session_id}")["status"] == "expired"
    page.goto(f"{base}/products/centella-recovery-moisturiser")
    expect(page.get_by_role("main").get_by_text("Only 2 left").first).to_be_visible()
    shots(page, "released-at-once")

    # They try again: a fresh checkout, which holds the last two once more.
    page.goto(f"{base}/cart")
    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(re.escape(demo_shop.sandbox.url) + r"/pay/cs_"))
    second = page.url.rsplit("/", 1)[-1]
    assert second != session_id, "a fresh checkout: the first one is closed"
    page.goto(f"{base}/products/centella-recovery-moisturiser")
    expect(page.get_by_role("main").get_by_text("Sold out").first).to_be_visible()
    shots(page, "held")

    # This time the customer never comes back; Stripe expires the session and tells the shop
    # (the first session's "expired" event, after the shop closed it itself, changed nothing).
    demo_shop.sandbox.expire(second)
    assert webhook_answers(demo_shop, "checkout.session.expired") == [200, 200]
    page.reload()
    expect(page.get_by_role("main").get_by_text("Only 2 left").first).to_be_visible()
    shots(page, "released")

    sign_in_staff(staff_page, base, demo_shop.staff["fulfilment"])
    staff_page.goto(f"{base}/admin/stock/?q=QT-CRM-50")
    variants = staff_page.get_by_role("table", name=re.compile("Variants matching"))
    row = variants.get_by_role("row").filter(has_text="QT-CRM-50")
    expect(row.get_by_role("cell")).to_have_text(
        [
            "Centella Recovery Moisturiser",
            "50 ml",
            "QT-CRM-50",
            "$30.00",
            "2",
            "0",
            "2",
            "Adjust QT-CRM-50",
        ]
    )
    shots(staff_page, "admin-stock")

    # The cart is still there, and checking out again starts a fresh checkout.
    page.goto(f"{base}/cart")
    assert cart_quantities(page) == wanted
    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(re.escape(demo_shop.sandbox.url) + r"/pay/cs_"))
    assert page.url.rsplit("/", 1)[-1] not in (session_id, second)
    shots(page, "new-checkout")
