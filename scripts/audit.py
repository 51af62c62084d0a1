"""`make audit`: Lighthouse scores of the demo shop served the way production serves it.

Builds a throwaway SQLite database with the demo data, serves the shop under gunicorn
with production settings, runs Lighthouse (Debian's Chromium, headless) on the home page,
a product and an answer, on a phone (Lighthouse's default) and on a desktop, writes each
report as JSON under test-artifacts/lighthouse/, prints the four scores per page and form
factor, and exits non-zero when any score is below the bar (95).

    .venv/bin/python scripts/audit.py [--min-score 95] [--port 8765]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from serving import ROOT, VENV_BIN, ServerDidNotStart, free_port, markdown_table, wait_until_up

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
OUT_DIR = ROOT / "test-artifacts" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
FORM_FACTORS = ("mobile", "desktop")


def _shop_env(workdir: Path, base_url: str) -> dict[str, str]:
    """Production settings on a throwaway database; no Stripe or mail server is needed to browse."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "SHOP_", "MAIL_"))}
    env.update(
        SHOP_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=f"sqlite:///{workdir / 'shop.db'}",
        MEDIA_ROOT=str(workdir / "media"),
        SHOP_BASE_URL=base_url,
        MAIL_BACKEND="file",
        MAIL_FILE_DIR=str(workdir / "mail"),
        LOG_LEVEL="WARNING",
    )
    return env


def _flask(env: dict[str, str], *args: str) -> None:
    subprocess.run(  # noqa: S603 - fixed arguments
        [str(VENV_BIN / "flask"), "--app", "shop", *args], env=env, cwd=ROOT, check=True
    )


def _pages(base_url: str) -> dict[str, str]:
    """Home, the first product and the first answer the sitemap lists."""
    with urllib.request.urlopen(base_url + "/sitemap.xml", timeout=10) as r:  # noqa: S310
        sitemap = r.read().decode()
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    product = next(u for u in locs if "/products/" in u and not u.endswith("/products/"))
    answer = next(u for u in locs if re.search(r"/answers/[^/]+$", u))
    return {"home": base_url + "/", "product": product, "answer": answer}


def _lighthouse(url: str, form_factor: str, out: Path) -> dict[str, Any]:
    args = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-path={CHROMIUM}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if form_factor == "desktop":
        args.append("--preset=desktop")
    subprocess.run(args, cwd=ROOT, check=True)  # noqa: S603 - fixed arguments
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def _scores(report: dict[str, Any]) -> dict[str, int]:
    return {
        c: round(100 * (report["categories"][c]["score"] or 0))
        for c in CATEGORIES
        if c in report["categories"]
    }


def _failing_audits(report: dict[str, Any], category: str) -> list[str]:
    """The audits that cost points in one category, heaviest first."""
    refs = sorted(report["categories"][category]["auditRefs"], key=lambda r: -r["weight"])
    lines = []
    for ref in refs:
        audit = report["audits"][ref["id"]]
        if ref["weight"] and audit.get("score") is not None and audit["score"] < 1:
            value = audit.get("displayValue", "")
            lines.append(f"{audit['id']} ({audit['score']:.2f}) {audit['title']} {value}".rstrip())
    return lines


def main() -> int:
    """Serve the demo shop, audit three pages on two form factors, print the scores."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-score", type=int, default=95)
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args()

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="shop-audit-"))
    port = options.port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = _shop_env(workdir, base_url)
    server = None
    try:
        _flask(env, "db", "upgrade")
        _flask(env, "demo", "load")
        server = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                str(VENV_BIN / "gunicorn"),
                "--no-control-socket",
                "--workers=2",
                f"--bind=127.0.0.1:{port}",
                "--log-level=warning",
                "shop:create_app()",
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            wait_until_up(base_url + "/", server, 120)
        except ServerDidNotStart as exc:
            raise SystemExit(str(exc)) from None
        pages = _pages(base_url)
        rows: list[tuple[str, str, dict[str, int]]] = []
        problems: list[str] = []
        for name, url in pages.items():
            for form_factor in FORM_FACTORS:
                report = _lighthouse(url, form_factor, OUT_DIR / f"{name}-{form_factor}.json")
                scores = _scores(report)
                rows.append((name, form_factor, scores))
                for category, score in scores.items():
                    if score < options.min_score:
                        problems.append(f"{name} ({form_factor}) {category} {score}:")
                        problems += [f"    {line}" for line in _failing_audits(report, category)]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        markdown_table(
            ["page", "form factor", *CATEGORIES],
            [
                [name, form_factor, *(str(scores.get(c, "-")) for c in CATEGORIES)]
                for name, form_factor, scores in rows
            ],
        )
    )
    print()
    for name, url in pages.items():
        print(f"{name}: {url.replace(base_url, '')}")
    print(f"Reports: {OUT_DIR.relative_to(ROOT)}/")
    if problems:
        print(f"\nBelow {options.min_score}:")
        print("\n".join(problems))
        return 1
    print(f"Every score is at least {options.min_score}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
