"""The shop as a real HTTP server on 127.0.0.1, for tests that need real connections
(Stripe's webhooks posting back, concurrent buyers, the browser)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from werkzeug.serving import BaseWSGIServer, make_server

from shop.payments.gateway import init_payments
from tests.fixtures_stripe import StripeSandbox
from tests.html import csrf_token, visible_text


@dataclass
class LiveServer:
    url: str
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(app: Flask) -> LiveServer:
    """Serve `app` on a free port in a background thread (threaded, like a real server)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-shop", daemon=True)
    thread.start()
    return LiveServer(url=f"http://127.0.0.1:{server.server_port}", server=server, thread=thread)


@pytest.fixture
def browser_session() -> Iterator[requests.Session]:
    """A cookie-keeping HTTP client, like one browser."""
    with requests.Session() as session:
        yield session


@pytest.fixture
def live_shop(app: Flask, db: SQLAlchemy, stripe_sandbox: StripeSandbox) -> Iterator[LiveServer]:
    """The shop on a real port, paying through the sandbox, which posts webhooks back."""
    server = serve(app)
    app.config.update(
        SHOP_BASE_URL=server.url,
        STRIPE_API_BASE=stripe_sandbox.url,
        STRIPE_SECRET_KEY=stripe_sandbox.api_key,
        STRIPE_WEBHOOK_SECRET=stripe_sandbox.webhook_secret,
        STRIPE_MAX_NETWORK_RETRIES=1,
        STRIPE_TIMEOUT=3,
    )
    init_payments(app)
    stripe_sandbox.set_webhook_url(f"{server.url}/stripe/webhook")
    # The test's own session must not hold SQLite's write lock while the server works.
    db.session.commit()
    yield server
    stripe_sandbox.set_webhook_url(None)
    server.stop()


@dataclass
class Shopper:
    """One customer with their own cookies, driving the shop over HTTP."""

    base: str
    http: requests.Session = field(default_factory=requests.Session)

    def token(self, path: str) -> str:
        return csrf_token(self.http.get(self.base + path).text)

    def add(self, slug: str, sku: str, quantity: int | str = 1) -> requests.Response:
        token = self.token(f"/products/{slug}")
        return self.http.post(
            self.base + "/cart/add",
            data={"csrf_token": token, "variant": sku, "quantity": str(quantity)},
            allow_redirects=False,
        )

    def checkout(self, **extra: str) -> requests.Response:
        token = self.token("/cart")
        return self.http.post(
            self.base + "/checkout", data={"csrf_token": token, **extra}, allow_redirects=False
        )

    def cart_text(self) -> str:
        return visible_text(self.http.get(self.base + "/cart").text)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def shopper(live_shop: LiveServer) -> Iterator[Shopper]:
    buyer = Shopper(live_shop.url)
    yield buyer
    buyer.close()
