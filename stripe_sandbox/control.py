"""The control API for tests and demos, under `/_sandbox/` (JSON in and out, no auth).

It plays the customer (pay, delayed outcomes), Stripe's timers (expire, clock), Stripe's
troubles (faults, held, reordered or doubled webhooks) and shows what the sandbox got
(requests) and sent (events with their delivery attempts). See the module's routes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from . import checkout, payments
from .api import get_sandbox
from .errors import StripeError
from .state import Address, Card, Customer, Fault, Origin
from .webhooks import MODES

bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")
FAULT_MODES = ("error_500", "timeout", "reset")
View = Callable[..., Any]


def control(view: View) -> Callable[..., Response | tuple[Response, int]]:
    """Answer a StripeError (or a bad body) from a control view as JSON."""

    @functools.wraps(view)
    def wrapper(**kwargs: Any) -> Response | tuple[Response, int]:
        try:
            result = view(**kwargs)
        except StripeError as exc:
            return jsonify(exc.body()), exc.status
        if isinstance(result, tuple):
            return jsonify(result[0]), result[1]
        return jsonify(result)

    return wrapper


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.data else {}
    if not isinstance(data, dict):
        raise StripeError("The body must be a JSON object.")
    return data


def _choice(data: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = data.get(key, default)
    if value not in allowed:
        raise StripeError(f"{key} must be one of {', '.join(allowed)}", param=key)
    return str(value)


def _number(data: dict[str, Any], key: str, default: float, *, minimum: float = 0) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise StripeError(f"{key} must be a number of at least {minimum}", param=key)
    return float(value)


@bp.post("/reset")
@control
def reset() -> dict[str, Any]:
    """Forget every object, event, request, fault and webhook setting."""
    get_sandbox().reset()
    return {"reset": True}


@bp.get("/requests")
@control
def requests_received() -> dict[str, Any]:
    """List the API requests received (filters: ?method=, ?path=)."""
    sb = get_sandbox()
    with sb.store.lock:
        data = list(sb.store.requests)
    for key in ("method", "path"):
        if key in request.args:
            data = [r for r in data if r[key] == request.args[key]]
    return {"data": data}


@bp.get("/events")
@control
def events() -> dict[str, Any]:
    """List events in the order made, with their delivery attempts (filter: ?type=)."""
    sb = get_sandbox()
    with sb.store.lock:
        found = list(sb.store.events.values())
    if "type" in request.args:
        found = [e for e in found if e.type == request.args["type"]]
    return {
        "data": [
            {
                "id": e.id,
                "type": e.type,
                "created": e.created,
                "object_id": e.body["data"]["object"].get("id"),
                "sent_to_endpoint": e.deliver,
                "held": sb.webhooks.is_held(e.id),
                "delivered": sb.webhooks.delivered(e.id),
                "attempts": sb.webhooks.attempts(e.id),
                "event": sb.event_body(e),
            }
            for e in found
        ]
    }


@bp.post("/events/<event_id>/deliver")
@control
def deliver_event(event_id: str) -> dict[str, Any]:
    """Send one event to the endpoint again now (a late or repeated delivery)."""
    sb = get_sandbox()
    event = sb.store.events.get(event_id)
    if event is None:
        raise StripeError(f"No such event: '{event_id}'", status=404)
    if sb.webhooks.settings()["url"] is None:
        raise StripeError("No webhook URL is set.", status=409)
    sb.webhooks.deliver_now(event.id, event.payload)
    return {"queued": 1}


@bp.route("/webhooks", methods=["GET", "POST"])
@control
def webhooks() -> dict[str, Any]:
    """Show or change the endpoint: url, secret, mode, enabled_events, retry_delays."""
    sb = get_sandbox()
    if request.method == "POST":
        data = _body()
        changes: dict[str, Any] = {}
        if "mode" in data:
            changes["mode"] = _choice(data, "mode", MODES, "immediate")
        if "url" in data:
            if data["url"] is not None and not isinstance(data["url"], str):
                raise StripeError("url must be a string or null", param="url")
            changes["url"] = data["url"]
        if "secret" in data:
            changes["secret"] = str(data["secret"])
        if "enabled_events" in data:
            changes["enabled_events"] = [str(e) for e in data["enabled_events"]]
        if "retry_delays" in data:
            changes["retry_delays"] = tuple(float(d) for d in data["retry_delays"])
        sb.webhooks.configure(**changes)
    return sb.webhooks.settings()


@bp.post("/webhooks/flush")
@control
def flush() -> dict[str, Any]:
    """Send the held events, in the order sent or reversed, `times` times each."""
    data = _body()
    order = _choice(data, "order", ("sent", "reverse"), "sent")
    times = int(_number(data, "times", 1, minimum=1))
    return {"queued": get_sandbox().webhooks.flush(order, times)}


@bp.post("/webhooks/wait")
@control
def wait() -> tuple[dict[str, Any], int]:
    """Return once no delivery is queued, retrying or in flight (504 after `timeout`)."""
    timeout = _number(_body(), "timeout", 5)
    sb = get_sandbox()
    idle = sb.webhooks.wait_idle(timeout)
    return {"idle": idle, **sb.webhooks.settings()}, 200 if idle else 504


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
@control
def faults() -> dict[str, Any]:
    """Add a fault for the next matching API requests, list them, or clear them."""
    sb = get_sandbox()
    with sb.store.lock:
        if request.method == "DELETE":
            sb.store.faults.clear()
        elif request.method == "POST":
            data = _body()
            sb.store.faults.append(
                Fault(
                    method=str(data.get("method", "*")).upper(),
                    path=str(data.get("path", "*")),
                    mode=_choice(data, "mode", FAULT_MODES, "error_500"),
                    count=int(_number(data, "count", 1, minimum=1)),
                    seconds=_number(data, "seconds", 5),
                    stage=_choice(data, "stage", ("before", "after"), "before"),
                )
            )
        return {"data": [vars(f) for f in sb.store.faults]}


@bp.get("/sessions/<session_id>")
@control
def show_session(session_id: str) -> dict[str, Any]:
    """Return a session with its line items and payment (not logged as an API request)."""
    sb = get_sandbox()
    with sb.store.lock:
        session = checkout.find_session(sb, session_id, "session_id")
        return sb.render.session(session, {"line_items", "payment_intent"})


@bp.post("/sessions/<session_id>/pay")
@control
def pay(session_id: str) -> dict[str, Any]:
    """Pay as the customer would: card (default 4242...), async, email, shipping_option,
    address (its country and state drive automatic tax), promotion_code (the code typed).
    """
    sb = get_sandbox()
    data = _body()
    with sb.store.lock:
        session = checkout.find_session(sb, session_id, "session_id")
        address = data.get("address") or {}
        if not isinstance(address, dict):
            raise StripeError("address must be an object", param="address")
        countries = session.allowed_countries or ["US"]
        customer = Customer(
            email=str(data.get("email") or session.customer_email or "customer@example.com"),
            name=str(data.get("name", "Sandbox Customer")),
            address=Address(
                line1=address.get("line1", "1 Test Street"),
                line2=address.get("line2"),
                city=address.get("city", "Springfield"),
                state=address.get("state"),
                postal_code=address.get("postal_code", "12345"),
                country=address.get("country", countries[0]),
            ),
            phone=data.get("phone"),
        )
        number = "".join(str(data.get("card", "4242424242424242")).split())
        card = Card(number, int(data.get("exp_month", 12)), int(data.get("exp_year", 2034)))
        payment = payments.Payment(
            customer=customer,
            card=card,
            shipping_choice=int(data.get("shipping_option", 0)),
            delayed=bool(data.get("async", False)),
            promotion_code=str(data["promotion_code"]) if data.get("promotion_code") else None,
        )
        paid = payments.pay(sb, session_id, payment)
        redirect = (paid.success_url or "").replace("{CHECKOUT_SESSION_ID}", paid.id)
        return {"session": sb.render.session(paid), "redirect": redirect}


@bp.post("/sessions/<session_id>/async")
@control
def settle(session_id: str) -> dict[str, Any]:
    """Finish a delayed payment: {"outcome": "succeeded" | "failed"}."""
    sb = get_sandbox()
    outcome = _choice(_body(), "outcome", ("succeeded", "failed"), "succeeded")
    with sb.store.lock:
        return sb.render.session(payments.settle_delayed(sb, session_id, outcome))


@bp.post("/sessions/<session_id>/expire")
@control
def expire(session_id: str) -> dict[str, Any]:
    """Expire an open session as Stripe's timer would."""
    sb = get_sandbox()
    with sb.store.lock:
        session = checkout.find_session(sb, session_id, "session_id")
        checkout.expire_session(sb, session, Origin())
        return sb.render.session(session)


@bp.post("/refunds/mode")
@control
def refund_mode() -> dict[str, Any]:
    """Choose the status new refunds get: {"status": "succeeded" | "pending"}."""
    sb = get_sandbox()
    status = _choice(_body(), "status", payments.REFUND_STATUSES, "succeeded")
    with sb.store.lock:
        sb.store.refund_status = status
    return {"status": status}


@bp.post("/refunds/<refund_id>/settle")
@control
def settle_refund(refund_id: str) -> dict[str, Any]:
    """Finish a pending refund: {"status": "succeeded" | "failed"}."""
    sb = get_sandbox()
    status = _choice(_body(), "status", ("succeeded", "failed"), "succeeded")
    with sb.store.lock:
        return sb.render.refund(payments.settle_refund(sb, refund_id, status))


@bp.post("/clock")
@control
def clock() -> dict[str, Any]:
    """Move the sandbox clock: {"advance": seconds}; sessions past expires_at then expire."""
    sb = get_sandbox()
    advance = _number(_body(), "advance", 0)
    with sb.store.lock:
        sb.store.clock_offset += advance
        expired = checkout.sweep_expired(sb)
        return {"now": sb.store.now(), "offset": sb.store.clock_offset, "expired": expired}
