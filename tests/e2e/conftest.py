"""The browser journeys' world: the demo shop served for real, the Stripe sandbox, an SMTP
server, and Debian's Chromium driven by Playwright.

- `demo_shop`: the curated demo (products, answers, links, staff) loaded into the test's
  database and served on a free port, paying through the sandbox (which posts webhooks
  back) and mailing through a real SMTP server on loopback.
- `browser`: one headless Chromium per test session (`/usr/bin/chromium`, no network beyond
  loopback); missing Chromium skips, or fails in CI.
- `page`: a fresh browser context (its own cookies) per test, desktop-sized; `phone_page`
  is 375x812 with touch. Both fail the test on any JavaScript error in the page and on
  anything the Content-Security-Policy blocked.
- `shots`: saves named screenshots to `test-artifacts/e2e/<test>/` (CI keeps the folder).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from shop.accounts.services import create_staff
from shop.demo.cli import DEMO_STAFF, DEMO_STAFF_PASSWORD
from shop.demo.editorial import load_editorial
from shop.demo.loader import load_curated
from shop.demo.pages import load_pages
from tests.conftest import skip_or_fail
from tests.fixtures_live import LiveServer
from tests.fixtures_mail import SmtpServer

CHROMIUM = os.environ.get("SHOP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
STAFF_PASSWORD = DEMO_STAFF_PASSWORD
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class DemoShop:
    """The demo shop on a real port, with the servers it talks to."""

    url: str
    app: Flask
    smtp: SmtpServer
    sandbox: Any
    staff: dict[str, str] = field(default_factory=dict)  # role -> email


@pytest.fixture
def demo_shop(
    app: Flask,
    db: SQLAlchemy,
    live_shop: LiveServer,
    smtp_server: SmtpServer,
    stripe_sandbox: Any,
) -> DemoShop:
    media_root = Path(app.config["MEDIA_ROOT"])
    load_curated(media_root, app.config["SHOP_CURRENCY"])
    load_editorial(media_root)
    load_pages()
    staff = {}
    for email, role in DEMO_STAFF:
        create_staff(email, STAFF_PASSWORD, role)
        staff[str(role)] = email
    # Commit and end the transaction: the live server must be free to write (SQLite's lock).
    db.session.commit()
    db.session.close()
    return DemoShop(live_shop.url, app, smtp_server, stripe_sandbox, staff)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        skip_or_fail(f"The browser tests need Chromium at {CHROMIUM} (apt install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("The browser tests need Playwright for Python (pip install playwright)")
        return
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def context_page(browser: Any, **options: Any) -> Iterator[Any]:
    """A page in a fresh browser context (one person's cookies); fails on page errors and on
    anything the Content-Security-Policy blocked (a script, style or image the page needed)."""
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    blocked: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            blocked.append(f"{page.url}: {message.text}")

    page.on("console", console)
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"
    assert not blocked, "The Content-Security-Policy blocked:\n" + "\n".join(blocked)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A desktop-sized page with its own cookies."""
    yield from context_page(browser, viewport=DESKTOP)


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    """A phone-sized page (375x812, touch, mobile user agent)."""
    yield from context_page(
        browser,
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )


@dataclass
class Shots:
    folder: Path
    count: int = 0

    def __call__(self, page: Any, name: str) -> Path:
        """Save a full-page screenshot as `NN-name.png` in the test's artifact folder."""
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Shots(folder)


def sign_in_staff(page: Any, base: str, email: str, password: str = STAFF_PASSWORD) -> None:
    """Sign in on the admin's login page as a person would."""
    page.goto(f"{base}/admin/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/admin/"))
