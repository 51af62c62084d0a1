"""Check parameters against Stripe's OpenAPI spec, the way the API does.

`Spec.coerce_request` turns the decoded form strings into the types the request schema
names (integers, booleans, lists, maps) and raises `ParamError` with Stripe's messages for
unknown, missing or badly typed parameters. Objects with `properties` and no
`additionalProperties` are closed: Stripe rejects unknown nested keys too. Without the spec
file, `BASIC_REQUESTS` gives open schemas for just the fields the sandbox reads, so types
are still checked but unknown parameters pass. `Spec.validate_object` checks a response
object against `components.schemas` (OpenAPI 3.0 `nullable`, `$ref`, `anyOf`), for tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import ParamError
from .formdata import as_list, is_list_shaped, param_path

SPEC_FILE = "spec3.checkout-subset.json"
FORM = "application/x-www-form-urlencoded"
Schema = dict[str, Any]
_UNSET = object()


class Spec:
    """Request schemas per operation and component schemas, from a spec or built in."""

    def __init__(self, document: dict[str, Any] | None) -> None:
        self.document = document
        self.from_file = document is not None

    @classmethod
    def load(cls, shared_dir: Path | None) -> Spec:
        """Read the spec from `shared_dir`, or fall back to the basic built-in checks."""
        if shared_dir is not None and (shared_dir / SPEC_FILE).is_file():
            return cls(json.loads((shared_dir / SPEC_FILE).read_text(encoding="utf-8")))
        return cls(None)

    def request_schema(self, method: str, template: str) -> Schema:
        """Return one object schema for an operation's query or form parameters."""
        if self.document is None:
            return BASIC_REQUESTS.get((method, template), _OPEN)
        operation = self.document["paths"][template][method.lower()]
        if method == "GET":
            props = {
                p["name"]: p["schema"]
                for p in operation.get("parameters", [])
                if p.get("in") == "query"
            }
            return {"type": "object", "properties": props, "additionalProperties": False}
        body = operation.get("requestBody", {}).get("content", {}).get(FORM, {})
        schema: Schema = body.get("schema", {"type": "object", "properties": {}})
        return schema

    def coerce_request(self, method: str, template: str, params: dict[str, Any]) -> dict[str, Any]:
        """Return the parameters typed by the schema, or raise ParamError as Stripe does."""
        result = coerce(params, self.request_schema(method, template), "")
        return {} if result is _UNSET else dict(result)

    def component(self, name: str) -> Schema:
        """Return `components.schemas[name]` (only with the spec file)."""
        if self.document is None:
            raise LookupError("no spec file loaded")
        schema: Schema = self.document["components"]["schemas"][name]
        return schema

    def validate_object(self, name: str, value: Any) -> list[str]:
        """Return what is wrong with a response object against its component schema."""
        return validate(value, self.component(name), "", self.document or {})


def coerce(value: Any, schema: Schema, path: str) -> Any:
    """Return `value` typed by a request schema, `_UNSET` for "" on a non-string, or raise."""
    if "anyOf" in schema:
        return _coerce_any_of(value, schema["anyOf"], path)
    kind = schema.get("type")
    if value == "" and kind not in ("string", None):
        return _UNSET  # Stripe reads an empty value as "not set"
    if kind == "object":
        return _coerce_object(value, schema, path)
    if kind == "array":
        return _coerce_array(value, schema, path)
    if isinstance(value, dict):
        raise ParamError(f"Invalid {_scalar_name(kind)}: {path} must be a {kind}", param=path)
    if kind == "integer":
        return _parse_integer(value, path)
    if kind == "number":
        try:
            return float(value)
        except ValueError:
            raise ParamError(f"Invalid decimal: {value}", param=path) from None
    if kind == "boolean":
        if value not in ("true", "false"):
            raise ParamError(f"Invalid boolean: {value}", param=path)
        return value == "true"
    return _coerce_string(str(value), schema, path)


def _scalar_name(kind: Any) -> str:
    return {"integer": "integer", "boolean": "boolean", "number": "decimal"}.get(kind, "string")


def _parse_integer(value: str, path: str) -> int:
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isdigit():
        raise ParamError(f"Invalid integer: {value}", param=path)
    return int(text)


def _coerce_string(value: str, schema: Schema, path: str) -> str:
    enum = schema.get("enum")
    if enum and value not in enum and not schema.get("x-stripeBypassValidation"):
        choices = [str(e) for e in enum if e != ""] or [""]
        listed = (
            choices[0] if len(choices) == 1 else ", ".join(choices[:-1]) + f", or {choices[-1]}"
        )
        raise ParamError(f"Invalid {path}: must be one of {listed}", param=path)
    limit = schema.get("maxLength")
    if limit is not None and len(value) > limit:
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise ParamError(f"Invalid string: {shown}; must be at most {limit} characters", param=path)
    return value


def _coerce_object(value: Any, schema: Schema, path: str) -> Any:
    if not isinstance(value, dict):
        raise ParamError(f"Invalid hash: {path}", param=path)
    props: dict[str, Schema] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    open_object = extra is True or (extra is None and not props)
    result: dict[str, Any] = {}
    for key, item in value.items():
        sub_path = param_path(path, key)
        if key in props:
            sub_schema = props[key]
        elif isinstance(extra, dict):
            sub_schema = extra
        elif open_object:
            result[key] = item
            continue
        else:
            raise ParamError(f"Received unknown parameter: {sub_path}", param=sub_path)
        coerced = coerce(item, sub_schema, sub_path)
        if coerced is not _UNSET:
            result[key] = coerced
    for key in schema.get("required", []):
        if key not in result:
            sub_path = param_path(path, key)
            raise ParamError(f"Missing required param: {sub_path}.", param=sub_path)
    return result


