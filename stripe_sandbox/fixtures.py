"""Stripe's example objects (`fixtures3.json`), the base every API object is built on."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from .state import Store

FIXTURES_FILE = "fixtures3.json"
RESOURCES = (
    "checkout.session",
    "item",
    "payment_intent",
    "charge",
    "refund",
    "event",
    "coupon",
    "promotion_code",
)
Obj = dict[str, Any]


def load_templates(shared_dir: Path | None) -> dict[str, Obj]:
    """Return the fixture of each resource, or empty skeletons without the shared dir."""
    if shared_dir is not None and (shared_dir / FIXTURES_FILE).is_file():
        data = json.loads((shared_dir / FIXTURES_FILE).read_text(encoding="utf-8"))
        return {name: data["resources"][name] for name in RESOURCES}
    return {name: {"object": name} for name in RESOURCES}


def page(data: list[Obj], url: str, has_more: bool = False) -> Obj:
    """Return a Stripe list object."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


class Templates:
    """The fixtures, plus what building objects from them needs: the state and public URL."""

    def __init__(self, store: Store, templates: dict[str, Obj], public_url: str) -> None:
        self.store = store
        self.templates = templates
        self.public_url = public_url.rstrip("/")
        self.from_file = any(len(t) > 1 for t in templates.values())

    def base(self, name: str, overlay: Obj) -> Obj:
        """Return a deep copy of the resource's fixture updated with `overlay`."""
        obj = copy.deepcopy(self.templates[name])
        obj.update(overlay)
        return obj

    def shape(self, name: str, key: str, overlay: Obj) -> Obj:
        """Return the fixture's nested object at `key` (if any) updated with `overlay`."""
        nested = self.templates[name].get(key)
        result = copy.deepcopy(nested) if isinstance(nested, dict) else {}
        result.update(overlay)
        return result
