"""Response headers that keep pages from being abused: CSP, framing, sniffing, HSTS.

The policy is built once per app from the settings it depends on. Pages load scripts,
styles, fonts and images from the shop itself only (no inline script or style; the JSON-LD
blocks are data, which browsers never run), images also from MEDIA_URL when media live in a
bucket or CDN, and forms may only be sent to the shop and on to Stripe Checkout (the
checkout form's answer is a redirect there, which `form-action` governs too). Nobody may
frame a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from flask import Flask, Response, current_app, request

STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
HSTS = "max-age=31536000; includeSubDomains"


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(config: Mapping[str, object]) -> str:
    """The Content-Security-Policy header for every page, from the settings."""
    media = _origin(str(config.get("MEDIA_URL") or ""))
    # The sandbox serves its payment page from the API's address; Stripe from checkout.
    checkout = _origin(str(config.get("STRIPE_API_BASE") or "")) or STRIPE_CHECKOUT_ORIGIN
    images = " ".join(filter(None, ["'self'", "data:", media]))
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": images,
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": f"'self' {checkout}",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(response: Response) -> Response:
    """`after_request` hook: the policy and the browser's safety switches on every answer.

    A response that set its own policy (uploaded media: a sandbox) keeps it.
    """
    headers = response.headers
    headers.setdefault("Content-Security-Policy", _policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    # Only over HTTPS (behind a proxy, SHOP_PROXY_COUNT makes request.is_secure true):
    # a browser ignores it on plain HTTP, and a development server must stay reachable.
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _policy() -> str:
    """This app's policy, built once per value of the settings it depends on."""
    config = current_app.config
    key = (config.get("MEDIA_URL"), config.get("STRIPE_API_BASE"))
    built: dict[tuple[object, object], str] = current_app.extensions["shop_csp"]
    policy = built.get(key)
    if policy is None:
        policy = built[key] = content_security_policy(config)
    return policy


def init_security(app: Flask) -> None:
    """Send the policy and the safety headers with every response."""
    app.extensions["shop_csp"] = {}
    app.after_request(security_headers)


def safe_next(target: str | None, inside: str = "/") -> str | None:
    """`target` when it is a path of this shop starting with `inside`, else None.

    A `next` parameter must never lead to another site: "//host", "/\\host", a scheme, a
    host, control characters (browsers drop tabs and newlines, then read what is left) and
    "%2e%2e" or "%2f" tricks (judged as the browser decodes them) are all refused.
    """
    if not target or len(target) > 2000 or "\\" in target:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or not path.startswith(inside) or path.startswith("//"):
        return None
    if "\\" in path or ".." in path.split("/"):
        return None
    return target
