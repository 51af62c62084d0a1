"""The table: each row's targets and verdict, the lines under it, and README.md's copy."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from serving import ROOT, markdown_table, replace_between, text_table

from .load import Result

README = ROOT / "README.md"
START_MARK, END_MARK = "<!-- bench:start -->", "<!-- bench:end -->"

# The targets, from one run.
CACHED_RATIO = 0.5  # product, answer and home pages, caches on
UNCACHED_RATIO = 0.1  # the same with every cache off, the filtered catalogue and search
OSCAR_PRODUCT = 20 * 95  # django-oscar's figures: product page req/s ...
OSCAR_CATEGORY = 100 * 5  # ... and category page req/s
TAIL = 5  # p99 at most this many times p50
BUSY_RATIO = 0.8  # a page while one purchase a second completes, against its quiet rate
MAX_QUERIES = 8
MAX_RSS_MB = 150
MAX_LOAD_SECONDS = 60  # demo load on SQLite
X = "\u00d7"  # the multiplication sign, in the table


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
    busy_of: Row | None = None  # the same page measured quiet, for a spike row
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
        if self.busy_of is not None and self.busy_of.result is not None:
            quiet = self.busy_of.result.rps
            self.checks.append((f"≥{BUSY_RATIO:g}{X} quiet", result.rps >= BUSY_RATIO * quiet))
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


def machine() -> str:
    """The CPU count and model this ran on."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{len(os.sched_getaffinity(0))} {X} {model}"


def load_average() -> str:
    """The machine's one-minute load average, as /proc says it."""
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
    for row in report.rows:
        if row.busy_of and row.result and row.busy_of.result and row.busy_of.result.rps:
            quiet, busy = row.busy_of.result, row.result
            lines.append(
                f"spike, {row.busy_of.label}: {quiet.rps:,.0f} req/s quiet, {busy.rps:,.0f} "
                f"while one purchase a second completes ({busy.rps / quiet.rps:.2f}{X}); "
                f"p99 {quiet.p99_ms:.0f} ms quiet, {busy.p99_ms:.0f} ms busy"
            )
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
