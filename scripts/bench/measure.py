"""One engine measured page by page (caches on, then off), and hello world beside it."""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

from serving import Processes, free_port, gunicorn_args, process_env, wait_until_up

from .buyers import purchasing, run_buyers, sandbox_json, sign
from .data import dispose_app, in_process_app, pick
from .load import PAGE_HEADERS, BenchError, request_line, run_wrk, warm, write_requests
from .queries import buying_queries, page_queries, webhook_queries
from .report import CACHED_RATIO, OSCAR_CATEGORY, OSCAR_PRODUCT, UNCACHED_RATIO, EngineReport, Row
from .servers import Engine, Stack, start_stack, warm_failure, worker_rss_mb


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
    sandbox_json(stack.sandbox_url + "/_sandbox/webhooks", {"mode": "hold"})
    for session_id in sessions:
        sandbox_json(f"{stack.sandbox_url}/_sandbox/sessions/{session_id}/pay", {})
    found = sandbox_json(stack.sandbox_url + "/_sandbox/events")["data"]
    return [e["event"] for e in found if e["event"]["data"]["object"].get("id")]


# The pages a shared answer's readers land on, measured again during the spike.
SPIKE_PAGES = {"home": "home", "product": "product", "answer": "answer", "search": "search"}


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
        **{
            f"{key}-busy": Row(f"{label}, one purchase a second")
            for key, label in SPIKE_PAGES.items()
        },
        "add": Row("add to cart (POST)"),
        "checkout": Row("checkout start (POST)"),
        "webhook": Row("Stripe webhook (POST)"),
    }
    for key in SPIKE_PAGES:
        rows[f"{key}-busy"].busy_of = rows[key]
        rows[f"{key}-busy"].min_ratio = rows[key].min_ratio
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
                raise BenchError(warm_failure(rows[key].label, failures, stack))
            file = engine.workdir / f"{key}.tsv"
            write_requests(file, [request_line("GET", u, PAGE_HEADERS) for u in urls])
            run_wrk(procs, stack.base, file, warmup, conns)  # the same load, not counted
            rows[key].result = run_wrk(procs, stack.base, file, seconds, conns)
            report.rss_mb = max(report.rss_mb, worker_rss_mb(stack.master.pid))
            cold, warm_count = page_queries(app, urls)
            rows[key].query_count = warm_count
            rows[key].queries = (
                str(warm_count) if cold == warm_count else f"{warm_count} ({cold} cold)"
            )

        # The spike: the same pages while a customer completes one purchase a second.
        for key in SPIKE_PAGES:
            row = rows[f"{key}-busy"]
            print(f"  {row.label}", flush=True)
            file = engine.workdir / f"{key}.tsv"
            with purchasing(stack.port, stack.sandbox_url, picks.buy) as purchaser:
                run_wrk(procs, stack.base, file, warmup, conns)
                row.result = run_wrk(procs, stack.base, file, seconds, conns)
            if purchaser.errors or not purchaser.completed:
                raise BenchError(
                    f"{row.label}: {purchaser.completed} purchases completed, "
                    f"{len(purchaser.errors)} failed: {purchaser.errors[:3]}"
                )
            report.notes.append(f"{row.label}: {purchaser.completed} purchases completed")

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
            lines.append(request_line("POST", "/stripe/webhook", headers, body))
        file = write_requests(engine.workdir / "webhook.tsv", lines)
        rows["webhook"].result = run_wrk(procs, stack.base, file, seconds, conns)
        report.rss_mb = max(report.rss_mb, worker_rss_mb(stack.master.pid))

        add_q, checkout_q = buying_queries(app, *picks.buy[0])
        rows["add"].queries, rows["checkout"].queries = str(add_q), str(checkout_q)
    finally:
        dispose_app(app)
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
                raise BenchError(warm_failure(row.label, failures, stack))
            file = engine.workdir / f"{key}-off.tsv"
            write_requests(file, [request_line("GET", u, PAGE_HEADERS) for u in urls])
            run_wrk(procs, stack.base, file, warmup, conns)
            row.result = run_wrk(procs, stack.base, file, seconds, conns)
            report.rss_mb = max(report.rss_mb, worker_rss_mb(stack.master.pid))
            _, warm_count = page_queries(app, urls)
            row.query_count, row.queries = warm_count, str(warm_count)
    finally:
        dispose_app(app)
        procs.stop_all()


def measure_hello(procs: Processes, workdir: Path, options: argparse.Namespace) -> dict[str, Row]:
    """Flask's hello world under the same gunicorn flags: sync (the ratios' base) and gthread."""
    rows = {}
    file = write_requests(workdir / "hello.tsv", [request_line("GET", "/", PAGE_HEADERS)])
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
