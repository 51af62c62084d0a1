"""`PYTHONPATH=. python scripts/devserver.py`: what `make run` serves.

The shop on http://127.0.0.1:5000 and, when no `STRIPE_SECRET_KEY` is set, the local
Stripe sandbox on http://127.0.0.1:12111 in the same process, wired together: the shop's
`STRIPE_API_BASE` points at the sandbox and the sandbox posts its signed webhooks back to
the shop. A small background loop does what cron does in production: settles expired
checkouts and sends queued mail. Ctrl+C stops everything.

It lives outside `shop/` because it is the one place that runs the shop and the sandbox
together: neither package imports the other. Both are imported from the repository root
(`PYTHONPATH=.`); the sandbox is not part of the shop's wheel.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading

from werkzeug.serving import make_server, run_simple

from shop import create_app

# Under "shop", whose handler create_app() sets up, so these warnings show beside the shop's.
logger = logging.getLogger("shop.devserver")
HOUSEKEEPING_SECONDS = 60


def _start_sandbox(host: str, port: int, sandbox_port: int) -> None:
    from stripe_sandbox.app import create_sandbox_app
    from stripe_sandbox.core import SandboxSettings

    secret = "whsec_" + secrets.token_hex(16)
    os.environ.update(
        STRIPE_SECRET_KEY="sk_test_local_sandbox",  # noqa: S106 - the sandbox takes any test key
        STRIPE_API_BASE=f"http://127.0.0.1:{sandbox_port}",
        STRIPE_WEBHOOK_SECRET=secret,
        STRIPE_SANDBOX_BANNER="1",
    )
    # The sandbox computes sales tax from the address typed on its page (stripe_sandbox/tax.py),
    # so a newcomer sees it; SHOP_AUTOMATIC_TAX=0 turns it off.
    os.environ.setdefault("SHOP_AUTOMATIC_TAX", "1")
    sandbox = create_sandbox_app(
        SandboxSettings(
            public_url=f"http://127.0.0.1:{sandbox_port}",
            webhook_url=f"http://{host}:{port}/stripe/webhook",
            webhook_secret=secret,
        )
    )
    server = make_server("127.0.0.1", sandbox_port, sandbox, threaded=True)
    threading.Thread(target=server.serve_forever, name="stripe-sandbox", daemon=True).start()
    print(
        f" * No STRIPE_SECRET_KEY: payments go to the local Stripe sandbox on "
        f"http://127.0.0.1:{sandbox_port}\n"
        "   Card 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined.\n"
        "   Sales tax is on: a US state or Canadian province on its page shows the tax.",
        flush=True,
    )


def _sync_promotions(app: object) -> None:
    """Make the demo's promotion codes at Stripe (the sandbox starts empty every time)."""
    from shop.extensions import db
    from shop.promotions.services import PromotionError, sync_promotions

    with app.app_context():  # type: ignore[attr-defined]
        try:
            made = sync_promotions()
            db.session.commit()
        except PromotionError as exc:
            db.session.commit()  # keep those Stripe made before it stopped
            logger.warning("promotion codes not made at Stripe: %s", exc.message)
            return
        except Exception:
            # A database without the promotions table yet (run `flask db upgrade`).
            db.session.rollback()
            logger.exception("promotion codes not made at Stripe")
            return
    if made:
        print(f" * Made {made} promotion code(s) at Stripe (e.g. WELCOME10)", flush=True)


def _housekeeping(app: object, stop: threading.Event) -> None:
    from shop.mail.services import run_mail_producers, send_pending
    from shop.payments.settle import release_expired_orders

    while not stop.wait(HOUSEKEEPING_SECONDS):
        try:
            with app.app_context():  # type: ignore[attr-defined]
                release_expired_orders()
                run_mail_producers()
                send_pending()
        except Exception:
            logger.exception("housekeeping failed; trying again in a minute")


def main() -> None:
    """Serve the shop (and the sandbox when there are no Stripe keys) until interrupted."""
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    # Stripe sends the customer back to this address: on another port, there, not to :5000.
    os.environ.setdefault("SHOP_BASE_URL", f"http://{host}:{port}")
    if not os.environ.get("STRIPE_SECRET_KEY"):
        _start_sandbox(host, port, int(os.environ.get("SANDBOX_PORT", "12111")))
    app = create_app()
    _sync_promotions(app)
    stop = threading.Event()
    threading.Thread(target=_housekeeping, args=(app, stop), daemon=True).start()
    print(f" * The shop is at http://{host}:{port}/", flush=True)
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        stop.set()


if __name__ == "__main__":
    main()
