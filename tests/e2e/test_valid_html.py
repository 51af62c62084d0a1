"""Valid HTML: the Nu HTML Checker (vnu) finds no error in the shop's main pages as served.

The browser walks the same pages as the accessibility tests; each page's HTML is fetched again
with the browser's cookies (the bytes the server sends, not the DOM after scripts) and all of
them are checked in one run of the checker, as the JVM is slow to start. Warnings are allowed
but listed in `test-artifacts/e2e/<test>/vnu-warnings.txt`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.conftest import skip_or_fail
from tests.e2e.conftest import DemoShop, Shots
from tests.e2e.test_accessibility import NOT_FOUND, admin_tour, buying_tour, storefront_tour

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _checker() -> list[str]:
    java = shutil.which("java")
    if java is None:
        skip_or_fail("The HTML checks need Java 17+ (apt install default-jre-headless)")
    if not VNU.exists():
        skip_or_fail(f"The HTML checks need {VNU} (npm ci)")
    return [str(java), "-jar", str(VNU)]


def _check(files: dict[Path, str]) -> list[dict[str, Any]]:
    """Run the checker once over every file; return its messages, each with its page's name."""
    command = [*_checker(), "--format", "json", "--stdout", "--exit-zero-always"]
    done = subprocess.run(  # noqa: S603  (our own fixed command line)
        [*command, *map(str, files)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"vnu failed: {done.stderr or done.stdout}"
    messages: list[dict[str, Any]] = json.loads(done.stdout)["messages"]
    by_path = {path.resolve(): name for path, name in files.items()}
    for message in messages:
        url = message.get("url", "")
        checked = Path(unquote(urlsplit(url).path)).resolve()
        message["page"] = by_path.get(checked, url)
    return messages


def _line(message: dict[str, Any]) -> str:
    extract = re.sub(r"\s+", " ", message.get("extract", "")).strip()
    where = f"{message['page']}: line {message.get('lastLine', '?')}"
    return f"{where}: {message['message']}" + (f"\n    {extract}" if extract else "")


def test_the_main_pages_are_valid_html(demo_shop: DemoShop, page: Any, shots: Shots) -> None:
    _checker()  # skip before the walk when the checker is missing
    files: dict[Path, str] = {}
    for tour in (storefront_tour, buying_tour, admin_tour):
        for name in tour(demo_shop, page):
            served = page.request.get(page.url)
            expected = 404 if name == NOT_FOUND else 200
            assert served.status == expected, f"{name}: {page.url} answered {served.status}"
            path = shots.folder / f"{len(files) + 1:02d}-{name.replace(' ', '-')}.html"
            path.write_bytes(served.body())
            files[path] = name
    assert len(files) >= 20, f"only {len(files)} pages were fetched: {sorted(files.values())}"

    messages = _check(files)

    errors = [m for m in messages if m["type"] in ("error", "non-document-error")]
    warnings = [m for m in messages if m["type"] == "info" and m.get("subType") == "warning"]
    (shots.folder / "vnu-warnings.txt").write_text("\n".join(map(_line, warnings)) + "\n")
    assert not errors, (
        f"The Nu HTML Checker found {len(errors)} error(s) in {len(files)} pages:\n"
        + "\n".join(map(_line, errors))
    )
