"""`make bench`: how fast the shop serves its pages, beside a Flask hello world.

Loads the scaled catalogue (10,000 products and variants, 5,000 answers, 20,000 links,
50,000 past orders) into a throwaway SQLite file and a throwaway PostgreSQL database, serves
each under gunicorn with production settings (the local Stripe sandbox standing in for
Stripe) and measures with wrk: home, a filtered catalogue page, category pages, product and
answer pages (rotating across many URLs), search, add to cart and checkout start (a small
threaded client, as they need a session), and signed Stripe webhooks. It then serves the
same database with every cache off (CACHE_TYPE=NullCache) for the cacheable pages, and
`scripts/hello.py` under identical gunicorn flags (sync and gthread workers).

Prints req/s, p50/p95/p99, the ratio to hello world (sync), SQL statements per page and the
workers' memory, checks the targets (PASS/FAIL) and writes the table into README.md between
`<!-- bench:start -->` and `<!-- bench:end -->`. Exits 0 when the measurement worked, even if
targets fail, and 1 when something broke (a server did not start, error responses).

    .venv/bin/python scripts/bench.py [--quick] [--engines sqlite,postgresql] [--no-readme]

PostgreSQL: the admin connection is SHOP_BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test); a database `shop_bench_<hex>` is created on it
and dropped at the end. When the server cannot be reached, PostgreSQL is skipped with the
reason.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    tail,
    text_table,
    wait_until_up,
)

SCRIPTS = ROOT / "scripts"
LUA = SCRIPTS / "bench_requests.lua"
README = ROOT / "README.md"
START_MARK, END_MARK = "<!-- bench:start -->", "<!-- bench:end -->"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"

# What a browser sends with a page request (the shop gzips text when it is accepted).
PAGE_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Encoding": "gzip, deflate, br",
}

# The targets, from one run.
CACHED_RATIO = 0.5  # product, answer and home pages, caches on
UNCACHED_RATIO = 0.1  # the same with every cache off, the filtered catalogue and search
OSCAR_PRODUCT = 20 * 95  # django-oscar's figures: product page req/s ...
OSCAR_CATEGORY = 100 * 5  # ... and category page req/s
TAIL = 5  # p99 at most this many times p50
MAX_QUERIES = 8
MAX_RSS_MB = 150
MAX_LOAD_SECONDS = 60  # demo load on SQLite
X = "\u00d7"  # the multiplication sign, in the table

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_ALT = re.compile(r'type="hidden" name="csrf_token" value="([^"]+)"')
SESSION_COOKIE = re.compile(r"(?:^|[\s,])session=([^;]*)")
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


class BenchError(Exception):
    """Something broke: the run cannot be trusted (as opposed to a target that failed)."""


# ---------------------------------------------------------------------------------------
# Processes


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def worker_rss_mb(master: int) -> float:
    """The largest resident memory (VmRSS) among the gunicorn master's workers, in MB."""
    biggest = 0.0
    for pid in _children(master):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    biggest = max(biggest, int(line.split()[1]) / 1024)
    return biggest


# ---------------------------------------------------------------------------------------
# Measurements


