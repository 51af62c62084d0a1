"""Deliver events to the webhook URL from a background thread, signed as Stripe signs them.

The header is `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">`, computed
over the exact bytes sent. One worker thread takes jobs from a queue ordered by due time;
it never holds the sandbox's state lock while it talks HTTP, so a receiver that calls back
into the API (to retrieve the session, say) cannot deadlock it. A failed attempt (non-2xx,
redirect, connection error) is retried after each of `retry_delays` in turn.

Modes: `immediate` sends each event at once; `hold` keeps events until `flush()` (in the
order sent or reversed, any number of times); `duplicate` sends each event twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import hmac
import itertools
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

MODES = ("immediate", "hold", "duplicate")
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """Return the `Stripe-Signature` header value for `payload`."""
    ts = int(time.time()) if timestamp is None else timestamp
    signed = f"{ts}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Stripe counts a redirect as a failed delivery; so does the sandbox."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


@dataclass
class Attempt:
    """One try at delivering an event."""

    at: float
    url: str
    status: int | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "url": self.url,
            "status": self.status,
            "error": self.error,
            "seconds": round(self.seconds, 4),
            "ok": self.ok,
        }


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    event_id: str = field(compare=False)
    payload: bytes = field(compare=False)
    retry: int = field(compare=False, default=0)
    generation: int = field(compare=False, default=0)


class Dispatcher:
    """The webhook queue, its worker thread and the record of every attempt."""

    def __init__(
        self,
        url: str | None,
        secret: str,
        *,
        mode: str = "immediate",
        retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0),
        timeout: float = 5.0,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"webhook mode must be one of {', '.join(MODES)}")
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._defaults = (url, secret, mode, retry_delays)
        self.timeout = timeout
        self._generation = 0
        self._closed = False
        self.reset()
        self._thread = threading.Thread(
            target=self._run, name="stripe-sandbox-webhooks", daemon=True
        )
        self._thread.start()

    def reset(self) -> None:
        """Drop queued and held events and attempts; restore the starting settings."""
        with self._cond:
            self.url, self.secret, self.mode, self.retry_delays = self._defaults
            self.enabled_events: list[str] = ["*"]
            self._queue: list[_Job] = []
            self._held: list[tuple[str, bytes]] = []
            self._attempts: dict[str, list[Attempt]] = {}
            self._in_flight = 0
            self._generation += 1
            self._cond.notify_all()

    def configure(self, **changes: Any) -> None:
        """Change url, secret, mode, enabled_events or retry_delays."""
        with self._cond:
            if "mode" in changes and changes["mode"] not in MODES:
                raise ValueError(f"mode must be one of {', '.join(MODES)}")
            for key, value in changes.items():
                setattr(self, key, value)

    def settings(self) -> dict[str, Any]:
        """Return the current settings and queue sizes."""
        with self._cond:
            return {
                "url": self.url,
                "mode": self.mode,
                "enabled_events": list(self.enabled_events),
                "retry_delays": list(self.retry_delays),
                "queued": len(self._queue) + self._in_flight,
                "held": len(self._held),
            }

    def wants(self, event_type: str) -> bool:
        """Return whether an event of this type would be sent to the endpoint."""
        with self._cond:
            return self.url is not None and any(
                fnmatchcase(event_type, pattern) for pattern in self.enabled_events
            )

    def submit(self, event_id: str, payload: bytes) -> None:
        """Send, hold or double a new event according to the mode."""
        with self._cond:
            if self.mode == "hold":
                self._held.append((event_id, payload))
                return
            copies = 2 if self.mode == "duplicate" else 1
            for _ in range(copies):
                self._push(event_id, payload)

    def deliver_now(self, event_id: str, payload: bytes) -> None:
        """Queue one more delivery of an event, whatever the mode (a late redelivery)."""
        with self._cond:
            self._push(event_id, payload)

    def flush(self, order: str = "sent", times: int = 1) -> int:
        """Queue the held events (`order` "sent" or "reverse"), each `times` times."""
        with self._cond:
            held, self._held = self._held, []
            if order == "reverse":
                held.reverse()
            for _ in range(times):
                for event_id, payload in held:
                    self._push(event_id, payload)
            return len(held) * times

    def _push(self, event_id: str, payload: bytes, retry: int = 0, delay: float = 0.0) -> None:
        job = _Job(
            time.monotonic() + delay, next(self._seq), event_id, payload, retry, self._generation
        )
        heapq.heappush(self._queue, job)
        self._cond.notify_all()

    def attempts(self, event_id: str) -> list[dict[str, Any]]:
        """Return the delivery attempts of one event."""
        with self._cond:
            return [a.as_dict() for a in self._attempts.get(event_id, [])]

    def delivered(self, event_id: str) -> bool:
        """Return whether some attempt for the event got a 2xx answer."""
        with self._cond:
            return any(a.ok for a in self._attempts.get(event_id, []))

    def is_held(self, event_id: str) -> bool:
        with self._cond:
            return any(held_id == event_id for held_id, _ in self._held)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued, retrying or in flight; return False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._in_flight, timeout)

    def close(self) -> None:
        """Stop the worker thread (after the attempt in progress, if any)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=self.timeout + 1)

    def _next_job(self) -> tuple[_Job, str, str] | None:
        with self._cond:
            while True:
                if self._closed:
                    return None
                if self._queue:
                    wait = self._queue[0].due - time.monotonic()
                    if wait <= 0:
                        job = heapq.heappop(self._queue)
                        if job.generation != self._generation or self.url is None:
                            continue
                        self._in_flight += 1
                        return job, self.url, self.secret
                    self._cond.wait(wait)
                else:
                    self._cond.wait()

    def _run(self) -> None:
        while (taken := self._next_job()) is not None:
            job, url, secret = taken
            attempt = self._post(url, secret, job.payload)
            with self._cond:
                self._in_flight -= 1
                if job.generation == self._generation:
                    self._attempts.setdefault(job.event_id, []).append(attempt)
                    if not attempt.ok and job.retry < len(self.retry_delays):
                        delay = self.retry_delays[job.retry]
                        self._push(job.event_id, job.payload, job.retry + 1, delay)
                self._cond.notify_all()

    def _post(self, url: str, secret: str, payload: bytes) -> Attempt:
        started = time.monotonic()
        request = urllib.request.Request(  # noqa: S310 - the URL is the configured endpoint
            url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": USER_AGENT,
                "Stripe-Signature": sign(payload, secret),
            },
        )
        status: int | None = None
        error: str | None = None
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            with contextlib.closing(exc):
                status = exc.code
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        return Attempt(time.time(), url, status, error, time.monotonic() - started)
