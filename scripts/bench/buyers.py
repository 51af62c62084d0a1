"""Visitors who add to cart and start checkout (they need a session, so not wrk), the
customer who completes a purchase a second during the spike rows, and what they need: the
session cookie, the CSRF token, Stripe's webhook signature and the sandbox's control API."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import re
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .load import BenchError, Client, Result, result_from

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_ALT = re.compile(r'type="hidden" name="csrf_token" value="([^"]+)"')
SESSION_COOKIE = re.compile(r"(?:^|[\s,])session=([^;]*)")


def _cookie(headers: http.client.HTTPMessage) -> str | None:
    for value in headers.get_all("Set-Cookie") or []:
        found = SESSION_COOKIE.search(value)
        if found:
            return found.group(1)
    return None


def csrf_token(html: str) -> str:
    """Return the CSRF token of a page's form."""
    found = CSRF.search(html) or CSRF_ALT.search(html)
    if found is None:
        raise BenchError("a product page has no CSRF token")
    return found.group(1)


@dataclass
class Buyer:
    """One visitor adding a size to a fresh cart, then starting checkout, over and over."""

    port: int
    product_path: str
    sku: str
    sandbox_url: str
    add: list[tuple[float, float]] = field(default_factory=list)
    checkout: list[tuple[float, float]] = field(default_factory=list)
    add_errors: list[str] = field(default_factory=list)
    checkout_errors: list[str] = field(default_factory=list)
    sessions: int = 0

    def run(self, until: float) -> None:
        """Loop until `until` (time.monotonic()), recording each request's start and latency."""
        client = Client(self.port)
        try:
            self._loop(client, until)
        except Exception as exc:
            # Whatever stops a visitor is an error of this row, not a crash of the bench.
            self.add_errors.append(f"the visitor stopped: {exc!r}")
        finally:
            client.close()

    def _loop(self, client: Client, until: float) -> None:
        status, headers, body = client.send("GET", self.product_path, {"Accept": "text/html"})
        fresh = _cookie(headers)
        if status != 200 or fresh is None:
            self.add_errors.append(f"GET {self.product_path}: {status}, no session cookie")
            return
        token = csrf_token(body.decode())
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        add_body = urllib.parse.urlencode(
            {"csrf_token": token, "variant": self.sku, "quantity": "1"}
        )
        checkout_body = urllib.parse.urlencode({"csrf_token": token})
        while time.monotonic() < until:
            # The cookie without a cart each time, so every add makes a new cart.
            started = time.monotonic()
            status, headers, _ = client.send(
                "POST", "/cart/add", {**form, "Cookie": f"session={fresh}"}, add_body
            )
            self.add.append((started, time.monotonic() - started))
            location = headers.get("Location", "")
            cart = _cookie(headers)
            if status != 303 or not location.endswith("/cart") or cart is None:
                self.add_errors.append(f"add: {status} to {location or '-'}")
                continue
            started = time.monotonic()
            status, headers, _ = client.send(
                "POST", "/checkout", {**form, "Cookie": f"session={cart}"}, checkout_body
            )
            self.checkout.append((started, time.monotonic() - started))
            location = headers.get("Location", "")
            if status != 303 or not location.startswith(self.sandbox_url):
                self.checkout_errors.append(f"checkout: {status} to {location or '-'}")
            else:
                self.sessions += 1


def run_buyers(
    port: int,
    sandbox_url: str,
    items: Sequence[tuple[str, str]],
    connections: int,
    warmup: float,
    seconds: float,
) -> tuple[Result, Result, int]:
    """Add to cart and check out from `connections` visitors at once; measure after `warmup`."""
    start = time.monotonic() + warmup
    until = start + seconds
    buyers = [
        Buyer(port, f"/products/{items[i % len(items)][0]}", items[i % len(items)][1], sandbox_url)
        for i in range(connections)
    ]
    threads = [threading.Thread(target=b.run, args=(until,), daemon=True) for b in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + warmup + 120)

    def summarise(pick: Callable[[Buyer], list[tuple[float, float]]], errors: list[str]) -> Result:
        inside = [lat for b in buyers for (t0, lat) in pick(b) if start <= t0 < until]
        return result_from(inside, seconds, len(errors), errors)

    add = summarise(lambda b: b.add, [e for b in buyers for e in b.add_errors])
    checkout = summarise(lambda b: b.checkout, [e for b in buyers for e in b.checkout_errors])
    return add, checkout, sum(b.sessions for b in buyers)


def sign(payload: str, secret: str, timestamp: int) -> str:
    """Sign as Stripe does: t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def sandbox_json(url: str, body: dict[str, Any] | None = None, method: str | None = None) -> Any:
    """Ask the sandbox's control API (POST `body` when given) and return its JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - the local sandbox
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310
        return json.loads(r.read())


@dataclass
class Purchaser:
    """One customer completing a purchase every `interval` seconds, as a shared answer's
    readers do: add a size to a fresh cart, start checkout, pay on the sandbox (whose
    webhook then settles the order and sells the stock)."""

    port: int
    items: Sequence[tuple[str, str]]
    sandbox_url: str
    interval: float = 1.0
    completed: int = 0
    errors: list[str] = field(default_factory=list)

    def run(self, stop: threading.Event) -> None:
        """Buy on the beat until `stop` is set."""
        client = Client(self.port)
        due, n = time.monotonic(), 0
        try:
            while not stop.is_set():
                slug, sku = self.items[n % len(self.items)]
                n += 1
                try:
                    self._buy(client, slug, sku)
                except Exception as exc:
                    # A failed purchase is a figure of the run, not a crash of the bench.
                    self.errors.append(f"{sku}: {exc!r}")
                due += self.interval
                stop.wait(max(0.0, due - time.monotonic()))
        finally:
            client.close()

    def _buy(self, client: Client, slug: str, sku: str) -> None:
        status, headers, body = client.send("GET", f"/products/{slug}", {"Accept": "text/html"})
        fresh = _cookie(headers)
        if status != 200 or fresh is None:
            raise BenchError(f"GET /products/{slug}: {status}, no session cookie")
        token = csrf_token(body.decode())
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        add = urllib.parse.urlencode({"csrf_token": token, "variant": sku, "quantity": "1"})
        status, headers, _ = client.send(
            "POST", "/cart/add", {**form, "Cookie": f"session={fresh}"}, add
        )
        cart = _cookie(headers)
        if status != 303 or cart is None:
            raise BenchError(f"add: {status}")
        checkout = urllib.parse.urlencode({"csrf_token": token})
        status, headers, _ = client.send(
            "POST", "/checkout", {**form, "Cookie": f"session={cart}"}, checkout
        )
        location = headers.get("Location", "")
        if status != 303 or not location.startswith(self.sandbox_url):
            raise BenchError(f"checkout: {status} to {location or '-'}")
        session_id = location.rstrip("/").rsplit("/", 1)[1]
        sandbox_json(f"{self.sandbox_url}/_sandbox/sessions/{session_id}/pay", {})
        self.completed += 1


@contextmanager
def purchasing(
    port: int, sandbox_url: str, items: Sequence[tuple[str, str]]
) -> Iterator[Purchaser]:
    """Complete one purchase a second in the background for the `with` block."""
    purchaser = Purchaser(port, items, sandbox_url)
    stop = threading.Event()
    thread = threading.Thread(target=purchaser.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield purchaser
    finally:
        stop.set()
        thread.join(timeout=120)