@dataclass
class Result:
    """What one load run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def _request_line(method: str, path: str, headers: dict[str, str], body: str = "") -> str:
    text = "\x1e".join(f"{k}: {v}" for k, v in headers.items())
    for part in (method, path, text, body):
        if "\t" in part or "\n" in part:
            raise ValueError(f"a tab or newline in a request: {part[:80]!r}")
    return f"{method}\t{path}\t{text}\t{body}"


def write_requests(file: Path, lines: Sequence[str]) -> Path:
    """Write the request file the wrk script rotates through."""
    file.write_text("\n".join(lines) + "\n")
    return file


def run_wrk(
    procs: Processes, base: str, requests_file: Path, seconds: float, connections: int
) -> Result:
    """Run wrk with the rotating script and read the figures its done() prints."""
    threads = min(2, connections)
    out = procs.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--timeout=10s",
            "-s",
            str(LUA),
            base,
            "--",
            str(requests_file),
            str(threads),
        ],
        timeout=seconds + 60,
    )
    line = next((x for x in out.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise BenchError(f"wrk printed no result:\n{out}")
    data = json.loads(line.removeprefix("BENCH_RESULT "))
    errors = {k: int(data[k]) for k in ("status", "connect", "read", "write", "timeout")}
    return Result(
        requests=int(data["requests"]),
        seconds=int(data["duration_us"]) / 1e6,
        p50_ms=int(data["p50_us"]) / 1000,
        p95_ms=int(data["p95_us"]) / 1000,
        p99_ms=int(data["p99_us"]) / 1000,
        errors={("non-2xx/3xx" if k == "status" else k): v for k, v in errors.items() if v},
    )


def _percentile(ordered: Sequence[float], p: float) -> float:
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def result_from(latencies: list[float], seconds: float, errors: int, examples: list[str]) -> Result:
    """Summarise latencies (seconds) measured by the Python client."""
    ordered = sorted(latencies)
    return Result(
        requests=len(ordered),
        seconds=seconds,
        p50_ms=_percentile(ordered, 50) * 1000,
        p95_ms=_percentile(ordered, 95) * 1000,
        p99_ms=_percentile(ordered, 99) * 1000,
        errors={"unexpected answers": errors} if errors else {},
        examples=examples[:5],
    )


class Client:
    """One keep-alive HTTP connection to the server under test (it reconnects when closed)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(
        self, method: str, path: str, headers: dict[str, str], body: str | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """Send one request and read the whole answer."""
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.headers, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server had closed: once more on a new one.
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def warm(port: int, paths: Sequence[str], rounds: int, connections: int) -> list[str]:
    """Ask for every path `rounds` times (so each worker's page cache holds it); return the
    paths that did not answer 200."""
    local = threading.local()
    failures: list[str] = []

    def fetch(path: str) -> None:
        if not hasattr(local, "client"):
            local.client = Client(port)
        status, _, _ = local.client.send("GET", path, PAGE_HEADERS)
        if status != 200:
            failures.append(f"{status} {path}")

    order = [p for _ in range(rounds) for p in paths]
    pool = ThreadPoolExecutor(max_workers=connections)
    try:
        list(pool.map(fetch, order))
    finally:
        # On Ctrl-C, drop what is still queued rather than wait for it.
        pool.shutdown(wait=False, cancel_futures=True)
    return failures


def _cookie(headers: http.client.HTTPMessage) -> str | None:
    for value in headers.get_all("Set-Cookie") or []:
        found = SESSION_COOKIE.search(value)
        if found:
            return found.group(1)
    return None


def _csrf(html: str) -> str:
    found = CSRF.search(html) or CSRF_ALT.search(html)
    if found is None:
        raise BenchError("a product page has no CSRF token")
    return found.group(1)


@dataclass
class Buyer:
    """One visitor adding a size to a fresh cart, then starting checkout, over and over."""

    port: int
    product_path: str
    sku: str
    sandbox_url: str
    add: list[tuple[float, float]] = field(default_factory=list)
    checkout: list[tuple[float, float]] = field(default_factory=list)
    add_errors: list[str] = field(default_factory=list)
    checkout_errors: list[str] = field(default_factory=list)
    sessions: int = 0

    def run(self, until: float) -> None:
        """Loop until `until` (time.monotonic()), recording each request's start and latency."""
        client = Client(self.port)
        try:
            self._loop(client, until)
        except Exception as exc:
            # Whatever stops a visitor is an error of this row, not a crash of the bench.
            self.add_errors.append(f"the visitor stopped: {exc!r}")
        finally:
            client.close()

    def _loop(self, client: Client, until: float) -> None:
        status, headers, body = client.send("GET", self.product_path, {"Accept": "text/html"})
        fresh = _cookie(headers)
        if status != 200 or fresh is None:
            self.add_errors.append(f"GET {self.product_path}: {status}, no session cookie")
            return
        token = _csrf(body.decode())
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        add_body = urllib.parse.urlencode(
            {"csrf_token": token, "variant": self.sku, "quantity": "1"}
        )
        checkout_body = urllib.parse.urlencode({"csrf_token": token})
        while time.monotonic() < until:
            # The cookie without a cart each time, so every add makes a new cart.
            started = time.monotonic()
            status, headers, _ = client.send(
                "POST", "/cart/add", {**form, "Cookie": f"session={fresh}"}, add_body
            )
            self.add.append((started, time.monotonic() - started))
            location = headers.get("Location", "")
            cart = _cookie(headers)
            if status != 303 or not location.endswith("/cart") or cart is None:
                self.add_errors.append(f"add: {status} to {location or '-'}")
                continue
            started = time.monotonic()
            status, headers, _ = client.send(
                "POST", "/checkout", {**form, "Cookie": f"session={cart}"}, checkout_body
            )
            self.checkout.append((started, time.monotonic() - started))
            location = headers.get("Location", "")
            if status != 303 or not location.startswith(self.sandbox_url):
                self.checkout_errors.append(f"checkout: {status} to {location or '-'}")
            else:
                self.sessions += 1


def run_buyers(
    port: int,
    sandbox_url: str,
    items: Sequence[tuple[str, str]],
    connections: int,
    warmup: float,
    seconds: float,
) -> tuple[Result, Result, int]:
    """Add to cart and check out from `connections` visitors at once; measure after `warmup`."""
    start = time.monotonic() + warmup
    until = start + seconds
    buyers = [
        Buyer(port, f"/products/{items[i % len(items)][0]}", items[i % len(items)][1], sandbox_url)
        for i in range(connections)
    ]
    threads = [threading.Thread(target=b.run, args=(until,), daemon=True) for b in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + warmup + 120)

    def summarise(pick: Callable[[Buyer], list[tuple[float, float]]], errors: list[str]) -> Result:
        inside = [lat for b in buyers for (t0, lat) in pick(b) if start <= t0 < until]
        return result_from(inside, seconds, len(errors), errors)

    add = summarise(lambda b: b.add, [e for b in buyers for e in b.add_errors])
    checkout = summarise(lambda b: b.checkout, [e for b in buyers for e in b.checkout_errors])
    return add, checkout, sum(b.sessions for b in buyers)


def sign(payload: str, secret: str, timestamp: int) -> str:
    """Sign as Stripe does: t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _json(url: str, body: dict[str, Any] | None = None, method: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - the local sandbox
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310
        return json.loads(r.read())


# ---------------------------------------------------------------------------------------
# The shop under test


@dataclass
class Engine:
    """One database the shop is measured on."""

    name: str  # sqlite | postgresql
    url: str  # for DATABASE_URL
    workdir: Path
    drop: Callable[[], None] | None = None

    @property
    def label(self) -> str:
        return "SQLite" if self.name == "sqlite" else "PostgreSQL"

    @property
    def sqlalchemy_url(self) -> str:
        for prefix in ("postgres://", "postgresql://"):
            if self.url.startswith(prefix):
                return "postgresql+psycopg://" + self.url[len(prefix) :]
        return self.url


@dataclass
class Stack:
    """The shop under gunicorn and its Stripe sandbox, running."""

    base: str
    port: int
    sandbox_url: str
    webhook_secret: str
    master: subprocess.Popen[bytes]
    cache_honoured: bool
    log: Path  # gunicorn's output, shown when pages fail


@dataclass
class Picks:
    """The URLs and sizes the load rotates through, chosen from the loaded database."""

    home: list[str]
    catalogue: list[str]
    category: list[str]
    product: list[str]
    answer: list[str]
    search: list[str]
    buy: list[tuple[str, str]]  # (product slug, SKU) with plenty of stock


def shop_settings(
    engine: Engine, base_url: str, sandbox_url: str, secret: str, cache_off: bool
) -> dict[str, str]:
    """Production settings, as audit.py serves the shop, paying through the sandbox."""
    settings = {
        "SHOP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": engine.url,
        "MEDIA_ROOT": str(engine.workdir / "media"),
        "SHOP_BASE_URL": base_url,
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": str(engine.workdir / "mail"),
        "LOG_LEVEL": "WARNING",
        "STRIPE_SECRET_KEY": "sk_test_bench_sandbox",
        "STRIPE_WEBHOOK_SECRET": secret,
        "STRIPE_API_BASE": sandbox_url,
    }
    if cache_off:
        settings["CACHE_TYPE"] = "NullCache"
    return settings


def load_demo(engine: Engine, options: argparse.Namespace) -> float:
    """Build the schema and load the scaled demo; return the seconds `demo load` took."""
    settings = shop_settings(engine, "http://127.0.0.1:5000", "http://127.0.0.1:9", "x", False)
    env = process_env(settings)
    flask = [str(VENV_BIN / "flask"), "--app", "shop"]
    with (engine.workdir / "upgrade.log").open("wb") as log:
        subprocess.run(  # noqa: S603 - fixed arguments
            [*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, stdout=log, stderr=log
        )
    command = [
        *flask,
        "demo",
        "load",
        f"--products={options.products}",
        f"--answers={options.answers}",
        f"--links={options.links}",
        f"--orders={options.orders}",
    ]
    print(f"$ {' '.join(command[2:])}", flush=True)
    started = time.monotonic()
    subprocess.run(command, env=env, cwd=ROOT, check=True)  # noqa: S603 - fixed arguments
    return time.monotonic() - started


def in_process_app(engine: Engine, settings: dict[str, str], cache_off: bool) -> Any:
    """The shop app in this process, on the same database, for counting statements."""
    from shop import create_app

    config: dict[str, Any] = {
        **settings,
        "DATABASE_URL": engine.sqlalchemy_url,
        "SESSION_COOKIE_SECURE": False,  # the test client speaks http
    }
    if cache_off:
        config["CACHE_TYPE"] = "NullCache"
    else:
        config.pop("CACHE_TYPE", None)
    with warnings.catch_warnings():
        # Flask-Caching warns that NullCache caches nothing: that is the point here.
        warnings.simplefilter("ignore", UserWarning)
        return create_app(config)


def pick(app: Any, quick: bool, connections: int) -> Picks:
    """Choose the rotating URLs from the database and give the bought sizes lots of stock."""
    import sqlalchemy as sa

    from shop.catalog.models import Category, Product, ProductStatus, SkinConcern, Variant
    from shop.editorial.models import Answer
    from shop.editorial.queries import is_public
    from shop.extensions import db
    from shop.inventory.models import StockRecord
    from shop.search.parser import STOP_WORDS

    rng = random.Random(2026)  # noqa: S311 - a repeatable sample, not a secret
    n_pages, n_words = (100, 20) if quick else (500, 50)
    with app.app_context():
        active = Product.status == ProductStatus.ACTIVE
        products = list(db.session.execute(sa.select(Product.slug, Product.name).where(active)))
        answers = list(
            db.session.execute(sa.select(Answer.slug, Answer.question).where(is_public()))
        )
        categories = list(db.session.scalars(sa.select(Category.slug).order_by(Category.slug)))
        concerns = list(db.session.scalars(sa.select(SkinConcern.slug).order_by(SkinConcern.slug)))
        if not products or not answers or not categories:
            raise BenchError("the demo load left no active products, public answers or categories")
        buy = list(
            db.session.execute(
                sa.select(Product.slug, Variant.sku, Variant.id)
                .join(Variant, Variant.product_id == Product.id)
                .where(active)
                .order_by(Variant.id)
                .limit(max(2 * connections, 8))
            )
        )
        # Enough stock that holds from a run of checkouts never sell a size out.
        db.session.execute(
            sa.update(StockRecord)
            .where(StockRecord.variant_id.in_([row.id for row in buy]))
            .values(on_hand=StockRecord.on_hand + 1_000_000)
        )
        db.session.commit()
        db.session.remove()

    words: dict[str, int] = {}
    for _, text in [*products[:2000], *answers[:2000]]:
        for word in re.findall(r"[a-z]{4,}", text.lower()):
            if word not in STOP_WORDS:  # the search drops them: nothing would be searched
                words[word] = words.get(word, 0) + 1
    common = sorted(words, key=lambda w: -words[w])[: n_words * 2]
    terms = rng.sample(common, min(len(common), n_words - n_words // 5))
    terms += [f"{a} {b}" for a, b in zip(terms[::2], terms[1::2], strict=False)][: n_words // 5]

    sorts = ("featured", "price_asc", "price_desc", "newest", "name")
    catalogue = []
    for i, (category, concern) in enumerate(
        (c, k) for c in categories for k in concerns[: max(1, 60 // len(categories))]
    ):
        query = {"category": category, "concern": concern, "sort": sorts[i % len(sorts)]}
        if i % 3 == 0:
            query["in_stock"] = "1"
        if i % 4 == 1:
            query["price_max"] = "60"
        catalogue.append("/products/?" + urllib.parse.urlencode(query))
    category_pages = [
        f"/categories/{c}" + (f"?page={n}" if n > 1 else "") for c in categories for n in (1, 2, 3)
    ]
    return Picks(
        home=["/"],
        catalogue=catalogue,
        category=category_pages,
        product=[
            f"/products/{row.slug}" for row in rng.sample(products, min(n_pages, len(products)))
        ],
        answer=[f"/answers/{row.slug}" for row in rng.sample(answers, min(n_pages, len(answers)))],
        search=["/search?" + urllib.parse.urlencode({"q": t}) for t in terms],
        buy=[(row.slug, row.sku) for row in buy],
    )


def start_stack(
    procs: Processes, engine: Engine, options: argparse.Namespace, cache_off: bool, tag: str
) -> tuple[Stack, dict[str, str]]:
    """Start the sandbox and the shop under gunicorn; return them and the shop's settings."""
    port, sandbox_port = free_port(), free_port()
    base, sandbox_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}"
    secret = "whsec_" + secrets.token_hex(16)
    log = engine.workdir / f"sandbox-{tag}.log"
    sandbox = procs.start(
        [
            str(VENV_BIN / "python"),
            "-m",
            "stripe_sandbox",
            f"--port={sandbox_port}",
            f"--webhook-url={base}/stripe/webhook",
            f"--webhook-secret={secret}",
            "--quiet",
        ],
        log,
    )
    wait_until_up(sandbox_url + "/_sandbox/webhooks", sandbox, 60, log)
    settings = shop_settings(engine, base, sandbox_url, secret, cache_off)
    log = engine.workdir / f"gunicorn-{tag}.log"
    master = procs.start(
        gunicorn_args(port, "shop:create_app()", options.workers), log, process_env(settings)
    )
    wait_until_up(base + "/", master, 120, log)
    # The page cache marks its pages with Last-Modified; with NullCache they carry none.
    with urllib.request.urlopen(base + "/", timeout=30) as r:  # noqa: S310 - our own server
        cached = r.headers.get("Last-Modified") is not None
    return Stack(base, port, sandbox_url, secret, master, cached != cache_off, log), settings


