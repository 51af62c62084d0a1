"""Two shop processes on one PostgreSQL database: no oversell, no double fulfilment.

The shop keeps nothing in process memory or on local disk that another instance needs: the
cart is a database row behind a token in the signed session cookie, stock holds and order
moves are conditional UPDATEs, and each Stripe event is recorded once. So this test runs the
shop as two gunicorn processes (two machines behind a load balancer, each with its own disk,
sharing only the database, the SECRET_KEY and the Stripe account), races shoppers across
both, and then has every payment's webhook reach both processes at the same moment as the
customer's browser comes back to one of them.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from typing import Any, TypeVarTuple

import pytest
import requests
import sqlalchemy as sa
import stripe
from flask_sqlalchemy import SQLAlchemy

from shop.inventory.models import StockAdjustment, StockRecord
from shop.mail.models import OutboxMessage
from shop.orders.models import Order, OrderEvent, OrderStatus
from shop.payments.models import StripeEvent
from tests.conftest import POSTGRES_ENV, postgres_admin_url, skip_or_fail
from tests.factories import make_product
from tests.fixtures_live import Shopper
from tests.fixtures_stripe import StripeSandbox
from tests.html import visible_text

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
START_UP_SECONDS = 120  # importing the app on a loaded 2-core CI machine can be slow
REQUEST_SECONDS = 120
UNITS = 3
PRICE, SHIPPING = 4200, 695
# Where each shopper fills the cart and where they press "Checkout": four stay on each
# process, two cross over (so their cart, CSRF token and notices must be shared state).
ROUTES = [("A", "A")] * 4 + [("B", "B")] * 4 + [("A", "B"), ("B", "A")]
SOLD_OUT_NOTICES = (
    "Someone bought the last of an item in your cart",  # the hold at checkout caught it
    "Some items in your cart need your attention",  # the cart's own check caught it
)

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", ["postgresql"])]


@pytest.fixture(autouse=True)
def _needs_postgres_and_gunicorn() -> None:
    """Say why the test cannot run (before the `app` fixture would skip without CI noticing)."""
    if postgres_admin_url() is None:
        skip_or_fail(
            f"Two shop processes need one PostgreSQL database to share: set {POSTGRES_ENV} "
            "(e.g. postgresql://postgres@127.0.0.1/test)"
        )
    if not GUNICORN.exists():
        skip_or_fail(f"The two-process test serves the shop with gunicorn, not at {GUNICORN}")


@dataclass
class ShopProcess:
    """One gunicorn process serving the shop, with its own folder (media, mail, log, HOME)."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    folder: Path
    terminating: bool = False

    def log(self) -> str:
        return (self.folder / "gunicorn.log").read_text(errors="replace")

    def confirmations(self) -> list[tuple[str, str]]:
        """(To, Subject) of each order confirmation this process wrote to its mail folder."""
        found = []
        for path in sorted((self.folder / "mail").glob("*.eml")):
            message = message_from_bytes(path.read_bytes())
            if "is confirmed" in str(message["Subject"]):
                found.append((str(message["To"]), str(message["Subject"])))
        return found

    def terminate(self) -> None:
        """Ask gunicorn to shut down (once), without waiting."""
        if not self.terminating and self.process.poll() is None:
            self.process.terminate()
        self.terminating = True

    def stop(self) -> None:
        """Stop gunicorn politely, then its whole process group (worker included) by force."""
        self.terminate()
        if self.process.poll() is None:
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        with suppress(ProcessLookupError):  # the group is its own (start_new_session)
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def _start_shop(name: str, folder: Path, settings: dict[str, str]) -> ShopProcess:
    """Start `gunicorn 'shop:create_app()'` on a socket bound here, so no port is raced for."""
    folder.mkdir(parents=True)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SHOP_", "STRIPE_", "MAIL_", "DATABASE_", "SECRET_", "REDIS_"))
    }
    env.update(
        settings,
        SHOP_BASE_URL=url,
        MEDIA_ROOT=str(folder / "media"),
        MAIL_BACKEND="file",
        MAIL_FILE_DIR=str(folder / "mail"),
        HOME=str(folder),
        NO_PROXY="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
    )
    try:
        with (folder / "gunicorn.log").open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own gunicorn serving our own app
                [
                    str(GUNICORN),
                    "--no-control-socket",
                    "--workers=1",
                    "--threads=4",  # so requests race inside each process too
                    f"--bind=fd://{listener.fileno()}",
                    f"--timeout={REQUEST_SECONDS}",
                    "--graceful-timeout=5",
                    "--log-level=warning",
                    "shop:create_app()",
                ],
                cwd=ROOT,
                env=env,
                pass_fds=(listener.fileno(),),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    finally:
        listener.close()  # gunicorn holds its own copy; early connections wait in the backlog
    return ShopProcess(name, url, process, folder)


