"""The catalogue: brands, categories, skin concerns, products, variants, images."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the storefront pages, the header's categories, image `srcset`s, the tables the
    page cache watches and the `catalog` commands."""
    from shop.catalog.cli import catalog_cli
    from shop.catalog.images import sized_copies
    from shop.catalog.models import (
        Brand,
        Category,
        Product,
        ProductImage,
        SkinConcern,
        Variant,
        product_concerns,
    )
    from shop.catalog.queries import categories
    from shop.catalog.views import bp
    from shop.core.assets import set_image_copies
    from shop.core.pagecache import watch_tables
    from shop.core.templating import add_template_values

    app.register_blueprint(bp)
    add_template_values(app, nav_categories=categories)
    set_image_copies(app, sized_copies)
    watch_tables(
        app,
        Brand.__tablename__,
        Category.__tablename__,
        product_concerns.name,
        ProductImage.__tablename__,
        Product.__tablename__,
        SkinConcern.__tablename__,
        Variant.__tablename__,
    )
    app.cli.add_command(catalog_cli)