def _failed(label: str, failures: Sequence[str], stack: Stack) -> str:
    """What to say when pages failed while warming: a few of them and the server's log."""
    return (
        f"{label}: {len(failures)} failed, e.g. {failures[:3]}\n"
        f"the end of {stack.log.name}:\n{tail(stack.log)}"
    )


@dataclass
class Row:
    """One line of the table: a page, what it measured, its targets."""

    label: str
    result: Result | None = None
    queries: str = "-"
    query_count: int | None = None  # the one checked against MAX_QUERIES
    min_ratio: float | None = None
    min_rps: float | None = None
    check_queries: bool = False
    checks: list[tuple[str, bool]] = field(default_factory=list)
    note: str = ""

    def judge(self, hello_rps: float) -> None:
        """Check this row's targets against its figures."""
        result = self.result
        self.checks = []
        if result is None:
            return
        self.checks.append(("no errors", result.error_count == 0))
        self.checks.append(("some requests", result.requests > 0))
        if self.min_ratio is not None:
            ratio_ok = hello_rps > 0 and result.rps >= self.min_ratio * hello_rps
            self.checks.append((f"≥{self.min_ratio:g}{X} hello", ratio_ok))
        if self.min_rps is not None:
            self.checks.append((f"≥{self.min_rps:g} req/s", result.rps >= self.min_rps))
        self.checks.append((f"p99≤{TAIL}{X}p50", result.p99_ms <= TAIL * result.p50_ms))
        if self.check_queries:
            ok = self.query_count is not None and self.query_count <= MAX_QUERIES
            self.checks.append((f"≤{MAX_QUERIES} queries", ok))

    @property
    def passed(self) -> bool:
        return all(ok for _, ok in self.checks)

    def cells(self, hello_rps: float) -> list[str]:
        """The row's cells, in the table's column order."""
        r = self.result
        if r is None:
            return [self.label, *["-"] * 6, "-", "-", self.note or "not measured"]
        ratio = f"{r.rps / hello_rps:.2f}" if hello_rps else "-"
        errors = str(r.error_count)
        failed = [text for text, ok in self.checks if not ok]
        verdict = "PASS" if not failed else "FAIL: " + ", ".join(failed)
        targets = ", ".join(text for text, _ in self.checks if text not in UNLISTED)
        return [
            self.label,
            f"{r.rps:,.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}",
            f"{r.p99_ms:.1f}",
            ratio,
            self.queries,
            errors,
            targets,
            verdict,
        ]


