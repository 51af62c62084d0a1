"""`make attack`: the shop attacked from outside, on 127.0.0.1 only, by sqlmap and wapiti3.

Builds a throwaway SQLite database with the demo data and a staff account, serves the shop
under gunicorn with production settings (the local Stripe sandbox standing in for Stripe),
then:

1. **Brute force.** Signs in with wrong passwords, each with a fresh CSRF token, until the
   rate limit answers 429; the real password is then refused too until the window passes.
2. **sqlmap** (level 1, risk 1, every technique) on each parameter of the search, the
   catalogue and answer filters, product and answer paths, the reader question form,
   the staff sign-in, add to cart, and the staff lists' searches and filters (signed in). Each
   target is first sent as a browser would, to prove it reaches the code (a 400 from a lost
   CSRF token would make "not injectable" mean nothing). Order links are left out: they are
   signed, so any changed character fails the signature before a query is made.
3. **wapiti3** crawls and attacks the whole site (the modules PLATFORM.md lists as staying on
   this machine), public pages and, signed in as staff, the admin.

For 2 and 3 the shop runs with RATELIMIT_ENABLED=0, or the limit would starve the scanners.
Every response the shop gives during the scans is counted from gunicorn's access log: a 5xx
is a finding too (a user would see an error page instead of a clear answer).

Prints what each tool sent and found, writes the table into README.md between
`<!-- attack:start -->` and `<!-- attack:end -->` (unless --no-readme), and exits 0 when
nothing was found, 1 on any finding or when a tool could not run.

    .venv/bin/python scripts/attack.py [--tools .venv-attack/bin] [--wapiti-minutes 2]
"""

from __future__ import annotations

import argparse
import collections
import html
import http.cookiejar
import json
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serving import (
    ROOT,
    VENV_BIN,
    CommandFailed,
    Processes,
    ServerDidNotStart,
    free_port,
    gunicorn_args,
    interrupts_as_keyboard,
    markdown_table,
    process_env,
    replace_between,
    start_stripe_sandbox,
    tail,
    text_table,
    wait_until_up,
)

README = ROOT / "README.md"
START_MARK, END_MARK = "<!-- attack:start -->", "<!-- attack:end -->"
STAFF_EMAIL = "attack-owner@example.com"  # the scanners work as this owner
TARGET_EMAIL = "attack-target@example.com"  # the brute force guesses this one's password
WAPITI_MODULES = (
    "sql,timesql,xss,permanentxss,exec,file,redirect,crlf,csrf,http_headers,cookieflags,csp,"
    "methods,upload,htaccess"
)
ATTACK_SECONDS = 30  # wapiti's limit per attack module, after the crawl
BRUTE_TRIES = 25
# The scanners' own noise in the access log: gunicorn logs "<status> <path>" per line.
ACCESS_FORMAT = '%(s)s %(m)s "%(U)s"'


class AttackError(Exception):
    """A tool could not run or did not reach the shop: the result cannot be trusted."""


@dataclass
class Shop:
    """The shop under gunicorn, its sandbox and where it logs."""

    base: str
    master: subprocess.Popen[bytes]
    access_log: Path
    error_log: Path
    tls: ssl.SSLContext  # trusts the shop's own certificate


@dataclass
class Target:
    """One request for sqlmap: a URL (GET) or a form (POST) and the page whose token it needs."""

    label: str
    url: str
    data: str | None = None  # POST body; None for GET
    csrf_page: str | None = None  # the page that hands out the form's CSRF token
    staff: bool = False  # send the staff session cookie
    refusal: str | None = None  # a 400 with this text still reached the view (a wrong password)


@dataclass
class Finding:
    tool: str
    what: str


@dataclass
class Report:
    brute: str = ""
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)  # tool, scope, sent, found
    findings: list[Finding] = field(default_factory=list)
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    minutes: float = 0.0


# ---------------------------------------------------------------------------------------
# The shop


def shop_settings(workdir: Path, base: str, sandbox: str, secret: str) -> dict[str, str]:
    """Production settings on the throwaway database, paying through the sandbox."""
    return {
        "SHOP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{workdir / 'shop.db'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "SHOP_BASE_URL": base,
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": str(workdir / "mail"),
        "LOG_LEVEL": "WARNING",
        "STRIPE_SECRET_KEY": "sk_test_attack_sandbox",
        "STRIPE_WEBHOOK_SECRET": secret,
        "STRIPE_API_BASE": sandbox,
    }


