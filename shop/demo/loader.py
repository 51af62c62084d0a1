"""Build the demo shop: the curated catalogue from catalog.toml, or a large synthetic one.

The curated catalogue is what `make run` shows: fictional brands and products with copy
written for this project and images drawn as SVG. `--products N` adds generated products
until the shop holds N, for benchmarks (past orders: `shop/demo/orders.py`).
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from shop.catalog.models import (
    Brand,
    Category,
    Product,
    ProductImage,
    ProductStatus,
    SkinConcern,
    Variant,
    product_concerns,
)
from shop.core.models import utcnow
from shop.core.slugs import slugify
from shop.core.storage import storage_at
from shop.demo.images import draw_product_svg
from shop.extensions import db
from shop.inventory.services import create_stock_records

CATALOG_FILE = Path(__file__).with_name("catalog.toml")
BATCH = 500


class DemoLoadError(ValueError):
    """The demo data asked for cannot be built on what the database holds."""


@dataclass
class LoadResult:
    concerns: int = 0
    categories: int = 0
    brands: int = 0
    products: int = 0
    variants: int = 0
    images: int = 0


def read_catalog(path: Path = CATALOG_FILE) -> dict[str, Any]:
    """Read the curated demo catalogue."""
    with path.open("rb") as fh:
        return tomllib.load(fh)


def shop_is_empty() -> bool:
    """Tell whether the shop has no products yet (demo data loads only into an empty shop)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


def write_svg(media_root: Path, relative: str, svg: str) -> None:
    """Store a drawn picture through the media storage: the app's bucket when one is
    configured, else the folder `media_root`."""
    storage_at(media_root).save(relative, svg.encode("utf-8"), "image/svg+xml")


def _alt_text(name: str, brand: str, shape: str) -> str:
    return f"{name} by {brand}: a {shape} in the brand's colours"


def load_taxonomy(
    data: dict[str, Any], result: LoadResult
) -> tuple[dict[str, Brand], dict[str, Category], dict[str, SkinConcern]]:
    """Create the concerns, categories and brands of the curated catalogue."""
    concerns = {
        c["slug"]: SkinConcern(slug=c["slug"], name=c["name"], description=c["description"])
        for c in data["concerns"]
    }
    categories = {
        c["slug"]: Category(
            slug=c["slug"],
            name=c["name"],
            description=c["description"],
            position=c.get("position", 0),
        )
        for c in data["categories"]
    }
    brands = {
        b["slug"]: Brand(slug=b["slug"], name=b["name"], description=b["description"])
        for b in data["brands"]
    }
    db.session.add_all([*concerns.values(), *categories.values(), *brands.values()])
    db.session.flush()
    result.concerns, result.categories, result.brands = len(concerns), len(categories), len(brands)
    return brands, categories, concerns


def load_curated(
    media_root: Path, currency: str, limit: int | None = None, data: dict[str, Any] | None = None
) -> LoadResult:
    """Create the curated demo catalogue (at most `limit` products)."""
    data = data or read_catalog()
    result = LoadResult()
    brands, categories, concerns = load_taxonomy(data, result)
    colours = {b["slug"]: b["colour"] for b in data["brands"]}
    now = utcnow()
    opening: list[tuple[int, int]] = []
    items = data["products"][:limit] if limit is not None else data["products"]
    for index, item in enumerate(items):
        brand = brands[item["brand"]]
        # Stagger creation dates so "newest" has a believable order.
        created = now - timedelta(days=3 * index + 1)
        product = Product(
            slug=item["slug"],
            name=item["name"],
            brand=brand,
            category=categories[item["category"]],
            status=ProductStatus(item.get("status", "active")),
            featured_rank=item.get("featured"),
            skin_types=list(item["skin_types"]),
            key_ingredients=list(item["key_ingredients"]),
            description=item["description"].strip(),
            how_to_use=item["how_to_use"].strip(),
            seo_description=item.get("seo_description"),
            created_at=created,
            updated_at=created,
        )
        product.concerns = [concerns[c] for c in item["concerns"]]
        db.session.add(product)
        db.session.flush()
        for position, v in enumerate(item["variants"]):
            variant = Variant(
                product_id=product.id,
                sku=v["sku"],
                size_label=v["size"],
                price=v["price"],
                compare_at_price=v.get("compare_at"),
                currency=currency,
                position=position,
            )
            db.session.add(variant)
            db.session.flush()
            opening.append((variant.id, v["stock"]))
            result.variants += 1
        shape = item.get("shape", "bottle")
        relative = f"products/{product.slug}.svg"
        first_size = item["variants"][0]["size"] if item["variants"] else None
        write_svg(
            media_root,
            relative,
            draw_product_svg(product.name, brand.name, colours[brand.slug], shape, first_size),
        )
        db.session.add(
            ProductImage(
                product_id=product.id,
                path=relative,
                alt_text=_alt_text(product.name, brand.name, shape),
            )
        )
        result.products += 1
        result.images += 1
    create_stock_records(opening, reason="initial")
    db.session.flush()
    return result