UNLISTED = ("no errors", "some requests")  # checked on every row, not shown as targets
COLUMNS = [
    "page",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    f"{X} hello",
    "queries",
    "errors",
    "target",
    "result",
]


@dataclass
class EngineReport:
    """Everything measured on one engine."""

    engine: str
    rows: list[Row] = field(default_factory=list)
    load_seconds: float | None = None
    rss_mb: float = 0.0
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)


def count_statements(app: Any, work: Callable[[], object]) -> int:
    """Count the SQL statements (not BEGIN/COMMIT and the like) `work` sends."""
    import sqlalchemy as sa

    from shop.extensions import db

    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return len(statements)


QUERY_SAMPLE = 5  # pages whose statements are counted; the row shows the most of them


def page_queries(app: Any, paths: Sequence[str]) -> tuple[int, int]:
    """The most statements a first (cold) and a second (warm) request of one of the first
    few `paths` sent."""
    client = app.test_client()
    cold = warm = 0
    for path in paths[:QUERY_SAMPLE]:

        def get(path: str = path) -> None:
            response = client.get(path, headers=PAGE_HEADERS)
            if response.status_code != 200:
                raise BenchError(f"{path} answered {response.status_code} in process")
            response.close()

        cold = max(cold, count_statements(app, get))
        warm = max(warm, count_statements(app, get))
    return cold, warm