def _wait_until_serving(shop: ShopProcess) -> None:
    """Poll the home page until it answers 200; fail with gunicorn's log if it never does."""
    deadline = time.monotonic() + START_UP_SECONDS
    problem = "no answer"
    with requests.Session() as http:
        http.trust_env = False
        while time.monotonic() < deadline:
            if shop.process.poll() is not None:
                pytest.fail(f"shop {shop.name} exited ({shop.process.returncode}):\n{shop.log()}")
            try:
                answer = http.get(shop.url + "/", timeout=10)
                if answer.status_code == 200:
                    return
                problem = f"status {answer.status_code}"
            except requests.RequestException as exc:
                problem = str(exc)
            time.sleep(0.2)
    pytest.fail(f"shop {shop.name} not up in {START_UP_SECONDS}s ({problem}):\n{shop.log()}")


@pytest.fixture
def two_shops(
    db: SQLAlchemy, stripe_sandbox: StripeSandbox, tmp_path: Path
) -> Iterator[dict[str, ShopProcess]]:
    """Shops A and B: two processes on the test's database, stopped however the test ends."""
    settings = {
        "SHOP_ENV": "testing",
        # One key for every instance, as in any deployment: a session cookie (cart token,
        # CSRF secret, flashed notices) signed by one process is good on the other.
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "STRIPE_API_BASE": stripe_sandbox.url,
        "STRIPE_SECRET_KEY": stripe_sandbox.api_key,
        "STRIPE_WEBHOOK_SECRET": stripe_sandbox.webhook_secret,
        "STRIPE_MAX_NETWORK_RETRIES": "1",
        "STRIPE_TIMEOUT": "30",
    }
    db.session.rollback()  # hold no locks the processes would wait for
    with ExitStack() as stack:
        shops: dict[str, ShopProcess] = {}
        for name in ("A", "B"):
            shops[name] = _start_shop(name, tmp_path / f"shop-{name}", settings)
            stack.callback(shops[name].stop)
        for shop in shops.values():  # these run first (last in, first out): both end at once
            stack.callback(shop.terminate)
        for shop in shops.values():
            _wait_until_serving(shop)
        yield shops
        for shop in shops.values():  # pytest shows this only when the test failed
            print(f"--- gunicorn log of shop {shop.name} ---\n{shop.log()}")


@dataclass
class Buyer:
    """One customer, one browser (one cookie jar), who may be served by either process."""

    n: int
    fills_at: str
    pays_at: str
    on: dict[str, Shopper]

    @property
    def email(self) -> str:
        return f"buyer{self.n}@example.com"

    @property
    def elsewhere(self) -> str:
        """The process that did not take this buyer's checkout."""
        return "B" if self.pays_at == "A" else "A"

    def __str__(self) -> str:
        return f"buyer{self.n} ({self.fills_at}->{self.pays_at})"


@pytest.fixture
def buyers(two_shops: dict[str, ShopProcess]) -> Iterator[list[Buyer]]:
    """One browser per route in ROUTES, each able to reach both shops."""
    with ExitStack() as closing:
        found = []
        for n, (fills_at, pays_at) in enumerate(ROUTES):
            browser = closing.enter_context(requests.Session())
            browser.trust_env = False
            on = {name: Shopper(shop.url, browser) for name, shop in two_shops.items()}
            found.append(Buyer(n, fills_at, pays_at, on))
        yield found


