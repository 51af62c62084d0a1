"""The Stripe API subset under `/v1`: auth, idempotency, fault injection and the request log.

Every request goes through `_handle`: check the key, decode the form or query, apply a
fault a test asked for, then (under the state lock, so a replay and the first request never
interleave) answer an idempotent replay or run the view, and log what came and went.
Only successful POSTs are remembered for replay, like Stripe, which keeps no result for a
request that failed validation.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request

from . import checkout, payments, promotions
from .core import Sandbox
from .errors import ParamError, StripeError, missing
from .formdata import decode_form, listify
from .state import Fault, Origin, Replay, new_id

bp = Blueprint("stripe_api", __name__, url_prefix="/v1")
View = Callable[..., dict[str, Any]]
# Requests whose newer shape (API 2025+) is rewritten to the 2023 spec's before it is checked.
PREPARE: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("POST", "/v1/promotion_codes"): promotions.normalise_promotion,
}
TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
IDEMPOTENCY_TTL = 24 * 60 * 60
MAX_LOGGED = 10_000  # a long `make run` keeps only the latest requests


def get_sandbox() -> Sandbox:
    """Return the sandbox of the current app."""
    sandbox: Sandbox = current_app.extensions["stripe_sandbox"]
    return sandbox


def _api_key() -> str:
    header = request.headers.get("Authorization", "")
    key = ""
    if header.startswith("Bearer "):
        key = header[len("Bearer ") :].strip()
    elif request.authorization is not None and request.authorization.username:
        key = request.authorization.username
    if not key:
        raise StripeError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth "
            "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            status=401,
            type="authentication_error",
        )
    if not key.startswith(TEST_KEY_PREFIXES):
        raise StripeError(
            f"Invalid API Key provided: {key[:8]}{'*' * 8}. The sandbox takes test keys only.",
            status=401,
            type="authentication_error",
            code="api_key_invalid",
        )
    return key


def _respond(status: int, body: dict[str, Any], headers: dict[str, str]) -> Response:
    response = Response(json.dumps(body, indent=2), status=status, mimetype="application/json")
    response.headers.update(headers)
    return response


def _apply_fault(sb: Sandbox, fault: Fault) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Fail the way a test asked: 500, a slow 500, or a dropped connection."""
    if fault.mode == "timeout":
        sb.stopping.wait(fault.seconds)
    elif fault.mode == "reset":
        conn = request.environ.get("werkzeug.socket")
        if isinstance(conn, socket.socket):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            return 0, {}, {}
        body = StripeError("The sandbox dropped this request.", status=503, type="api_error")
        return 503, body.body(), {"Stripe-Should-Retry": "false"}
    error = StripeError(
        "An unknown error occurred (a fault injected by the sandbox).", status=500, type="api_error"
    )
    return 500, error.body(), {}


def _handle(template: str | None, view: View | None, **path_args: str) -> Response:
    sb = get_sandbox()
    started = time.time()
    request_id = new_id("req_", 14)
    idem_key = request.headers.get("Idempotency-Key")
    version = request.headers.get("Stripe-Version")
    headers = {"Request-Id": request_id, "Stripe-Version": version or sb.settings.api_version}
    if idem_key and request.method == "POST":
        headers["Idempotency-Key"] = idem_key
    source = request.args if request.method in ("GET", "DELETE") else request.form
    pairs = list(source.items(multi=True))
    raw: dict[str, Any] = {}
    fault: Fault | None = None
    outcome = "ok"
    try:
        api_key = _api_key()
        raw = decode_form(pairs)
        if template is None or view is None:
            raise StripeError(
                f"Unrecognized request URL ({request.method}: {request.path}). Please see "
                "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                status=404,
            )
        fault = sb.store.take_fault(request.method, request.path)
        if fault is not None and fault.stage == "before":
            status, body, extra = _apply_fault(sb, fault)
            outcome = fault.mode
        else:
            status, body, extra = _run(sb, template, view, raw, api_key, request_id, path_args)
            if extra.get("Idempotent-Replayed"):
                outcome = "replayed"
            if fault is not None:
                status, body, extra = _apply_fault(sb, fault)
                outcome = f"{fault.mode} after handling"
    except StripeError as exc:
        status, body, extra = exc.status, exc.body(), {}
    headers.update(extra)
    with sb.store.lock:
        sb.store.requests.append(
            {
                "id": request_id,
                "time": started,
                "method": request.method,
                "path": request.path,
                "params": listify(raw),
                "idempotency_key": idem_key,
                "stripe_version": version,
                "status": status if status else None,
                "outcome": outcome if status else "reset",
                "error": body.get("error") if status >= 400 else None,
            }
        )
        del sb.store.requests[:-MAX_LOGGED]
    return _respond(status or 500, body, headers)