def buying_queries(app: Any, slug: str, sku: str) -> tuple[int, int]:
    """Statements for one add to cart and one checkout start (to the sandbox)."""
    client = app.test_client()
    page = client.get(f"/products/{slug}", headers={"Accept": "text/html"})
    token = _csrf(page.get_data(as_text=True))
    responses: list[int] = []

    def add() -> None:
        r = client.post("/cart/add", data={"csrf_token": token, "variant": sku, "quantity": "1"})
        responses.append(r.status_code)

    def checkout() -> None:
        responses.append(client.post("/checkout", data={"csrf_token": token}).status_code)

    counts = count_statements(app, add), count_statements(app, checkout)
    if responses != [303, 303]:
        raise BenchError(f"add to cart and checkout answered {responses} in process")
    return counts


def webhook_queries(app: Any, body: str, secret: str) -> tuple[int, int]:
    """Statements for the first delivery of an event and for a repeated one."""
    client = app.test_client()
    statuses: list[int] = []

    def post() -> None:
        headers = {"Stripe-Signature": sign(body, secret, int(time.time()))}
        r = client.post(
            "/stripe/webhook", data=body, headers=headers, content_type="application/json"
        )
        statuses.append(r.status_code)

    counts = count_statements(app, post), count_statements(app, post)
    if statuses != [200, 200]:
        raise BenchError(f"the webhook answered {statuses} in process")
    return counts


def webhook_events(stack: Stack, app: Any, limit: int) -> list[dict[str, Any]]:
    """Pay checkout sessions the buyers made, in the sandbox, holding the webhooks it would
    send; return those events (completed sessions and types the shop ignores)."""
    import sqlalchemy as sa

    from shop.extensions import db
    from shop.orders.models import Order, OrderStatus

    with app.app_context():
        sessions = list(
            db.session.scalars(
                sa.select(Order.stripe_session_id)
                .where(Order.status == OrderStatus.PENDING, Order.stripe_session_id.is_not(None))
                .order_by(Order.id)
                .limit(limit)
            )
        )
        db.session.remove()
    if not sessions:
        raise BenchError("the checkout phase left no Checkout Sessions to pay")
    _json(stack.sandbox_url + "/_sandbox/webhooks", {"mode": "hold"})
    for session_id in sessions:
        _json(f"{stack.sandbox_url}/_sandbox/sessions/{session_id}/pay", {})
    found = _json(stack.sandbox_url + "/_sandbox/events")["data"]
    return [e["event"] for e in found if e["event"]["data"]["object"].get("id")]


