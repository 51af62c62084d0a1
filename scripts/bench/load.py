"""Load runs: wrk with the rotating request script, and a small Python client for what
wrk cannot do alone (warming every URL into the page cache)."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from serving import ROOT, Processes

LUA = ROOT / "scripts" / "bench_requests.lua"

# What a browser sends with a page request (the shop gzips text when it is accepted).
PAGE_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Encoding": "gzip, deflate, br",
}


class BenchError(Exception):
    """Something broke: the run cannot be trusted (as opposed to a target that failed)."""


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


def request_line(method: str, path: str, headers: dict[str, str], body: str = "") -> str:
    """One line of a request file: method, path, headers and body, tab-separated."""
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
