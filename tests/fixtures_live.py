"""The shop as a real HTTP server on 127.0.0.1, for tests that need real connections
(Stripe's webhooks posting back, concurrent buyers, the browser)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


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