def measure(
    procs: Processes,
    engine: Engine,
    options: argparse.Namespace,
    report: EngineReport,
) -> None:
    """Serve one loaded database with caches on, then off, and fill the report's rows."""
    seconds, warmup, conns = options.duration, options.warmup, options.connections
    rows: dict[str, Row] = {
        "home": Row("home", min_ratio=CACHED_RATIO, check_queries=True),
        "catalogue": Row("catalogue (filtered)", min_ratio=UNCACHED_RATIO, check_queries=True),
        "category": Row("category", min_rps=OSCAR_CATEGORY, check_queries=True),
        "product": Row(
            "product", min_ratio=CACHED_RATIO, min_rps=OSCAR_PRODUCT, check_queries=True
        ),
        "answer": Row("answer", min_ratio=CACHED_RATIO, check_queries=True),
        "search": Row("search", min_ratio=UNCACHED_RATIO, check_queries=True),
        "add": Row("add to cart (POST)"),
        "checkout": Row("checkout start (POST)"),
        "webhook": Row("Stripe webhook (POST)"),
    }
    cache_off_pages = ("home", "catalogue", "category", "product", "answer")
    for key in cache_off_pages:
        rows[f"{key}-off"] = Row(f"{rows[key].label}, caches off", check_queries=True)
        rows[f"{key}-off"].min_ratio = UNCACHED_RATIO
    report.rows = list(rows.values())

    # ---- caches on
    stack, settings = start_stack(procs, engine, options, cache_off=False, tag="cached")
    app = in_process_app(engine, settings, cache_off=False)
    picks = pick(app, options.quick, conns)
    paths: dict[str, list[str]] = {
        "home": picks.home,
        "catalogue": picks.catalogue,
        "category": picks.category,
        "product": picks.product,
        "answer": picks.answer,
        "search": picks.search,
    }
    try:
        for key, urls in paths.items():
            print(f"  {rows[key].label}: {len(urls)} URLs", flush=True)
            failures = warm(stack.port, urls, 1 if key == "search" else 6, conns)
            if failures:
                raise BenchError(_failed(rows[key].label, failures, stack))
            file = engine.workdir / f"{key}.tsv"
            write_requests(file, [_request_line("GET", u, PAGE_HEADERS) for u in urls])
            run_wrk(procs, stack.base, file, warmup, conns)  # the same load, not counted
            rows[key].result = run_wrk(procs, stack.base, file, seconds, conns)
            report.rss_mb = max(report.rss_mb, worker_rss_mb(stack.master.pid))
            cold, warm_count = page_queries(app, urls)
            rows[key].query_count = warm_count
            rows[key].queries = (
                str(warm_count) if cold == warm_count else f"{warm_count} ({cold} cold)"
            )

        print(f"  add to cart + checkout: {len(picks.buy)} sizes, {conns} visitors", flush=True)
        add, checkout, made = run_buyers(
            stack.port, stack.sandbox_url, picks.buy, conns, warmup, seconds
        )
        rows["add"].result, rows["checkout"].result = add, checkout
        report.notes.append(f"{made} Checkout Sessions created in the sandbox")
        report.rss_mb = max(report.rss_mb, worker_rss_mb(stack.master.pid))

        events = webhook_events(stack, app, 60 if options.quick else 300)
        spare = [e for e in events if e["type"] == "checkout.session.completed"][-1]
        deliveries = [e for e in events if e is not spare]
        random.Random(7).shuffle(deliveries)  # noqa: S311 - a repeatable order
        completed = sum(e["type"] == "checkout.session.completed" for e in deliveries)
        print(
            f"  webhooks: {len(deliveries)} events ({completed} checkout.session.completed), "
            "each delivered again on every pass",
            flush=True,
        )
        first, again = webhook_queries(app, json.dumps(spare), stack.webhook_secret)
        rows["webhook"].queries = f"{again} ({first} first)"
        now = int(time.time())  # signed just before the run: Stripe's tolerance is 300 s
        lines = []
        for event in deliveries:
            body = json.dumps(event, separators=(",", ":"))
            headers = {
                "Content-Type": "application/json",
                "Stripe-Signature": sign(body, stack.webhook_secret, now),
            }
            lines.append(_request_line("POST", "/stripe/webhook", headers, body))
        file = write_requests(engine.workdir / "webhook.tsv", lines)
        rows["webhook"].result = run_wrk(procs, stack.base, file, seconds, conns)
        report.rss_mb = max(report.rss_mb, worker_rss_mb(stack.master.pid))

        add_q, checkout_q = buying_queries(app, *picks.buy[0])
        rows["add"].queries, rows["checkout"].queries = str(add_q), str(checkout_q)
    finally:
        _dispose(app)
        procs.stop_all()

    # ---- every cache off
    stack, settings = start_stack(procs, engine, options, cache_off=True, tag="nocache")
    if not stack.cache_honoured:
        report.notes.append(
            "the server ignored CACHE_TYPE=NullCache (its pages still carry the page cache's "
            "Last-Modified): the caches-off rows were measured with the cache on"
        )
    app = in_process_app(engine, settings, cache_off=True)
    try:
        for key in cache_off_pages:
            row = rows[f"{key}-off"]
            urls = paths[key]
            print(f"  {row.label}: {len(urls)} URLs", flush=True)
            failures = warm(stack.port, urls[:50], 1, conns)
            if failures:
                raise BenchError(_failed(row.label, failures, stack))
            file = engine.workdir / f"{key}-off.tsv"
            write_requests(file, [_request_line("GET", u, PAGE_HEADERS) for u in urls])
            run_wrk(procs, stack.base, file, warmup, conns)
            row.result = run_wrk(procs, stack.base, file, seconds, conns)
            report.rss_mb = max(report.rss_mb, worker_rss_mb(stack.master.pid))
            _, warm_count = page_queries(app, urls)
            row.query_count, row.queries = warm_count, str(warm_count)
    finally:
        _dispose(app)
        procs.stop_all()