def _run(
    sb: Sandbox,
    template: str,
    view: View,
    raw: dict[str, Any],
    api_key: str,
    request_id: str,
    path_args: dict[str, str],
) -> tuple[int, dict[str, Any], dict[str, str]]:
    idem_key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
    if idem_key is not None and len(idem_key) > 255:
        raise ParamError("Invalid Idempotency-Key: length must be at most 255", param=None)
    fingerprint = (request.method, request.path, json.dumps(raw, sort_keys=True))
    with sb.store.lock:
        if idem_key is not None:
            slot = f"{api_key}:{idem_key}"
            replay = sb.store.idempotency.get(slot)
            if replay is not None and sb.store.now() - replay.created > IDEMPOTENCY_TTL:
                del sb.store.idempotency[slot]  # Stripe forgets keys after 24 hours
            elif replay is not None:
                return _replay(replay, fingerprint, idem_key)
        prepare = PREPARE.get((request.method, template))
        params = sb.spec.coerce_request(request.method, template, prepare(raw) if prepare else raw)
        origin = Origin(request_id, idem_key)
        body = view(sb, params, origin, **path_args)
        if idem_key is not None:
            sb.store.idempotency[slot] = Replay(fingerprint, 200, body, sb.store.now(), request_id)
        return 200, body, {}


def _replay(
    replay: Replay, fingerprint: tuple[str, str, str], key: str
) -> tuple[int, dict[str, Any], dict[str, str]]:
    method, path, _ = replay.fingerprint
    if (method, path) != fingerprint[:2]:
        raise StripeError(
            "Keys for idempotent requests can only be used for the same endpoint they were "
            f"first used for ('{method} {path}' vs '{fingerprint[0]} {fingerprint[1]}'). "
            f"Try using a key other than '{key}' if you meant to execute a different request.",
            type="idempotency_error",
        )
    if replay.fingerprint != fingerprint:
        raise StripeError(
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. Try using a key other than '{key}' if you meant to execute a "
            "different request.",
            type="idempotency_error",
        )
    headers = {"Idempotent-Replayed": "true", "Original-Request": replay.request_id}
    return replay.status, replay.body, headers


def route(rule: str, template: str, method: str) -> Callable[[View], View]:
    """Register a view for one API operation (`template` is the spec's path)."""

    def register(view: View) -> View:
        def endpoint(**path_args: str) -> Response:
            return _handle(template, view, **path_args)

        bp.add_url_rule(rule, view.__name__, endpoint, methods=[method])
        return view

    return register


@bp.route("/<path:rest>", methods=["GET", "POST", "DELETE", "PUT", "PATCH"])
def unknown(rest: str) -> Response:
    """Answer any other URL as Stripe does: 404 "Unrecognized request URL"."""
    return _handle(None, None)


def _limit(params: dict[str, Any]) -> int:
    limit = int(params.get("limit", 10))
    if not 1 <= limit <= 100:
        bound = "greater than or equal to 1" if limit < 1 else "less than or equal to 100"
        raise ParamError(f"This value must be {bound}.", param="limit")
    return limit