# Words for generated products: believable, clearly synthetic in bulk.
_ADJECTIVES = [
    "Gentle",
    "Daily",
    "Calming",
    "Clarifying",
    "Hydrating",
    "Brightening",
    "Renewing",
    "Balancing",
    "Soothing",
    "Restoring",
    "Nourishing",
    "Smoothing",
    "Protective",
    "Light",
]
_INGREDIENTS = [
    "Niacinamide",
    "Ceramide",
    "Peptide",
    "Azelaic",
    "Retinal",
    "Squalane",
    "Panthenol",
    "Vitamin C",
    "Centella",
    "Urea",
    "Lactic",
    "Mandelic",
    "Zinc",
    "Bakuchiol",
]
_FORMS = {
    "cleansers": "Cleanser",
    "serums": "Serum",
    "moisturisers": "Cream",
    "sunscreen": "Fluid SPF 50",
    "treatments": "Treatment",
    "eye-care": "Eye Cream",
    "body-care": "Body Lotion",
    "masks": "Mask",
}
_SHAPES = ["bottle", "jar", "tube", "pump", "dropper", "spray"]
_SIZES = [("15 ml", 0.6), ("30 ml", 1.0), ("50 ml", 1.4), ("100 ml", 2.1), ("200 ml", 3.2)]


def _synthetic_rows(
    count: int, start: int, brand_ids: list[int], category_slugs: dict[int, str], rng: random.Random
) -> Iterator[dict[str, Any]]:
    category_ids = list(category_slugs)
    now = utcnow()
    for n in range(start, start + count):
        category_id = rng.choice(category_ids)
        form = _FORMS.get(category_slugs[category_id], "Essential")
        name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_INGREDIENTS)} {form} No. {n}"
        created = now - timedelta(minutes=n)
        yield {
            "slug": slugify(name),
            "name": name,
            "brand_id": rng.choice(brand_ids),
            "category_id": category_id,
            "status": ProductStatus.ACTIVE,
            "featured_rank": None,
            "skin_types": rng.sample(["normal", "dry", "oily", "combination", "sensitive"], 2),
            "key_ingredients": rng.sample(_INGREDIENTS, 3),
            "description": f"A generated product for load testing, number {n}.",
            "how_to_use": "Apply a small amount to clean skin.",
            "seo_title": None,
            "seo_description": None,
            "created_at": created,
            "updated_at": created,
        }


def load_synthetic(
    total: int,
    media_root: Path,
    currency: str,
    progress: Callable[[int], None] | None = None,
    seed: int = 7,
) -> LoadResult:
    """Grow the catalogue to `total` products with generated ones, in bulk batches."""
    result = LoadResult()
    rng = random.Random(seed)
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Product)) or 0
    missing = max(0, total - have)
    brands = db.session.execute(sa.select(Brand.id, Brand.name, Brand.slug)).all()
    category_slugs = {
        row.id: row.slug for row in db.session.execute(sa.select(Category.id, Category.slug))
    }
    concern_ids = list(db.session.scalars(sa.select(SkinConcern.id)))
    if not brands or not category_slugs:
        raise DemoLoadError("Load the curated taxonomy first.")
    colours = {b["slug"]: b["colour"] for b in read_catalog()["brands"]}
    # A handful of shared pictures (one per brand and shape) keeps 10,000 products light on disk.
    shared: dict[tuple[int, str], str] = {}
    for brand_id, brand_name, brand_slug in brands:
        for shape in _SHAPES:
            relative = f"synthetic/{brand_slug}-{shape}.svg"
            colour = colours.get(brand_slug, "#2f6f6a")
            write_svg(media_root, relative, draw_product_svg(brand_name, brand_name, colour, shape))
            shared[(brand_id, shape)] = relative
    brand_names = {b[0]: b[1] for b in brands}
    done = 0
    while done < missing:
        size = min(BATCH, missing - done)
        rows = list(
            _synthetic_rows(size, have + done + 1, [b[0] for b in brands], category_slugs, rng)
        )
        ids = list(
            db.session.scalars(
                sa.insert(Product).returning(Product.id, sort_by_parameter_order=True), rows
            )
        )
        variant_rows: list[dict[str, Any]] = []
        image_rows: list[dict[str, Any]] = []
        concern_rows: list[dict[str, Any]] = []
        for product_id, row in zip(ids, rows, strict=True):
            base = rng.randrange(1200, 6500, 100)
            for position, (label, factor) in enumerate(
                sorted(rng.sample(_SIZES, rng.randint(1, 3)))
            ):
                variant_rows.append(
                    {
                        "product_id": product_id,
                        "sku": f"GEN-{product_id}-{position}",
                        "size_label": label,
                        "price": int(base * factor) // 100 * 100 + 99,
                        "compare_at_price": None,
                        "currency": currency,
                        "position": position,
                    }
                )
            shape = rng.choice(_SHAPES)
            image_rows.append(
                {
                    "product_id": product_id,
                    "path": shared[(row["brand_id"], shape)],
                    "alt_text": _alt_text(row["name"], brand_names[row["brand_id"]], shape),
                    "width": 600,
                    "height": 600,
                    "position": 0,
                }
            )
            concern_rows.extend(
                {"product_id": product_id, "concern_id": c}
                for c in rng.sample(concern_ids, min(2, len(concern_ids)))
            )
        variant_ids = list(
            db.session.scalars(
                sa.insert(Variant).returning(Variant.id, sort_by_parameter_order=True), variant_rows
            )
        )
        db.session.execute(sa.insert(ProductImage), image_rows)
        if concern_rows:
            db.session.execute(sa.insert(product_concerns), concern_rows)
        create_stock_records([(vid, rng.choice([0, 2, 8, 25, 60, 120])) for vid in variant_ids])
        result.products += size
        result.variants += len(variant_ids)
        result.images += size
        done += size
        if progress is not None:
            progress(size)
    db.session.flush()
    return result