def _dispose(app: Any) -> None:
    from shop.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def measure_hello(procs: Processes, workdir: Path, options: argparse.Namespace) -> dict[str, Row]:
    """Flask's hello world under the same gunicorn flags: sync (the ratios' base) and gthread."""
    rows = {}
    file = write_requests(workdir / "hello.tsv", [_request_line("GET", "/", PAGE_HEADERS)])
    for kind, extra in (("sync", ()), ("gthread", ("--worker-class=gthread", "--threads=4"))):
        port = free_port()
        log = workdir / f"hello-{kind}.log"
        args = gunicorn_args(port, "hello:app", options.workers, ("--pythonpath=scripts", *extra))
        master = procs.start(args, log, process_env({}))
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/", master, 60, log)
            run_wrk(procs, base, file, options.warmup, options.connections)
            row = Row(f"hello world ({kind})")
            row.result = run_wrk(procs, base, file, options.duration, options.connections)
            rows[kind] = row
        finally:
            procs.stop(master)
    return rows


# ---------------------------------------------------------------------------------------
# Databases


def sqlite_engine(workdir: Path) -> Engine:
    """A SQLite file in this run's folder."""
    folder = workdir / "sqlite"
    folder.mkdir()
    return Engine("sqlite", f"sqlite:///{folder / 'shop.db'}", folder)