@route("/checkout/sessions", "/v1/checkout/sessions", "POST")
def create_session(sb: Sandbox, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    """Create a Checkout Session."""
    expand = sb.render.check_expand("checkout.session", params.get("expand", []))
    session = checkout.create_session(sb, params, origin)
    return sb.render.session(session, expand)


@route("/checkout/sessions", "/v1/checkout/sessions", "GET")
def list_sessions(sb: Sandbox, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    """List Checkout Sessions, newest first (filters: payment_intent, status)."""
    expand = {p.removeprefix("data.") for p in params.get("expand", [])}
    expand = sb.render.check_expand("checkout.session", sorted(expand))
    sessions = sorted(sb.store.sessions.values(), key=lambda s: s.created, reverse=True)
    for key in ("payment_intent", "status"):
        if key in params:
            attr = "payment_intent_id" if key == "payment_intent" else key
            sessions = [s for s in sessions if getattr(s, attr) == params[key]]
    if "starting_after" in params:
        ids = [s.id for s in sessions]
        after = params["starting_after"]
        sessions = sessions[ids.index(after) + 1 :] if after in ids else []
    limit = _limit(params)
    data = [sb.render.session(s, expand) for s in sessions[:limit]]
    return {
        "object": "list",
        "data": data,
        "has_more": len(sessions) > limit,
        "url": "/v1/checkout/sessions",
    }


@route("/checkout/sessions/<session>", "/v1/checkout/sessions/{session}", "GET")
def retrieve_session(
    sb: Sandbox, params: dict[str, Any], origin: Origin, session: str
) -> dict[str, Any]:
    """Retrieve a Checkout Session (expand: line_items, payment_intent)."""
    expand = sb.render.check_expand("checkout.session", params.get("expand", []))
    return sb.render.session(checkout.find_session(sb, session), expand)


@route(
    "/checkout/sessions/<session>/line_items",
    "/v1/checkout/sessions/{session}/line_items",
    "GET",
)
def session_line_items(
    sb: Sandbox, params: dict[str, Any], origin: Origin, session: str
) -> dict[str, Any]:
    """List a Checkout Session's line items."""
    found = checkout.find_session(sb, session)
    return sb.render.line_items(found, _limit(params), params.get("starting_after"))


@route("/checkout/sessions/<session>/expire", "/v1/checkout/sessions/{session}/expire", "POST")
def expire_session(
    sb: Sandbox, params: dict[str, Any], origin: Origin, session: str
) -> dict[str, Any]:
    """Expire an open Checkout Session."""
    expand = sb.render.check_expand("checkout.session", params.get("expand", []))
    found = checkout.find_session(sb, session)
    checkout.expire_session(sb, found, origin)
    return sb.render.session(found, expand)


@route("/payment_intents/<intent>", "/v1/payment_intents/{intent}", "GET")
def retrieve_payment_intent(
    sb: Sandbox, params: dict[str, Any], origin: Origin, intent: str
) -> dict[str, Any]:
    """Retrieve a PaymentIntent (expand: latest_charge)."""
    expand = sb.render.check_expand("payment_intent", params.get("expand", []))
    pi = sb.store.payment_intents.get(intent)
    if pi is None:
        raise missing("payment_intent", intent, "intent")
    return sb.render.payment_intent(pi, expand)


@route("/refunds", "/v1/refunds", "POST")
def create_refund(sb: Sandbox, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    """Refund a payment in full or in part."""
    expand = sb.render.check_expand("refund", params.get("expand", []))
    return sb.render.refund(payments.create_refund(sb, params, origin), expand)


@route("/refunds/<refund>", "/v1/refunds/{refund}", "GET")
def retrieve_refund(
    sb: Sandbox, params: dict[str, Any], origin: Origin, refund: str
) -> dict[str, Any]:
    """Retrieve a refund."""
    expand = sb.render.check_expand("refund", params.get("expand", []))
    found = sb.store.refunds.get(refund)
    if found is None:
        raise missing("refund", refund, "refund")
    return sb.render.refund(found, expand)


@route("/events/<id>", "/v1/events/{id}", "GET")
def retrieve_event(sb: Sandbox, params: dict[str, Any], origin: Origin, id: str) -> dict[str, Any]:
    """Retrieve an event."""
    sb.render.check_expand("event", params.get("expand", []))
    event = sb.store.events.get(id)
    if event is None:
        raise missing("event", id, "id")
    return sb.event_body(event)


def _page_of(
    params: dict[str, Any], objects: list[Any], url: str, render: Callable[[Any], Any]
) -> dict[str, Any]:
    """Return one page of a newest-first list (`limit`, `starting_after`)."""
    if "starting_after" in params:
        ids = [o.id for o in objects]
        after = params["starting_after"]
        objects = objects[ids.index(after) + 1 :] if after in ids else []
    limit = _limit(params)
    data = [render(o) for o in objects[:limit]]
    return {"object": "list", "data": data, "has_more": len(objects) > limit, "url": url}


@route("/coupons", "/v1/coupons", "POST")
def create_coupon(sb: Sandbox, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    """Create a coupon."""
    sb.render.check_expand("coupon", params.get("expand", []))
    return sb.render.coupon(promotions.create_coupon(sb, params))


@route("/coupons", "/v1/coupons", "GET")
def list_coupons(sb: Sandbox, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    """List coupons, newest first."""
    sb.render.check_expand("coupon", [p.removeprefix("data.") for p in params.get("expand", [])])
    with sb.store.lock:
        found = [c for c in sb.store.coupons.values() if not c.deleted]
    found.sort(key=lambda c: c.created, reverse=True)
    return _page_of(params, found, "/v1/coupons", sb.render.coupon)


@route("/coupons/<coupon>", "/v1/coupons/{coupon}", "GET")
def retrieve_coupon(
    sb: Sandbox, params: dict[str, Any], origin: Origin, coupon: str
) -> dict[str, Any]:
    """Retrieve a coupon."""
    sb.render.check_expand("coupon", params.get("expand", []))
    return sb.render.coupon(promotions.find_coupon(sb, coupon))


@route("/coupons/<coupon>", "/v1/coupons/{coupon}", "DELETE")
def delete_coupon(
    sb: Sandbox, params: dict[str, Any], origin: Origin, coupon: str
) -> dict[str, Any]:
    """Delete a coupon (codes for it stop working; discounts already given stay)."""
    deleted = promotions.delete_coupon(sb, coupon)
    return {"id": deleted.id, "object": "coupon", "deleted": True}


@route("/promotion_codes", "/v1/promotion_codes", "POST")
def create_promotion_code(sb: Sandbox, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    """Create a promotion code for a coupon."""
    sb.render.check_expand("promotion_code", params.get("expand", []))
    return sb.render.promotion_code(promotions.create_promotion_code(sb, params))


@route("/promotion_codes", "/v1/promotion_codes", "GET")
def list_promotion_codes(sb: Sandbox, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    """List promotion codes, newest first (filters: code, active, coupon)."""
    sb.render.check_expand(
        "promotion_code", [p.removeprefix("data.") for p in params.get("expand", [])]
    )
    with sb.store.lock:
        found = promotions.list_promotion_codes(sb, params)
    return _page_of(params, found, "/v1/promotion_codes", sb.render.promotion_code)


@route("/promotion_codes/<promotion_code>", "/v1/promotion_codes/{promotion_code}", "GET")
def retrieve_promotion_code(
    sb: Sandbox, params: dict[str, Any], origin: Origin, promotion_code: str
) -> dict[str, Any]:
    """Retrieve a promotion code."""
    sb.render.check_expand("promotion_code", params.get("expand", []))
    return sb.render.promotion_code(promotions.find_promotion_code(sb, promotion_code))


@route("/promotion_codes/<promotion_code>", "/v1/promotion_codes/{promotion_code}", "POST")
def update_promotion_code(
    sb: Sandbox, params: dict[str, Any], origin: Origin, promotion_code: str
) -> dict[str, Any]:
    """Update a promotion code's `active` and `metadata`."""
    sb.render.check_expand("promotion_code", params.get("expand", []))
    return sb.render.promotion_code(promotions.update_promotion_code(sb, promotion_code, params))
