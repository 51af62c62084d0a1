"""SQL statements per request, counted in process with the test client."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from .buyers import csrf_token, sign
from .load import PAGE_HEADERS, BenchError

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


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
    token = csrf_token(page.get_data(as_text=True))
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