def _coerce_array(value: Any, schema: Schema, path: str) -> list[Any]:
    if isinstance(value, dict) and is_list_shaped(value):
        items = as_list(value)
    elif isinstance(value, list):
        items = value
    else:
        raise ParamError(f"Invalid array: {path}", param=path)
    item_schema: Schema = schema.get("items", {})
    result = []
    for index, item in enumerate(items):
        coerced = coerce(item, item_schema, param_path(path, index))
        if coerced is not _UNSET:
            result.append(coerced)
    return result


def _coerce_any_of(value: Any, branches: list[Schema], path: str) -> Any:
    structured = isinstance(value, dict)

    def fits(branch: Schema) -> bool:
        return (branch.get("type") in ("object", "array")) == structured

    ordered = [b for b in branches if fits(b)] + [b for b in branches if not fits(b)]
    first: ParamError | None = None
    for branch in ordered:
        try:
            return coerce(value, branch, path)
        except ParamError as exc:
            first = first or exc
    assert first is not None
    raise first


def validate(value: Any, schema: Schema, path: str, document: dict[str, Any]) -> list[str]:
    """Return the mismatches of a JSON value against an OpenAPI 3.0 response schema."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return validate(value, document["components"]["schemas"][name], path, document)
    where = path or "(root)"
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null is not allowed"]
    if "anyOf" in schema:
        attempts = [validate(value, b, path, document) for b in schema["anyOf"]]
        # None fits: report the branch that came closest (usually the only object one).
        return [] if any(not a for a in attempts) else min(attempts, key=len)
    kind = schema.get("type")
    checks = {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
    }
    if kind is not None and not checks.get(kind, True):
        return [f"{where}: expected {kind}, got {type(value).__name__} {value!r:.60}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} is not one of {schema['enum']}"]
    errors: list[str] = []
    if isinstance(value, dict):
        props: dict[str, Schema] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        errors += [
            f"{param_path(path, k)}: required" for k in schema.get("required", []) if k not in value
        ]
        for key, item in value.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                errors += validate(item, sub, param_path(path, key), document)
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += validate(item, schema["items"], param_path(path, index), document)
    return errors


_OPEN: Schema = {"type": "object", "additionalProperties": True}
_TEXT: Schema = {"type": "string"}
_INT: Schema = {"type": "integer"}
_MAP: Schema = {"type": "object", "additionalProperties": _TEXT}
_EXPAND: Schema = {"type": "array", "items": _TEXT}
_BOOL: Schema = {"type": "boolean"}


def _open(**props: Schema) -> Schema:
    return {"type": "object", "properties": props, "additionalProperties": True}


# Without the spec: types and enums of what the sandbox reads; anything else passes.
BASIC_REQUESTS: dict[tuple[str, str], Schema] = {
    ("POST", "/v1/checkout/sessions"): _open(
        mode={"type": "string", "enum": ["payment", "setup", "subscription"]},
        expires_at=_INT,
        metadata=_MAP,
        client_reference_id={"type": "string", "maxLength": 200},
        expand=_EXPAND,
        payment_method_types=_EXPAND,
        payment_intent_data=_open(metadata=_MAP),
        shipping_address_collection=_open(allowed_countries=_EXPAND),
        allow_promotion_codes=_BOOL,
        automatic_tax=_open(enabled=_BOOL),
        discounts={"type": "array", "items": _open()},
        line_items={
            "type": "array",
            "items": _open(
                quantity=_INT,
                price_data=_open(unit_amount=_INT, product_data=_open(metadata=_MAP)),
            ),
        },
        shipping_options={
            "type": "array",
            "items": _open(shipping_rate_data=_open(fixed_amount=_open(amount=_INT))),
        },
    ),
    ("POST", "/v1/refunds"): _open(
        amount=_INT,
        metadata=_MAP,
        expand=_EXPAND,
        reason={"type": "string", "enum": ["duplicate", "fraudulent", "requested_by_customer"]},
    ),
    ("POST", "/v1/coupons"): _open(
        amount_off=_INT,
        percent_off={"type": "number"},
        max_redemptions=_INT,
        redeem_by=_INT,
        metadata=_MAP,
        expand=_EXPAND,
    ),
    ("POST", "/v1/promotion_codes"): _open(
        active=_BOOL,
        max_redemptions=_INT,
        expires_at=_INT,
        metadata=_MAP,
        expand=_EXPAND,
        restrictions=_open(minimum_amount=_INT, first_time_transaction=_BOOL),
    ),
    ("POST", "/v1/promotion_codes/{promotion_code}"): _open(
        active=_BOOL, metadata=_MAP, expand=_EXPAND
    ),
    ("GET", "/v1/promotion_codes"): _open(active=_BOOL, expand=_EXPAND, limit=_INT),
    ("GET", "/v1/coupons"): _open(expand=_EXPAND, limit=_INT),
    ("GET", "/v1/checkout/sessions"): _open(expand=_EXPAND, limit=_INT),
    ("GET", "/v1/checkout/sessions/{session}/line_items"): _open(expand=_EXPAND, limit=_INT),
}
for _template in (
    "/v1/checkout/sessions/{session}",
    "/v1/payment_intents/{intent}",
    "/v1/refunds/{refund}",
    "/v1/events/{id}",
    "/v1/coupons/{coupon}",
    "/v1/promotion_codes/{promotion_code}",
):
    BASIC_REQUESTS[("GET", _template)] = _open(expand=_EXPAND)
BASIC_REQUESTS[("POST", "/v1/checkout/sessions/{session}/expire")] = _open(expand=_EXPAND)
