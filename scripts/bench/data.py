"""The data measured: the scaled demo loaded through `flask demo load`, the shop app in
this process on the same database, and the URLs the load rotates through."""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import time
import urllib.parse
import warnings
from dataclasses import dataclass
from typing import Any

from serving import ROOT, VENV_BIN, process_env

from .load import BenchError
from .servers import Engine, shop_settings


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


def dispose_app(app: Any) -> None:
    """Close the in-process app's database connections."""
    from shop.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
