"""`create_sandbox_app(settings)`: a small Flask app that serves the Stripe sandbox.

It is separate from the shop's app: the API under `/v1`, the pay page under `/pay`, the
control API under `/_sandbox`. State lives in memory in a `Sandbox` kept in
`app.extensions["stripe_sandbox"]`; call `close_sandbox(app)` when done, to stop its
webhook thread. Run it with `python -m stripe_sandbox`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from . import api, control, paypage
from .core import API_VERSION, Sandbox, SandboxSettings, default_shared_dir

__all__ = [
    "API_VERSION",
    "SandboxSettings",
    "close_sandbox",
    "create_sandbox_app",
    "default_shared_dir",
    "get_sandbox",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"


def create_sandbox_app(settings: SandboxSettings) -> Flask:
    """Build the sandbox app for these settings."""
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=None)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    sandbox = Sandbox(settings)
    app.extensions["stripe_sandbox"] = sandbox
    app.register_blueprint(api.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(paypage.bp)

    @app.get("/")
    def index() -> dict[str, Any]:
        """Say what this server is and where its parts are."""
        return {
            "name": "Stripe sandbox",
            "api": f"{settings.public_url}/v1",
            "validates_against_spec": sandbox.validates,
            "webhooks": sandbox.webhooks.settings(),
            "control": f"{settings.public_url}/_sandbox/",
        }

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        """Answer unknown URLs and methods in Stripe's JSON error shape."""
        code = exc.code or 500
        message = (
            f"Unrecognized request URL ({request.method}: {request.path})."
            if code in (404, 405)
            else exc.description or "Error"
        )
        body = {"error": {"type": "invalid_request_error", "message": message}}
        return jsonify(body), 404 if code == 405 else code

    return app


def get_sandbox(app: Flask) -> Sandbox:
    """Return the sandbox an app serves."""
    sandbox: Sandbox = app.extensions["stripe_sandbox"]
    return sandbox


def close_sandbox(app: Flask) -> None:
    """Stop the app's webhook worker thread."""
    get_sandbox(app).close()
