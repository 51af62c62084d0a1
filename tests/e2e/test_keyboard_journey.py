"""Journey 6: a customer buys with the keyboard alone, from the home page to the thank-you page.

Only Tab, Shift+Tab, Enter, Space and the arrow keys move through the pages; text is typed into
whatever Tab reached. After every key the test asserts which element holds focus (by role and
name) and that the customer can see where it is: an outline (or a box shadow) at least 2px
wide, with 3:1 contrast against the background around it, not clipped by an ancestor that
hides overflow, and on screen.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import DemoShop, Shots

# What the focused element shows: its outline or box shadow, the colour behind it, and
# whether an ancestor that hides overflow cuts the outline off.
FOCUS_INDICATOR = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const background = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const [r, g, b, a = 1] = parse(getComputedStyle(n).backgroundColor);
      if (a > 0.5) return [r, g, b];
    }
    return [255, 255, 255];
  };
  const width = parseFloat(style.outlineWidth) || 0;
  const offset = parseFloat(style.outlineOffset) || 0;
  const box = el.getBoundingClientRect();
  const reach = width + offset;
  const ring = {left: box.left - reach, top: box.top - reach,
                right: box.right + reach, bottom: box.bottom + reach};
  let clippedBy = null;
  for (let n = el.parentElement; n && n !== document.documentElement; n = n.parentElement) {
    const s = getComputedStyle(n);
    if (s.overflowX === "visible" && s.overflowY === "visible") continue;
    const r = n.getBoundingClientRect();
    const inner = {left: r.left + n.clientLeft, top: r.top + n.clientTop,
                   right: r.left + n.clientLeft + n.clientWidth,
                   bottom: r.top + n.clientTop + n.clientHeight};
    if (ring.left < inner.left - 0.5 || ring.top < inner.top - 0.5
        || ring.right > inner.right + 0.5 || ring.bottom > inner.bottom + 0.5) {
      clippedBy = n.tagName.toLowerCase() + (n.className ? "." + n.className : "");
      break;
    }
  }
  return {
    outlineStyle: style.outlineStyle, outlineWidth: width,
    outlineColor: parse(style.outlineColor).slice(0, 3),
    boxShadow: style.boxShadow,
    // An outline drawn outside the element sits on its parent's background.
    behind: background(offset >= 0 && el.parentElement ? el.parentElement : el),
    clippedBy,
  };
}"""