def _together(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs in threads released at the same instant; return their results in order."""
    start = threading.Barrier(len(jobs))

    def run(job: Callable[[], Any]) -> Any:
        start.wait(timeout=60)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


Columns = TypeVarTuple("Columns")


def _rows(db: SQLAlchemy, statement: sa.Select[*Columns]) -> list[sa.Row[*Columns]]:
    """Plain rows, read in a transaction that ends at once."""
    db.session.expire_all()
    found = list(db.session.execute(statement).all())
    db.session.rollback()
    return found


def _stock(db: SQLAlchemy, variant_id: int) -> tuple[int, int]:
    [row] = _rows(
        db,
        sa.select(StockRecord.on_hand, StockRecord.allocated).where(
            StockRecord.variant_id == variant_id
        ),
    )
    return row.on_hand, row.allocated


def _deliver_like_stripe(url: str, event: dict[str, Any], secret: str) -> list[int]:
    """POST a signed event until it is answered 200, as Stripe retries; return each status."""
    payload = json.dumps(event)
    statuses: list[int] = []
    with requests.Session() as http:
        http.trust_env = False
        while len(statuses) < 5 and 200 not in statuses:
            header = stripe.WebhookSignature.generate_signature_header(payload, secret)
            answer = http.post(
                url,
                data=payload.encode(),
                headers={"Stripe-Signature": header, "Content-Type": "application/json"},
                timeout=REQUEST_SECONDS,
            )
            statuses.append(answer.status_code)
    return statuses


def test_shoppers_racing_across_two_processes_never_oversell_or_fulfil_twice(
    db: SQLAlchemy,
    stripe_sandbox: StripeSandbox,
    two_shops: dict[str, ShopProcess],
    buyers: list[Buyer],
) -> None:
    shops = two_shops
    product = make_product("Last Serum", slug="last-serum", variants=[("30 ml", PRICE, UNITS)])
    sku, variant_id = product.variants[0].sku, product.variants[0].id
    db.session.commit()
    # Stripe keeps the payments' events until this test delivers them, to both processes.
    stripe_sandbox.webhooks(url=f"{shops['A'].url}/stripe/webhook", mode="hold")

    # Everyone puts the last serum in their cart: stock is held only at checkout.
    tokens = []
    for buyer in buyers:
        assert buyer.on[buyer.fills_at].add("last-serum", sku, 1).status_code == 303
        if buyer.pays_at != buyer.fills_at:
            assert "Last Serum" in buyer.on[buyer.pays_at].cart_text()  # the cart is in the db
        # The form's CSRF token comes from where the cart was filled, wherever it is posted.
        tokens.append(buyer.on[buyer.fills_at].token("/cart"))

    def press_checkout(buyer: Buyer) -> Callable[[], tuple[int, str]]:
        def press() -> tuple[int, str]:
            answer = buyer.on[buyer.pays_at].http.post(
                f"{shops[buyer.pays_at].url}/checkout",
                data={"csrf_token": tokens[buyer.n]},
                allow_redirects=False,
                timeout=REQUEST_SECONDS,
            )
            return answer.status_code, str(answer.headers.get("Location", ""))

        return press

    answers = _together([press_checkout(b) for b in buyers])
    seen = {str(b): answer for b, answer in zip(buyers, answers, strict=True)}
    pay_page = stripe_sandbox.url + "/pay/"
    session_of = {
        b.n: location.removeprefix(pay_page)
        for b, (_, location) in zip(buyers, answers, strict=True)
        if location.startswith(pay_page)
    }
    winners = [b for b in buyers if b.n in session_of]
    assert len(winners) == UNITS, f"{len(winners)} sent to pay for {UNITS} units: {seen}"
    assert _stock(db, variant_id) == (UNITS, UNITS)  # each unit held once
    for loser in (b for b in buyers if b.n not in session_of):
        status, location = answers[loser.n]
        assert status == 303, seen
        assert location.endswith("/cart"), seen
        page = loser.on[loser.elsewhere].cart_text()  # the notice is in the shared cookie
        assert any(notice in page for notice in SOLD_OUT_NOTICES), f"{loser}: {page}"
        assert "Sold out." in page

    # The winners pay. Each payment's webhook reaches both processes at once, while the
    # customer's browser comes back to the process that did not take the checkout.
    for buyer in winners:
        stripe_sandbox.pay(session_of[buyer.n], email=buyer.email)
    completed = stripe_sandbox.events("checkout.session.completed")
    assert sorted(e["object_id"] for e in completed) == sorted(session_of.values())

    def deliver(shop: ShopProcess, event: dict[str, Any]) -> Callable[[], list[int]]:
        url, secret = f"{shop.url}/stripe/webhook", stripe_sandbox.webhook_secret
        return lambda: _deliver_like_stripe(url, event["event"], secret)

    def come_back(buyer: Buyer) -> Callable[[], tuple[int, str]]:
        def back() -> tuple[int, str]:
            page = buyer.on[buyer.elsewhere].http.get(
                f"{shops[buyer.elsewhere].url}/checkout/success",
                params={"session_id": session_of[buyer.n]},
                timeout=REQUEST_SECONDS,
            )
            return page.status_code, visible_text(page.text)

        return back

    deliveries = [deliver(shop, event) for event in completed for shop in shops.values()]
    results = _together([*deliveries, *(come_back(b) for b in winners)])
    delivered, pages = results[: len(deliveries)], results[len(deliveries) :]
    # Every delivery was answered 200 at once, so Stripe stops sending it: the later of two
    # simultaneous deliveries of one event is recognised as a duplicate, not an error.
    assert all(statuses == [200] for statuses in delivered), delivered

    orders = {
        row.stripe_session_id: row
        for row in _rows(
            db,
            sa.select(
                Order.id,
                Order.number,
                Order.status,
                Order.email,
                Order.amount_paid,
                Order.stripe_session_id,
            ),
        )
    }
    assert sorted(orders) == sorted(session_of.values())  # one order per winner, no other
    for buyer, (status, page) in zip(winners, pages, strict=True):
        order = orders[session_of[buyer.n]]
        assert (order.status, order.email) == (OrderStatus.PAID, buyer.email)
        assert order.amount_paid == PRICE + SHIPPING
        assert status == 200
        assert f"order {order.number} is confirmed" in page
        assert "Your cart is empty" in buyer.on[buyer.pays_at].cart_text()

    # Each order was paid and sold once: one "paid" in its timeline, one sale of stock.
    paid = _rows(db, sa.select(OrderEvent.order_id).where(OrderEvent.kind == "paid"))
    assert sorted(r.order_id for r in paid) == sorted(o.id for o in orders.values())
    sales = _rows(
        db,
        sa.select(StockAdjustment.delta, StockAdjustment.note).where(
            StockAdjustment.reason == "sold"
        ),
    )
    assert sorted(sales) == sorted((-1, f"order {o.number}") for o in orders.values())
    assert _stock(db, variant_id) == (0, 0)
    handled = _rows(db, sa.select(StripeEvent.id))
    assert sorted(r.id for r in handled) == sorted(e["id"] for e in completed)

    # One confirmation per order, sent (by whichever process won), none twice.
    outbox = _rows(
        db,
        sa.select(OutboxMessage.to_address, OutboxMessage.sent_at).where(
            OutboxMessage.kind == "order_paid"
        ),
    )
    assert sorted(m.to_address for m in outbox) == sorted(b.email for b in winners)
    assert all(m.sent_at is not None for m in outbox)
    mailed = [mail for shop in shops.values() for mail in shop.confirmations()]
    assert sorted(mailed) == sorted(
        (b.email, f"Your order {orders[session_of[b.n]].number} is confirmed") for b in winners
    )