def prepare(workdir: Path, password: str) -> None:
    """Schema, demo data and one owner account in a fresh SQLite file."""
    env = process_env(
        {
            **shop_settings(workdir, "http://127.0.0.1:5000", "http://127.0.0.1:9", "x"),
            "SHOP_STAFF_PASSWORD": password,
        }
    )
    flask = [str(VENV_BIN / "flask"), "--app", "shop"]
    with (workdir / "prepare.log").open("wb") as log:
        for args in (
            ["db", "upgrade"],
            ["demo", "load"],
            ["staff", "create", STAFF_EMAIL, "--role=owner"],
            ["staff", "create", TARGET_EMAIL, "--role=fulfilment"],
        ):
            subprocess.run(  # noqa: S603 - fixed arguments
                [*flask, *args], env=env, cwd=ROOT, check=True, stdout=log, stderr=log
            )


def make_certificate(workdir: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, so the shop is served over HTTPS as in
    production (Secure cookies, HSTS) and the scanners see what a visitor would."""
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        ["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def start_shop(
    procs: Processes, workdir: Path, sandbox: str, secret: str, port: int, limits: bool
) -> Shop:
    base = f"https://127.0.0.1:{port}"
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    tls = ssl.create_default_context(cafile=str(cert))
    tag = "limited" if limits else "scan"
    settings = shop_settings(workdir, base, sandbox, secret)
    settings["RATELIMIT_ENABLED"] = "1" if limits else "0"
    access, errors = workdir / f"access-{tag}.log", workdir / f"gunicorn-{tag}.log"
    # One worker: the rate limit counts in memory, per process (REDIS_URL shares it).
    master = procs.start(
        gunicorn_args(
            port,
            "shop:create_app()",
            1 if limits else 2,
            [
                f"--certfile={cert}",
                f"--keyfile={key}",
                f"--access-logfile={access}",
                f"--access-logformat={ACCESS_FORMAT}",
            ],
        ),
        errors,
        process_env(settings),
    )
    wait_until_up(base + "/healthz", master, 120, errors, tls)
    return Shop(base, master, access, errors, tls)


class Browser:
    """A cookie-keeping client that reads CSRF tokens the way a browser's form would send them."""

    def __init__(self, shop: Shop, cookie: str | None = None) -> None:
        self.base = shop.base
        self.last_location = ""
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=shop.tls),
            urllib.request.HTTPCookieProcessor(self.jar),
            _NoRedirect(),
        )
        if cookie:
            self.opener.addheaders = [("Cookie", cookie)]

    def send(
        self, path: str, data: dict[str, str] | None = None, referer: str | None = None
    ) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 - loopback
        # Over HTTPS Flask-WTF wants the Referer of the page the form was on, as browsers send.
        request.add_header("Referer", self.base + (referer or path))
        try:
            with self.opener.open(request, timeout=30) as response:
                self.last_location = response.headers.get("Location", "")
                return int(response.status), response.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            self.last_location = exc.headers.get("Location", "")
            return exc.code, exc.read().decode(errors="replace")

    def token(self, path: str) -> str:
        status, page = self.send(path)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if status != 200 or not found:
            raise AttackError(f"{path} answered {status} without a CSRF token")
        return html.unescape(found.group(1))

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def sign_in(self, password: str, email: str = STAFF_EMAIL) -> tuple[int, str]:
        token = self.token("/admin/login")
        return self.send(
            "/admin/login", {"csrf_token": token, "email": email, "password": password}
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# ---------------------------------------------------------------------------------------
# 1. Brute force


def brute_force(shop: Shop, password: str, report: Report) -> None:
    """Wrong passwords until the limit answers 429; then the right one is refused as well."""
    browser = Browser(shop)
    statuses = [
        browser.sign_in(f"wrong-{i}-{secrets.token_hex(4)}", TARGET_EMAIL)[0]
        for i in range(BRUTE_TRIES)
    ]
    right = browser.sign_in(password, TARGET_EMAIL)[0]
    counts = collections.Counter(statuses)
    first_429 = statuses.index(429) + 1 if 429 in statuses else None
    after = statuses[first_429 - 1 :] if first_429 else []
    stopped = first_429 is not None and set(after) == {429} and right == 429
    report.brute = (
        f"{BRUTE_TRIES} wrong passwords from one address: "
        + ", ".join(f"{n} answered {s}" for s, n in sorted(counts.items()))
        + f"; limited from try {first_429}; the right password then answered {right}"
    )
    if not stopped:
        report.findings.append(Finding("brute force", report.brute))


def lockout_holds(shop: Shop, password: str, report: Report) -> None:
    """With no rate limit at all (many addresses), the guessed account itself stays locked."""
    status, page = Browser(shop).sign_in(password, TARGET_EMAIL)
    locked = status == 400 and "Too many failed sign-ins" in page
    report.brute += (
        "; with the limit off, the account stays locked: the right password answered "
        f"{status}" + (" (too many failed sign-ins)" if locked else "")
    )
    if not locked:
        report.findings.append(Finding("brute force", "the guessed account was not locked"))


# ---------------------------------------------------------------------------------------
# 2. sqlmap


def demo_values(shop: Shop) -> dict[str, str]:
    """Slugs and SKUs to put in the targets, read from the demo as a visitor sees it."""
    browser = Browser(shop)
    _, sitemap = browser.send("/sitemap.xml")
    locs = [urllib.parse.urlsplit(loc).path for loc in re.findall(r"<loc>([^<]+)</loc>", sitemap)]

    def first(pattern: str) -> str:
        for loc in locs:
            if m := re.fullmatch(pattern, loc):
                return m.group(1)
        raise AttackError(f"the sitemap lists no page like {pattern}")

    values = {
        "product": first(r"/products/([^/?]+)"),
        "answer": first(r"/answers/([^/?]+)"),
        "category": first(r"/categories/([^/?]+)"),
        "topic": first(r"/answers/topics/([^/?]+)"),
    }
    _, page = browser.send(f"/products/{values['product']}")
    sku = re.search(r'name="variant"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="variant"', page
    )
    if not sku:
        raise AttackError(f"/products/{values['product']} has no add-to-cart form")
    values["sku"] = html.unescape(sku.group(1))
    _, catalogue = browser.send("/products/")
    concern = re.search(r'name="concern"[^>]*value="([^"]+)"', catalogue)
    brand = re.search(r'name="brand"[^>]*value="([^"]+)"', catalogue)
    values["concern"] = html.unescape(concern.group(1)) if concern else "acne"
    values["brand"] = html.unescape(brand.group(1)) if brand else "x"
    # A checkout of our own, so the return link names a session the shop knows.
    product = f"/products/{values['product']}"
    data = {"csrf_token": browser.token(product), "variant": values["sku"], "quantity": "1"}
    browser.send("/cart/add", data, referer=product)
    status, _ = browser.send("/checkout", {"csrf_token": browser.token("/cart")}, "/cart")
    location = browser.last_location
    if status != 303 or "/cs_" not in location:
        raise AttackError(f"checkout answered {status} ({location or 'no redirect'})")
    values["session"] = location.rstrip("/").rsplit("/", 1)[-1]
    return values


def sqlmap_targets(v: dict[str, str]) -> list[Target]:
    q = urllib.parse.urlencode
    product = f"/products/{v['product']}"
    return [
        Target("search", "/search?" + q({"q": "vitamin cream", "group": "products", "page": 1})),
        Target(
            "catalogue filters",
            "/products/?"
            + q(
                {
                    "category": v["category"],
                    "brand": v["brand"],
                    "concern": v["concern"],
                    "price_min": "5",
                    "price_max": "60",
                    "in_stock": "1",
                    "sort": "price_asc",
                    "page": 1,
                }
            ),
        ),
        Target("answer filters", "/answers/?" + q({"topic": v["topic"], "page": 1})),
        Target("product page", f"/products/{v['product']}*?" + q({"variant": v["sku"]})),
        Target("answer page", f"/answers/{v['answer']}*"),
        Target("checkout return", "/checkout/success?" + q({"session_id": v["session"]})),
        Target(
            "reader question form",
            "/ask",
            q(
                {
                    "name": "Rae",
                    "email": "rae@example.com",
                    "question": "Does niacinamide help with redness after shaving?",
                    "consent": "y",
                    "website": "",
                }
            ),
            csrf_page="/ask",
        ),
        Target(
            "staff sign-in",
            "/admin/login",
            q({"email": "someone@example.com", "password": "not-the-password"}),
            csrf_page="/admin/login",
            refusal="do not match a staff account",
        ),
        Target(
            "add to cart",
            "/cart/add",
            q({"variant": v["sku"], "quantity": "1", "next": product}),
            csrf_page=product,
        ),
        Target(
            "staff: order search",
            "/admin/orders/?" + q({"q": "DH-1000", "status": "paid", "page": 1}),
            staff=True,
        ),
        Target(
            "staff: stock search",
            "/admin/stock/?" + q({"q": "serum", "category": "1", "low": "1", "page": 1}),
            staff=True,
        ),
        Target("staff: questions", "/admin/questions/?" + q({"status": "new"}), staff=True),
        Target(
            "staff: link picker",
            "/admin/links/pick/products?" + q({"answer_id": 1, "q": "spf"}),
            staff=True,
        ),
        Target(
            "staff: records search",
            "/admin/data/products/?" + q({"search": "cream", "sort": "1"}),
            staff=True,
        ),
    ]


def run_tool(
    args: Sequence[str], workdir: Path, home: Path, log: Path, timeout: float, label: str
) -> int:
    """Run a scanner to the end, its output in `log`, with a home of its own; its exit status."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    try:
        with log.open("wb") as out:
            return subprocess.run(  # noqa: S603 - fixed arguments
                list(args),
                cwd=workdir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            ).returncode
    except subprocess.TimeoutExpired:
        raise AttackError(f"{label} ran over {timeout:.0f}s") from None


def preflight(shop: Shop, target: Target, staff_cookie: str) -> None:
    """Send the target as a browser would: it must reach the view, or sqlmap's "not
    injectable" would only mean "refused before the code ran"."""
    browser = Browser(shop, staff_cookie if target.staff else None)
    url = target.url.replace("*", "")
    if target.data is None:
        status, page = browser.send(url)
    else:
        data = dict(urllib.parse.parse_qsl(target.data, keep_blank_values=True))
        data["csrf_token"] = browser.token(target.csrf_page or url)
        status, page = browser.send(url, data, referer=target.csrf_page)
    refused = status == 400 and target.refusal is not None and target.refusal in page
    reached = status in (200, 303) or refused
    if not reached or (target.staff and "/admin/login" in browser.last_location):
        raise AttackError(f"{target.label} answered {status} to a valid request")


def run_sqlmap(
    sqlmap: Path,
    shop: Shop,
    target: Target,
    staff_cookie: str,
    workdir: Path,
    home: Path,
    timeout: float,
) -> tuple[str, int]:
    """Run sqlmap on one target; return ("clean" | "found", requests it sent)."""
    out_dir = workdir / "sqlmap" / re.sub(r"\W+", "-", target.label)
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [
        str(sqlmap),
        "-u",
        shop.base + target.url,
        "--batch",
        "--level=1",
        "--risk=1",
        f"--output-dir={out_dir}",
        "--disable-coloring",
        "--flush-session",
        "--answers=follow=N",  # redirects lead to other pages; stay on the target
    ]
    if target.data is not None:
        args += [
            f"--data={target.data}&csrf_token=x",
            "--csrf-token=csrf_token",
            f"--csrf-url={shop.base}{target.csrf_page}",
            f"--referer={shop.base}{target.csrf_page}",
        ]
    else:
        args.append("--threads=4")  # sqlmap refuses threads with a CSRF token to renew
    if target.staff:
        args += [f"--cookie={staff_cookie}", "--skip=csrf_token"]
    log = out_dir / "stdout.txt"
    before = _access_lines(shop)
    run_tool(args, workdir, home, log, timeout, f"sqlmap on {target.label}")
    sent = _access_lines(shop) - before
    text = log.read_text(errors="replace")
    if "identified the following injection point" in text:
        return "found", sent
    if re.search(r"do not appear to be injectable|not injectable", text):
        return "clean", sent
    raise AttackError(
        f"sqlmap on {target.label} ended without a verdict:\n" + "\n".join(text.splitlines()[-15:])
    )


def _access_lines(shop: Shop) -> int:
    try:
        with shop.access_log.open("rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


# ---------------------------------------------------------------------------------------
# 3. wapiti


def run_wapiti(
    wapiti: Path,
    shop: Shop,
    workdir: Path,
    home: Path,
    minutes: float,
    password: str,
    signed_in: bool,
) -> tuple[int, list[Finding]]:
    """Crawl and attack the site; return the requests sent and every vulnerability found."""
    tag = "staff" if signed_in else "public"
    report_file = workdir / f"wapiti-{tag}.json"
    args = [
        str(wapiti),
        "-u",
        shop.base + ("/admin/" if signed_in else "/"),
        "--scope",
        "folder",
        "-m",
        WAPITI_MODULES,
        "--no-bugreport",
        "--external-endpoint",
        "http://127.0.0.1:9/",
        "--dns-endpoint",
        "localhost",
        "--flush-session",
        "--store-session",
        str(workdir / f"wapiti-session-{tag}"),
        "--store-config",
        str(workdir / f"wapiti-config-{tag}"),
        "--max-scan-time",
        str(int(minutes * 60)),
        "--max-attack-time",
        str(ATTACK_SECONDS),
        "-d",
        "3",
        "--max-links-per-page",
        "40",
        "--max-files-per-dir",
        "40",
        "-t",
        "20",
        "-f",
        "json",
        "-o",
        str(report_file),
        "-v",
        "1",
        "-x",
        shop.base + "/admin/logout",
        "-x",
        shop.base + "/stripe/webhook",
    ]
    if signed_in:
        args += [
            "--form-url",
            shop.base + "/admin/login",
            "--form-user",
            STAFF_EMAIL,
            "--form-password",
            password,
            # Staff settings that would lock the account the crawl works as.
            "-x",
            shop.base + "/admin/password",
            "-x",
            shop.base + "/admin/staff/*",
        ]
    before = _access_lines(shop)
    log = workdir / f"wapiti-{tag}.log"
    # --max-scan-time bounds the crawl only; each module then attacks for up to ATTACK_SECONDS.
    bound = minutes * 60 + ATTACK_SECONDS * len(WAPITI_MODULES.split(",")) + 120
    code = run_tool(args, workdir, home, log, bound, f"wapiti ({tag})")
    sent = _access_lines(shop) - before
    if code != 0 or not report_file.exists():
        raise AttackError(f"wapiti ({tag}) exited with {code}:\n{tail(log, 20)}".rstrip())
    found: list[Finding] = []
    data = json.loads(report_file.read_text())
    for kind, items in (data.get("vulnerabilities") or {}).items():
        for item in items:
            found.append(
                Finding(f"wapiti ({tag})", f"{kind}: {item.get('info')} at {item.get('path')}")
            )
    crawled = len(data.get("infos", {}).get("crawled_pages", []) or [])
    if signed_in and not any(
        e.startswith("200 ") and "/admin/" in e for e in _log_since(shop, before)
    ):
        raise AttackError("wapiti did not reach the admin: the sign-in did not work")
    if sent < 50:
        raise AttackError(f"wapiti ({tag}) sent only {sent} requests ({crawled} pages crawled)")
    return sent, found


def _log_since(shop: Shop, line: int) -> list[str]:
    """The access log's entries from `line` on ("<status> <method> <path>" each)."""
    with shop.access_log.open(errors="replace") as f:
        return [entry for i, entry in enumerate(f) if i >= line]


# ---------------------------------------------------------------------------------------
# Report


def render(report: Report, markdown: bool) -> str:
    header = ("Tool", "Scope", "Requests", "Findings")
    if markdown:
        lines = [markdown_table(header, report.rows)]
    else:
        lines = [text_table(header, report.rows, right=frozenset({2, 3}))]
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(report.statuses.items()))
    found = len(report.findings)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    summary = [
        "",
        f"Brute force: {report.brute}.",
        f"Responses the shop gave during the scans: {statuses}.",
        f"Findings: {found}" + ("." if not found else ":"),
        *[f"- {f.tool}: {f.what}" for f in report.findings],
        f"({report.minutes:.1f} minutes, `make attack`, {when})",
    ]
    return "\n".join(lines + summary)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tools",
        type=Path,
        default=ROOT / ".venv-attack" / "bin",
        help="the folder holding the sqlmap and wapiti commands (make attack installs them)",
    )
    parser.add_argument("--wapiti-minutes", type=float, default=2.0, help="per crawl (two)")
    parser.add_argument("--sqlmap-timeout", type=float, default=240, help="seconds per target")
    parser.add_argument("--only", choices=("brute", "sqlmap", "wapiti"), action="append")
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    tools = options.tools.resolve()
    sqlmap, wapiti = tools / "sqlmap", tools / "wapiti"
    for tool in (sqlmap, wapiti):
        if not tool.exists():
            print(f"{tool} is missing (make attack installs it)", file=sys.stderr)
            return 1
    phases = set(options.only or ("brute", "sqlmap", "wapiti"))
    workdir = Path(tempfile.mkdtemp(prefix="shop-attack-"))
    home = workdir / "home"
    home.mkdir()
    password = secrets.token_urlsafe(18)
    secret = "whsec_" + secrets.token_hex(16)
    procs = Processes()
    report = Report()
    started = time.monotonic()
    with interrupts_as_keyboard():
        try:
            print("Preparing the demo database and a staff account", flush=True)
            prepare(workdir, password)
            make_certificate(workdir)
            port = free_port()
            webhook_url = f"https://127.0.0.1:{port}/stripe/webhook"
            sandbox = start_stripe_sandbox(procs, workdir / "sandbox.log", webhook_url, secret)

            if "brute" in phases:
                shop = start_shop(procs, workdir, sandbox, secret, port, limits=True)
                brute_force(shop, password, report)
                print(f"Brute force: {report.brute}", flush=True)
                procs.stop(shop.master)

            shop = start_shop(procs, workdir, sandbox, secret, port, limits=False)
            staff = Browser(shop)
            if "brute" in phases:
                lockout_holds(shop, password, report)
            signed = staff.sign_in(password)[0]
            if signed != 303:
                raise AttackError(f"the staff account could not sign in ({signed})")
            cookie = staff.cookie_header()
            scan_start = _access_lines(shop)

            if "sqlmap" in phases:
                values = demo_values(shop)
                total, found_in = 0, []
                targets = sqlmap_targets(values)
                for target in targets:
                    preflight(shop, target, cookie)
                    t0 = time.monotonic()
                    verdict, sent = run_sqlmap(
                        sqlmap,
                        shop,
                        target,
                        cookie,
                        workdir,
                        home,
                        options.sqlmap_timeout,
                    )
                    total += sent
                    print(
                        f"sqlmap {target.label}: {verdict}, {sent} requests, "
                        f"{time.monotonic() - t0:.0f}s",
                        flush=True,
                    )
                    if verdict != "clean":
                        found_in.append(target.label)
                        report.findings.append(Finding("sqlmap", f"injectable: {target.label}"))
                report.rows.append(
                    (
                        "sqlmap (level 1, risk 1)",
                        f"{len(targets)} targets: search, filters, paths, 3 forms, 5 staff lists",
                        f"{total:,}",
                        str(len(found_in)),
                    )
                )

            if "wapiti" in phases:
                for signed_in in (False, True):
                    t0 = time.monotonic()
                    sent, found = run_wapiti(
                        wapiti,
                        shop,
                        workdir,
                        home,
                        options.wapiti_minutes,
                        password,
                        signed_in,
                    )
                    report.findings.extend(found)
                    scope = "the admin, signed in as staff" if signed_in else "the public site"
                    print(
                        f"wapiti {scope}: {len(found)} findings, {sent} requests, "
                        f"{time.monotonic() - t0:.0f}s",
                        flush=True,
                    )
                    report.rows.append(("wapiti3 3.2.3", scope, f"{sent:,}", str(len(found))))

            scan_lines = _log_since(shop, scan_start)
            report.statuses = collections.Counter(line.split(" ", 1)[0] for line in scan_lines)
            for line in scan_lines:
                if line.startswith("5"):
                    report.findings.append(Finding("server", f"answered {line.strip()}"))
        except KeyboardInterrupt:
            print("\nInterrupted; stopping everything.", file=sys.stderr)
            return 130
        except (
            AttackError,
            CommandFailed,
            ServerDidNotStart,
            subprocess.CalledProcessError,
            OSError,
        ) as exc:
            print(f"The attack could not run: {exc}", file=sys.stderr)
            print(f"(logs in {workdir})", file=sys.stderr)
            options.keep = True
            return 1
        finally:
            procs.stop_all()
            if not options.keep:
                shutil.rmtree(workdir, ignore_errors=True)

    report.minutes = (time.monotonic() - started) / 60
    print()
    print(render(report, markdown=False))
    if options.keep:
        print(f"\n(logs in {workdir})")
    if report.findings:
        return 1
    if options.no_readme or options.only:
        print("README.md not written (--no-readme or --only).")
    else:
        replace_between(README, START_MARK, END_MARK, render(report, markdown=True))
        print("Wrote the figures into README.md (## Security).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