def _luminance(rgb: list[float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: list[float], b: list[float]) -> float:
    """Return the WCAG contrast ratio of two sRGB colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def expect_focus_visible(page: Any) -> None:
    """Assert the focused element shows a focus indicator a sighted customer can find."""
    seen = page.evaluate(FOCUS_INDICATOR)
    assert seen is not None, "Focus left the page"
    if seen["outlineStyle"] != "none" and seen["outlineWidth"] >= 2:
        ratio = contrast(seen["outlineColor"], seen["behind"])
        assert ratio >= 3, f"The focus outline is too faint ({ratio:.2f}:1): {seen}"
        assert seen["clippedBy"] is None, f"The focus outline is cut off: {seen}"
    else:
        assert seen["boxShadow"] != "none", f"No visible focus indicator: {seen}"


def press(page: Any, key: str, target: Any) -> None:
    """Press one key and assert that focus is now, visibly, on `target`."""
    page.keyboard.press(key)
    expect(target).to_be_focused()
    expect(target).to_be_in_viewport()
    expect_focus_visible(page)


def skip_to_content(page: Any, first_in_main: Any) -> None:
    """Tab to the skip link (hidden until then), follow it, and Tab into the main content."""
    skip = page.get_by_role("link", name="Skip to content")
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 0, "The skip link shows before it has focus"
    press(page, "Tab", skip)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.get_by_role("main")).to_be_focused()
    press(page, "Tab", first_in_main)


def test_a_customer_buys_with_the_keyboard_alone(
    demo_shop: DemoShop, page: Any, shots: Shots
) -> None:
    page.goto(demo_shop.url + "/")
    main = page.get_by_role("main")
    skip = page.get_by_role("link", name="Skip to content")

    # The skip link is the first stop, hidden until it has focus, then on screen.
    press(page, "Tab", skip)
    shots(page, "home-skip-link")
    page.keyboard.press("Shift+Tab")
    expect(skip).not_to_be_focused()
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(main).to_be_focused()
    press(page, "Tab", main.get_by_role("link", name="Shop all skincare"))
    product_card = main.get_by_role("link", name=re.compile("Barrier Repair Cream"))
    press(page, "Tab", product_card)
    shots(page, "home-product-focused")

    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/products/barrier-repair-cream$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Barrier Repair Cream")
    main = page.get_by_role("main")
    crumbs = main.get_by_role("navigation", name="Breadcrumb")
    skip_to_content(page, crumbs.get_by_role("link", name="Home"))
    press(page, "Tab", crumbs.get_by_role("link", name="Moisturisers"))
    press(page, "Tab", crumbs.get_by_role("link", name="Barrier Repair Cream"))
    press(page, "Tab", main.get_by_role("link", name="Harbour Lab"))
    small = main.get_by_role("radio", name=re.compile("^50 ml"))
    large = main.get_by_role("radio", name=re.compile("^100 ml"))
    press(page, "Tab", small)
    expect(small).to_be_checked()
    shots(page, "product-size-focused")
    # The arrow keys move through the sizes, choosing as they go.
    press(page, "ArrowDown", large)
    expect(large).to_be_checked()
    expect(small).not_to_be_checked()
    quantity = main.get_by_role("spinbutton", name="Quantity")
    press(page, "Tab", quantity)
    page.keyboard.press("ArrowUp")
    expect(quantity).to_have_value("2")
    add = main.get_by_role("button", name="Add to cart")
    press(page, "Tab", add)
    shots(page, "product-add-focused")

    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"/cart$"))
    main = page.get_by_role("main")
    lines = main.get_by_role("list", name="Items in your cart")
    expect(lines.get_by_role("listitem")).to_have_count(1)
    expect(lines).to_contain_text("Size: 100 ml")
    expect(lines.get_by_role("spinbutton", name=re.compile("Quantity"))).to_have_value("2")
    skip_to_content(page, lines.get_by_role("link", name="Barrier Repair Cream"))
    press(page, "Tab", lines.get_by_role("spinbutton", name=re.compile("Quantity")))
    press(page, "Tab", lines.get_by_role("button", name="Update"))
    press(page, "Tab", lines.get_by_role("button", name=re.compile("^Remove")))
    # The order summary's promotion code field and its button come before Checkout.
    press(page, "Tab", main.get_by_role("textbox", name="Promotion code"))
    press(page, "Tab", main.get_by_role("button", name="Apply"))
    checkout = main.get_by_role("button", name="Checkout")
    press(page, "Tab", checkout)
    shots(page, "cart-checkout-focused")

    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/pay/cs_"))
    expect(page.get_by_role("heading", name="Your order")).to_be_visible()
    press(page, "Tab", page.get_by_role("link", name=re.compile("Back to the shop")))
    typed = {
        "Email": "keys@example.com",
        "Full name": "Kay Board",
    }
    for label, text in typed.items():
        press(page, "Tab", page.get_by_label(label))
        page.keyboard.type(text)
    press(page, "Tab", page.get_by_role("combobox", name="Country"))
    expect(page.get_by_role("combobox", name="Country")).to_have_value("US")
    press(page, "Tab", page.get_by_label("Address line 1"))
    page.keyboard.type("1 Keyboard Way")
    press(page, "Tab", page.get_by_label(re.compile("^Address line 2")))
    press(page, "Tab", page.get_by_label("Town or city"))
    page.keyboard.type("Springfield")
    press(page, "Tab", page.get_by_label("Postal code"))
    page.keyboard.type("62701")
    state = page.get_by_label(re.compile("^State, province or region"))
    press(page, "Tab", state)
    # Over $75 the order ships free: the one option is already chosen.
    shipping = page.get_by_role("group", name="Shipping method").get_by_role("radio")
    press(page, "Tab", shipping)
    expect(shipping).to_be_checked()
    # Back one field to fill in the optional state after all.
    press(page, "Shift+Tab", state)
    page.keyboard.type("IL")
    press(page, "Tab", shipping)
    # The shop lets the customer type a code on Stripe's page when the cart has none.
    press(page, "Tab", page.get_by_label(re.compile("^Promotion code")))
    press(page, "Tab", page.get_by_role("button", name="Apply"))
    for label, text in {
        "Card number": "4242 4242 4242 4242",
        "Expiry (MM / YY)": "12 / 34",
        "Security code (CVC)": "123",
    }.items():
        press(page, "Tab", page.get_by_label(label))
        page.keyboard.type(text)
    pay = page.get_by_role("button", name=re.compile(r"^Pay \$"))
    press(page, "Tab", pay)
    shots(page, "pay-button-focused")

    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/checkout/success\?session_id=cs_"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")
    expect(page.get_by_role("main")).to_contain_text("Barrier Repair Cream")
    expect(page.get_by_role("main")).to_contain_text("keys@example.com")
    press(page, "Tab", page.get_by_role("link", name="Skip to content"))
    shots(page, "success-skip-link")
