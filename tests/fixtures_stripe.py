"""Stripe sandbox fixtures: the local Stripe server and a webhook receiver, as real HTTP servers.

`stripe_sandbox` is the one to use: a sandbox (started once per test session, reset before
each test) with helpers for its control API, and `stripe_sandbox.client()` for a real
`stripe.StripeClient` pointed at it. `webhook_receiver` is a second server that records what
it is sent (raw bytes and headers) and can answer with chosen failures:

    def test_paid(stripe_sandbox, webhook_receiver):
        stripe_sandbox.set_webhook_url(webhook_receiver.url)
        client = stripe_sandbox.client()
        session = client.v1.checkout.sessions.create({...})
        stripe_sandbox.pay(session.id)
        stripe_sandbox.wait_for_webhooks()
        assert "checkout.session.completed" in webhook_receiver.types()

To use them outside `tests/sandbox/`, add "tests.fixtures_stripe" to `pytest_plugins` in
`tests/conftest.py` (and drop the import from `tests/sandbox/conftest.py`).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import stripe
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from stripe_sandbox.app import (
    SandboxSettings,
    close_sandbox,
    create_sandbox_app,
    default_shared_dir,
    get_sandbox,
)

HOST = "127.0.0.1"
TEST_KEY = "sk_test_sandbox"
WEBHOOK_SECRET = "whsec_test_sandbox_secret"
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_NO_REDIRECTS = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


class _QuietHandler(WSGIRequestHandler):
    """Keep werkzeug's access log out of test output."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class HttpResult:
    """A plain HTTP answer: status, headers and body text."""

    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def http(
    method: str,
    url: str,
    *,
    form: dict[str, str] | None = None,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    follow_redirects: bool = False,
    timeout: float = 10,
) -> HttpResult:
    """Send one request with the standard library and return the answer, whatever its status."""
    data: bytes | None = None
    sent = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        data = json.dumps(json_body).encode()
        sent["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=sent)  # noqa: S310
    opener = _DIRECT if follow_redirects else _NO_REDIRECTS
    try:
        with opener.open(request, timeout=timeout) as response:
            return HttpResult(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as exc:
        with exc:
            return HttpResult(exc.code, dict(exc.headers), exc.read().decode())


class ServerThread:
    """A threaded werkzeug server on 127.0.0.1 and a free port, run in a thread."""

    def __init__(self, app: Any) -> None:
        self.server: BaseWSGIServer = make_server(
            HOST, 0, app, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://{HOST}:{self.server.port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


class StripeSandbox:
    """A running sandbox and helpers for its control API."""

    def __init__(self, **settings: Any) -> None:
        defaults: dict[str, Any] = {
            "webhook_secret": WEBHOOK_SECRET,
            "shared_dir": default_shared_dir(),
            "webhook_retry_delays": (0.05, 0.1, 0.2),
            "webhook_timeout": 3.0,
        }
        self.app: Flask = create_sandbox_app(SandboxSettings(**(defaults | settings)))
        self._server = ServerThread(self.app)
        self.url = self._server.url
        get_sandbox(self.app).set_public_url(self.url)
        self.webhook_secret = WEBHOOK_SECRET
        self.api_key = TEST_KEY
        self._clients: list[requests.Session] = []

    @property
    def validates(self) -> bool:
        """Whether requests are checked against the spec file."""
        return get_sandbox(self.app).validates

    def close(self) -> None:
        """Close clients, stop the server and the webhook thread."""
        self.close_clients()
        self._server.stop()
        close_sandbox(self.app)

    def client(self, *, max_network_retries: int = 0, timeout: float = 10) -> stripe.StripeClient:
        """Return a real StripeClient for the sandbox (closed when the test ends)."""
        session = requests.Session()
        session.trust_env = False  # never through a proxy: the sandbox is on loopback
        self._clients.append(session)
        return stripe.StripeClient(
            self.api_key,
            base_addresses={"api": self.url},
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout, session=session),
        )

    def close_clients(self) -> None:
        for session in self._clients:
            session.close()
        self._clients.clear()

    def control(self, method: str, path: str, json: Any = None, *, expect: int | None = 200) -> Any:
        """Call the control API (`path` under /_sandbox) and return the JSON it answers."""
        body = {} if json is None and method != "GET" else json
        result = http(method, f"{self.url}/_sandbox/{path.lstrip('/')}", json_body=body)
        if expect is not None:
            assert result.status == expect, f"{method} {path}: {result.status} {result.text}"
        return result.json()

    def api(self, method: str, path: str, form: dict[str, str] | None = None) -> HttpResult:
        """Call the API without stripe-python (for raw JSON), with the test key."""
        headers = {"Authorization": f"Bearer {self.api_key}"}
        return http(method, f"{self.url}{path}", form=form, headers=headers)

    def reset(self) -> None:
        self.control("POST", "reset")

    def requests(self, path: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        """Return the API requests the sandbox received, oldest first."""
        query = urllib.parse.urlencode(
            {k: v for k, v in {"path": path, "method": method}.items() if v}
        )
        data: list[dict[str, Any]] = self.control("GET", f"requests?{query}")["data"]
        return data

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        """Return the events made, oldest first, with delivery attempts and the full event."""
        query = f"?type={urllib.parse.quote(type)}" if type else ""
        data: list[dict[str, Any]] = self.control("GET", f"events{query}")["data"]
        return data

    def event_types(self) -> list[str]:
        return [e["type"] for e in self.events()]

    def set_webhook_url(self, url: str | None) -> None:
        """Send events to `url` from now on (None: keep them only)."""
        self.control("POST", "webhooks", {"url": url})

    def webhooks(self, **settings: Any) -> dict[str, Any]:
        """Change webhook settings (mode, enabled_events, retry_delays, secret, url)."""
        result: dict[str, Any] = self.control("POST", "webhooks", settings)
        return result

    def flush(self, order: str = "sent", times: int = 1) -> int:
        """Send held events."""
        queued: int = self.control("POST", "webhooks/flush", {"order": order, "times": times})[
            "queued"
        ]
        return queued

    def wait_for_webhooks(self, timeout: float = 5) -> None:
        """Return once every queued delivery is done (fail the test after `timeout`)."""
        self.control("POST", "webhooks/wait", {"timeout": timeout})

    def pay(self, session_id: str, *, expect: int = 200, **body: Any) -> dict[str, Any]:
        """Pay a session as the customer (card 4242... unless `card=` says otherwise).

        Other keys: `email`, `name`, `address` (a dict; its `country` and `state` drive
        automatic tax), `shipping_option`, `async`, and `promotion_code` (the code the
        customer types, for sessions made with `allow_promotion_codes`). A code that ended
        or ran out since the session was made answers 400 and leaves the session open.
        """
        result: dict[str, Any] = self.control(
            "POST", f"sessions/{session_id}/pay", body, expect=expect
        )
        return result

    def expire(self, session_id: str) -> dict[str, Any]:
        """Expire a session as Stripe's timer would."""
        result: dict[str, Any] = self.control("POST", f"sessions/{session_id}/expire")
        return result

    def fault(
        self,
        path: str,
        mode: str = "error_500",
        *,
        method: str = "POST",
        count: int = 1,
        seconds: float = 5,
        stage: str = "before",
    ) -> None:
        """Make the next `count` matching API requests fail."""
        body = {
            "path": path,
            "mode": mode,
            "method": method,
            "count": count,
            "seconds": seconds,
            "stage": stage,
        }
        self.control("POST", "faults", body)


@dataclass
class Received:
    """One webhook delivery as it arrived."""

    body: bytes
    headers: dict[str, str]
    status: int

    @property
    def signature(self) -> str:
        return self.headers.get("Stripe-Signature", "")

    def event(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


class WebhookReceiver:
    """A server that records webhook deliveries and answers 200 or chosen failures."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._answers: list[int] = []
        self._cond = threading.Condition()
        self._server = ServerThread(self._app)
        self.url = f"{self._server.url}/stripe/webhook"

    def _app(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        with self._cond:
            status = self._answers.pop(0) if self._answers else 200
            self.received.append(Received(body, dict(request.headers), status))
            self._cond.notify_all()
        return Response("", status=status)(environ, start_response)

    def fail_next(self, *statuses: int) -> None:
        """Answer the next deliveries with these statuses (then 200 again)."""
        with self._cond:
            self._answers.extend(statuses)

    def wait_for(self, count: int, timeout: float = 5) -> list[Received]:
        """Wait until at least `count` deliveries arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"got {len(self.received)} deliveries, wanted {count}"
                self._cond.wait(left)
            return list(self.received)

    def events(self) -> list[dict[str, Any]]:
        """Return the events received, parsed, in arrival order."""
        with self._cond:
            return [r.event() for r in self.received]

    def types(self) -> list[str]:
        return [str(e["type"]) for e in self.events()]

    def stop(self) -> None:
        self._server.stop()


@pytest.fixture(scope="session")
def stripe_sandbox_server() -> Iterator[StripeSandbox]:
    """One sandbox server for the whole test session (use `stripe_sandbox`, which resets it)."""
    stripe.enable_telemetry = False
    sandbox = StripeSandbox()
    yield sandbox
    sandbox.close()


@pytest.fixture
def stripe_sandbox(stripe_sandbox_server: StripeSandbox) -> Iterator[StripeSandbox]:
    """The sandbox, emptied for this test: no objects, events, faults or webhook URL."""
    stripe.enable_telemetry = False
    stripe_sandbox_server.reset()
    yield stripe_sandbox_server
    stripe_sandbox_server.close_clients()
    stripe_sandbox_server.reset()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A webhook endpoint on 127.0.0.1 that records every delivery."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def stripe_client(stripe_sandbox: StripeSandbox) -> stripe.StripeClient:
    """A StripeClient pointed at the sandbox (one attempt per call, 10 s timeout)."""
    return stripe_sandbox.client()
