"""The running sandbox: state, spec, object builder and webhook dispatcher, wired together."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fixtures import Obj, load_templates
from .objects import Renderer
from .payment_objects import event_object
from .spec import Spec
from .state import Event, Origin, Store, new_id
from .webhooks import Dispatcher

# What stripe-python 16.1.0 sends as Stripe-Version; events carry it as `api_version`.
API_VERSION = "2026-10-28.endive"


def default_shared_dir() -> Path | None:
    """Return `$STRIPE_SHARED_DIR`, else `../shared/stripe` next to the repository, if there."""
    configured = os.environ.get("STRIPE_SHARED_DIR")
    path = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2] / "shared" / "stripe"
    )
    return path if path.is_dir() else None


@dataclass
class SandboxSettings:
    """How a sandbox is reached and where it sends webhooks."""

    public_url: str = "http://127.0.0.1:12111"
    webhook_url: str | None = None
    webhook_secret: str = "whsec_sandbox"  # noqa: S105 - a test-mode signing secret
    shared_dir: Path | None = field(default_factory=default_shared_dir)
    webhook_mode: str = "immediate"
    webhook_retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0)
    webhook_timeout: float = 5.0
    api_version: str = API_VERSION


class Sandbox:
    """One sandbox's state and services; `close()` stops its webhook thread."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.store = Store()
        self.stopping = threading.Event()
        self.spec = Spec.load(settings.shared_dir)
        self.render = Renderer(self.store, load_templates(settings.shared_dir), settings.public_url)
        self.webhooks = Dispatcher(
            settings.webhook_url,
            settings.webhook_secret,
            mode=settings.webhook_mode,
            retry_delays=settings.webhook_retry_delays,
            timeout=settings.webhook_timeout,
        )

    def set_public_url(self, url: str) -> None:
        """Change the base of pay page links (when the port is known only after binding)."""
        self.settings.public_url = url
        self.render.public_url = url.rstrip("/")

    @property
    def validates(self) -> bool:
        """Whether requests are checked against the spec file (not just the basics)."""
        return self.spec.from_file

    def emit(
        self, type_: str, obj: Obj, origin: Origin | None = None, previous: Obj | None = None
    ) -> Event:
        """Record an event about `obj` and hand it to the webhook dispatcher."""
        origin = origin or Origin()
        with self.store.lock:
            deliver = self.webhooks.wants(type_)
            data: dict[str, Any] = {"object": obj}
            if previous is not None:
                data["previous_attributes"] = previous
            created = self.store.timestamp()
            event_id = new_id("evt_1")
            body = event_object(
                self.render,
                event_id,
                type_,
                created,
                data,
                api_version=self.settings.api_version,
                pending_webhooks=1 if deliver else 0,
                request_id=origin.request_id,
                idempotency_key=origin.idempotency_key,
            )
            payload = json.dumps(body, indent=2).encode()
            event = Event(event_id, type_, created, body, payload, deliver)
            self.store.events[event_id] = event
            if deliver:
                self.webhooks.submit(event_id, payload)
            return event

    def event_body(self, event: Event) -> Obj:
        """Return the event as the API shows it now (`pending_webhooks` drops once delivered)."""
        body = dict(event.body)
        body["pending_webhooks"] = int(event.deliver and not self.webhooks.delivered(event.id))
        return body

    def reset(self) -> None:
        """Forget everything and restore the starting webhook settings."""
        with self.store.lock:
            self.store.reset()
            self.webhooks.reset()

    def close(self) -> None:
        """Stop the webhook worker and cut short any request a `timeout` fault holds."""
        self.stopping.set()
        self.webhooks.close()
