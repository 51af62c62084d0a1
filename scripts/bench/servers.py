"""The servers under test: a throwaway database per engine, the Stripe sandbox and the
shop under gunicorn with production settings, and its workers' memory."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from serving import (
    Processes,
    free_port,
    gunicorn_args,
    process_env,
    start_stripe_sandbox,
    tail,
    wait_until_up,
)

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


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


def start_stack(
    procs: Processes, engine: Engine, options: argparse.Namespace, cache_off: bool, tag: str
) -> tuple[Stack, dict[str, str]]:
    """Start the sandbox and the shop under gunicorn; return them and the shop's settings."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    secret = "whsec_" + secrets.token_hex(16)
    log = engine.workdir / f"sandbox-{tag}.log"
    sandbox_url = start_stripe_sandbox(procs, log, f"{base}/stripe/webhook", secret)
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


def warm_failure(label: str, failures: Sequence[str], stack: Stack) -> str:
    """What to say when pages failed while warming: a few of them and the server's log."""
    return (
        f"{label}: {len(failures)} failed, e.g. {failures[:3]}\n"
        f"the end of {stack.log.name}:\n{tail(stack.log)}"
    )


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
