"""Serve the Stripe sandbox: `python -m stripe_sandbox --port 12111 --webhook-url ...`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import close_sandbox, create_sandbox_app, get_sandbox
from .core import SandboxSettings, default_shared_dir
from .webhooks import MODES


class QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request (`--quiet`)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m stripe_sandbox", description="A local Stripe-compatible server."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111, help="0 picks a free port")
    parser.add_argument("--public-url", help="base URL of pay page links (default: host/port)")
    parser.add_argument("--webhook-url", help="where events are POSTed (default: nowhere)")
    parser.add_argument("--webhook-secret", default="whsec_sandbox")
    parser.add_argument("--webhook-mode", choices=MODES, default="immediate")
    parser.add_argument(
        "--shared-dir",
        type=Path,
        default=default_shared_dir(),
        help="folder with spec3.checkout-subset.json and fixtures3.json",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; return the exit status."""
    args = parse_args(argv)
    settings = SandboxSettings(
        public_url=args.public_url or "",
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        shared_dir=args.shared_dir,
        webhook_mode=args.webhook_mode,
    )
    app = create_sandbox_app(settings)
    sandbox = get_sandbox(app)
    handler = QuietRequestHandler if args.quiet else WSGIRequestHandler
    try:
        server = make_server(args.host, args.port, app, threaded=True, request_handler=handler)
    except OSError as exc:
        close_sandbox(app)
        print(f"Stripe sandbox cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    url = f"http://{args.host}:{server.port}"
    if not args.public_url:
        sandbox.set_public_url(url)
    checks = (
        f"validating requests against the spec in {settings.shared_dir}"
        if sandbox.validates
        else "no spec found: basic parameter checks only, skeleton objects"
    )
    hooks = f"webhooks to {settings.webhook_url}" if settings.webhook_url else "no webhook URL"
    print(f"Stripe sandbox listening on {url} ({checks}; {hooks})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        close_sandbox(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
