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

    make bench BENCH_ARGS="[--quick] [--engines sqlite,postgresql] [--no-readme]"

which runs `PYTHONPATH=scripts .venv/bin/python -m bench ...` from the repository root.

PostgreSQL: the admin connection is SHOP_BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test); a database `shop_bench_<hex>` is created on it
and dropped at the end. When the server cannot be reached, PostgreSQL is skipped with the
reason.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from serving import ROOT, CommandFailed, Processes, ServerDidNotStart, interrupts_as_keyboard

from .data import load_demo
from .load import BenchError
from .measure import measure, measure_hello
from .report import EngineReport, Row, load_average, render, write_readme
from .servers import Engine, postgres_engine, sqlite_engine


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Read the command line (--quick shrinks the data and the runs)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=(__doc__ or "").splitlines()[0]
    )
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
    options.load_average = load_average()
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
