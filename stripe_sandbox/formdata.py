"""Decode Stripe's form encoding (`a[b][0][c]=v`) into nested dicts of strings.

Lists arrive as dicts with digit keys ("0", "1", ...); the spec coercion turns them into
lists where the schema says array, and `listify` does so by shape for display.
`a[]=x` appends (the next free index), as Stripe accepts it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .errors import ParamError

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Return the nested parameters that the (key, value) pairs spell."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise ParamError(f"Invalid parameter name: {key}", param=key)
        parts = [match.group(1), *_SEGMENT.findall(match.group(2))]
        node = root
        for depth, part in enumerate(parts):
            name = str(len(node)) if part == "" else part
            last = depth == len(parts) - 1
            if last:
                if isinstance(node.get(name), dict):
                    raise ParamError(f"Invalid hash: {_display(parts[: depth + 1])}", param=key)
                node[name] = value
            else:
                child = node.setdefault(name, {})
                if not isinstance(child, dict):
                    raise ParamError(
                        f"Invalid hash: {_display(parts[: depth + 1])}",
                        param=_display(parts[: depth + 1]),
                    )
                node = child
    return root


def _display(parts: list[str]) -> str:
    return parts[0] + "".join(f"[{p}]" for p in parts[1:])


def param_path(parent: str, key: str | int) -> str:
    """Return the name Stripe uses for a nested parameter: `line_items[0][quantity]`."""
    return f"{parent}[{key}]" if parent else str(key)


def is_list_shaped(value: dict[str, Any]) -> bool:
    """Return whether a decoded dict has only digit keys (an encoded list)."""
    return bool(value) and all(k.isdigit() for k in value)


def as_list(value: dict[str, Any]) -> list[Any]:
    """Return the values of a digit-keyed dict in index order."""
    return [value[k] for k in sorted(value, key=int)]


def listify(value: Any) -> Any:
    """Turn digit-keyed dicts into lists throughout, for display and schema-less use."""
    if isinstance(value, dict):
        if is_list_shaped(value):
            return [listify(v) for v in as_list(value)]
        return {k: listify(v) for k, v in value.items()}
    return value


def check_metadata(metadata: Any, param: str) -> dict[str, str]:
    """Apply Stripe's metadata limits: 50 keys, keys up to 40 and values up to 500 chars."""
    if not metadata:
        return {}
    if not isinstance(metadata, dict):
        raise ParamError(f"Invalid hash: {param}", param=param)
    if len(metadata) > 50:
        raise ParamError(
            f"Invalid {param}: metadata can have at most 50 keys ({len(metadata)} given)",
            param=param,
        )
    for key, value in metadata.items():
        if len(key) > 40:
            raise ParamError(
                f"Metadata keys can be at most 40 characters long ({key[:40]}...)",
                param=f"{param}[{key}]",
            )
        if len(str(value)) > 500:
            raise ParamError(
                f"Metadata values can be at most 500 characters long ({key})",
                param=f"{param}[{key}]",
            )
    return {k: str(v) for k, v in metadata.items() if v != ""}