def postgres_engine(workdir: Path) -> tuple[Engine | None, str | None]:
    """A throwaway database on the admin server, or the reason there is none."""
    admin = os.environ.get("SHOP_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    try:
        import psycopg
        from psycopg import sql
    except ImportError as exc:
        return None, f"psycopg is not installed ({exc})"
    name = f"shop_bench_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        return None, f"{_redact(admin)} cannot be reached: {str(exc).strip().splitlines()[0]}"

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    parts = urllib.parse.urlsplit(admin)
    url = urllib.parse.urlunsplit(parts._replace(path="/" + name))
    folder = workdir / "postgresql"
    folder.mkdir()
    return Engine("postgresql", url, folder, drop=drop), None


def _redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        host = parts.netloc.rsplit("@", 1)[1]
        return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
    return url


# ---------------------------------------------------------------------------------------
# Output


def machine() -> str:
    """The CPU count and model this ran on."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{len(os.sched_getaffinity(0))} {X} {model}"


def _load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except (OSError, IndexError):
        return "unknown"


def summary_lines(
    report: EngineReport, hello: dict[str, Row], rows_by_label: dict[str, Row]
) -> list[str]:
    """The lines under an engine's table: load time, memory, hello world, oscar's figures."""
    lines = []
    if report.load_seconds is not None:
        if report.engine == "SQLite":
            verdict = "PASS" if report.load_seconds <= MAX_LOAD_SECONDS else "FAIL"
            target = f" (target ≤ {MAX_LOAD_SECONDS} s: {verdict})"
        else:
            target = ""
        lines.append(f"demo load: {report.load_seconds:.1f} s{target}")
    if report.rss_mb:
        verdict = "PASS" if report.rss_mb <= MAX_RSS_MB else "FAIL"
        lines.append(
            f"worker memory: {report.rss_mb:.0f} MB RSS at most "
            f"(target ≤ {MAX_RSS_MB} MB: {verdict})"
        )
    else:
        lines.append("worker memory: not measured")
    sync, thread = hello.get("sync"), hello.get("gthread")
    if sync and sync.result and thread and thread.result:
        lines.append(
            f"hello world: {sync.result.rps:,.0f} req/s sync, {thread.result.rps:,.0f} req/s "
            f"gthread (4 threads); {X} hello is against sync"
        )
    oscar = []
    for label, need in (("product", OSCAR_PRODUCT), ("category", OSCAR_CATEGORY)):
        row = rows_by_label.get(label)
        if row and row.result:
            verdict = "PASS" if row.result.rps >= need else "FAIL"
            oscar.append(f"{label} {row.result.rps:,.0f} req/s vs {need:,} ({verdict})")
    if oscar:
        figures = f"20 {X} 95 and 100 {X} 5 req/s"
        lines.append(f"django-oscar's figures ({figures}): " + "; ".join(oscar))
    lines += report.notes
    return lines


def render(
    reports: Sequence[EngineReport],
    hello: dict[str, Row],
    options: argparse.Namespace,
    markdown: bool,
) -> str:
    """The whole result, for the terminal or for the README."""
    hello_rps = hello["sync"].result.rps if hello.get("sync") and hello["sync"].result else 0.0
    out = []
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out.append(
        f"{when} on {machine()} (load average {options.load_average} at the start); "
        f"wrk -t2 -c{options.connections} -d{options.duration:g}s, "
        f"gunicorn --workers={options.workers} (sync); {options.products:,} products, "
        f"{options.answers:,} answers, {options.links:,} links, {options.orders:,} orders."
    )
    for report in reports:
        out.append("")
        out.append(f"### {report.engine}" if markdown else f"== {report.engine} ==")
        if report.skipped:
            out.append("")
            out.append(f"Skipped: {report.skipped}")
            continue
        out.append("")
        cells = [row.cells(hello_rps) for row in report.rows]
        if markdown:
            out.append(markdown_table(COLUMNS, cells))
        else:
            out.append(text_table(COLUMNS, cells, right=frozenset({1, 2, 3, 4, 5, 7})))
        out.append("")
        by_label = {r.label: r for r in report.rows}
        for line in summary_lines(report, hello, by_label):
            out.append(f"- {line}" if markdown else line)
    return "\n".join(out)


def write_readme(text: str) -> None:
    """Put `text` between the bench markers in README.md."""
    replace_between(README, START_MARK, END_MARK, text)


# ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Read the command line (--quick shrinks the data and the runs)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--products", type=int)
    parser.add_argument("--answers", type=int)
    parser.add_argument("--links", type=int)
    parser.add_argument("--orders", type=int)
    parser.add_argument("--duration", type=float, help="seconds per measurement (10)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--no-readme", action="store_true", help="do not write README.md")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1,000 products and 3 s runs, to try it (implies --no-readme)",
    )
    options = parser.parse_args(argv)
    full = {"products": 10_000, "answers": 5_000, "links": 20_000, "orders": 50_000}
    small = {"products": 1_000, "answers": 500, "links": 2_000, "orders": 5_000}
    for key, value in (small if options.quick else full).items():
        if getattr(options, key) is None:
            setattr(options, key, value)
    if options.duration is None:
        options.duration = 3.0 if options.quick else 10.0
    options.warmup = 1.0 if options.quick else 2.0
    engines = [e.strip() for e in options.engines.split(",") if e.strip()]
    unknown = set(engines) - {"sqlite", "postgresql"}
    if unknown or not engines:
        parser.error(f"--engines takes sqlite and/or postgresql, not {', '.join(unknown)}")
    options.engine_list = engines
    if options.connections < 1:
        parser.error("--connections must be at least 1")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when it measured (targets may fail), 1 when something broke."""
    options = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (make bench installs Debian's wrk with apt)", file=sys.stderr)
        return 1
    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix="shop-bench-"))
    procs = Processes()
    reports: list[EngineReport] = []
    broken: list[str] = []
    hello: dict[str, Row] = {}
    started = time.monotonic()
    options.load_average = _load_average()
    with interrupts_as_keyboard():
        try:
            print("Hello world (sync, then gthread)", flush=True)
            hello = measure_hello(procs, workdir, options)
            for name in options.engine_list:
                if name == "sqlite":
                    engine: Engine | None = sqlite_engine(workdir)
                    reason = None
                else:
                    engine, reason = postgres_engine(workdir)
                report = EngineReport("SQLite" if name == "sqlite" else "PostgreSQL")
                reports.append(report)
                if engine is None:
                    report.skipped = reason
                    print(f"PostgreSQL skipped: {reason}", flush=True)
                    continue
                print(f"\n{engine.label}: loading the demo", flush=True)
                try:
                    report.load_seconds = load_demo(engine, options)
                    print(f"{engine.label}: demo load took {report.load_seconds:.1f} s", flush=True)
                    measure(procs, engine, options, report)
                except (
                    BenchError,
                    CommandFailed,
                    ServerDidNotStart,
                    subprocess.CalledProcessError,
                    OSError,
                ) as exc:
                    broken.append(f"{engine.label}: {exc}")
                    print(f"{engine.label} broke: {exc}", file=sys.stderr, flush=True)
                finally:
                    procs.stop_all()
                    if engine.drop is not None:
                        try:
                            engine.drop()
                        except Exception as exc:
                            print(f"could not drop the bench database: {exc}", file=sys.stderr)
        except KeyboardInterrupt:
            print("\nInterrupted; stopping everything.", file=sys.stderr)
            return 130
        except (BenchError, CommandFailed, ServerDidNotStart) as exc:
            print(f"The benchmark broke: {exc}", file=sys.stderr)
            return 1
        finally:
            procs.stop_all()
            shutil.rmtree(workdir, ignore_errors=True)

    hello_rps = hello["sync"].result.rps if hello["sync"].result else 0.0
    for report in reports:
        for row in report.rows:
            row.judge(hello_rps)
        for row in report.rows:
            if row.result is not None and row.result.error_count:
                detail = ", ".join(f"{k} {v}" for k, v in row.result.errors.items())
                examples = "; ".join(row.result.examples)
                broken.append(f"{report.engine} {row.label}: {detail} {examples}".rstrip())
    print()
    for kind in ("sync", "gthread"):
        row = hello[kind]
        if row.result:
            r = row.result
            print(
                f"hello world ({kind}): {r.rps:,.0f} req/s, p50 {r.p50_ms:.1f} ms, "
                f"p95 {r.p95_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, errors {r.error_count}"
            )
    print()
    print(render(reports, hello, options, markdown=False))
    print(f"\n({(time.monotonic() - started) / 60:.1f} minutes)")
    if broken:
        print("\nSomething broke:", file=sys.stderr)
        for line in broken:
            print(f"  {line}", file=sys.stderr)
        return 1
    if options.no_readme or options.quick:
        print("README.md not written (--no-readme or --quick).")
    else:
        write_readme(render(reports, hello, options, markdown=True))
        print("Wrote the table into README.md (## Speed).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
