"""The product editor's pages: one form page for a new product, one edit page per product.

The edit page holds several small forms (the product, each variant, a new variant, each
image, an upload, archive or restore); each posts to its own URL and carries the product
version the page showed. A save from an older page is refused with 409 and the current
version, so a second editor never overwrites the first one's work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from shop.accounts.decorators import role_required
from shop.accounts.models import StaffRole
from shop.admin import audit
from shop.admin.preview import PREVIEW_MAX
from shop.admin.products.forms import (
    ImageAltForm,
    ImageUploadForm,
    ProductForm,
    RestoreForm,
    VariantForm,
    VersionForm,
    split_ingredients,
)
from shop.admin.products.queries import taxonomy
from shop.catalog import images, services
from shop.catalog.models import Product, ProductImage, ProductStatus, Variant
from shop.catalog.services import FieldError, ProductFields, RecordChanged, VariantFields
from shop.core.errors import DomainError, NotFound
from shop.core.markdown import render_markdown
from shop.core.money import format_major
from shop.core.storage import StorageError, media_storage, media_url
from shop.extensions import db

bp = Blueprint("admin_products", __name__, url_prefix="/admin/products")

AUDIT_ROWS = 50
PREVIEWED = ("description", "how_to_use")
Page = tuple[str, int]


def _actor() -> tuple[int, str]:
    return int(current_user.id), str(current_user.email)


def _currency() -> str:
    return str(current_app.config["SHOP_CURRENCY"])


def _product_or_404(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        abort(404, description="There is no product with that number.")
    return product


def _statuses(product: Product | None) -> list[ProductStatus]:
    # Archiving has its own button; an archived product keeps "archived" until restored.
    statuses = [ProductStatus.DRAFT, ProductStatus.ACTIVE]
    if product is not None and product.status is ProductStatus.ARCHIVED:
        statuses.append(ProductStatus.ARCHIVED)
    return statuses


def _product_form(product: Product | None, *, bound: bool) -> ProductForm:
    """The product form, from the request (`bound`) or from the stored product."""
    if bound:
        form = ProductForm()
    elif product is None:
        form = ProductForm(formdata=None, data={"status": ProductStatus.DRAFT.value})
    else:
        form = ProductForm(
            formdata=None,
            data={
                "name": product.name,
                "slug": product.slug,
                "brand": product.brand_id,
                "category": product.category_id,
                "status": product.status.value,
                "featured_rank": product.featured_rank,
                "skin_types": list(product.skin_types or []),
                "key_ingredients": "\n".join(product.key_ingredients or []),
                "concerns": [c.id for c in product.concerns],
                "description": product.description,
                "how_to_use": product.how_to_use,
                "seo_title": product.seo_title or "",
                "seo_description": product.seo_description or "",
                "version": product.version,
            },
        )
    found = taxonomy()
    form.set_choices(found.brands, found.categories, found.concerns, _statuses(product))
    return form


def _fields(form: ProductForm) -> ProductFields:
    return ProductFields(
        name=str(form.name.data or ""),
        slug=str(form.slug.data or ""),
        brand_id=int(form.brand.data),
        category_id=int(form.category.data),
        status=ProductStatus(form.status.data),
        featured_rank=form.featured_rank.data,
        skin_types=list(form.skin_types.data or []),
        key_ingredients=split_ingredients(str(form.key_ingredients.data or "")),
        concern_ids=[int(c) for c in form.concerns.data or []],
        description=str(form.description.data or ""),
        how_to_use=str(form.how_to_use.data or ""),
        seo_title=str(form.seo_title.data or "") or None,
        seo_description=str(form.seo_description.data or "") or None,
    )


def _previews(form: ProductForm) -> dict[str, Markup | str]:
    """The Markdown fields rendered as the storefront shows them (or why they are not)."""
    out: dict[str, Markup | str] = {}
    for name in PREVIEWED:
        text = str(form[name].data or "")
        out[name] = (
            render_markdown(text)
            if len(text) <= PREVIEW_MAX
            else f"Too long to preview: at most {PREVIEW_MAX:,} characters."
        )
    return out


def _field_error(form: Any, exc: FieldError) -> None:
    if exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _variant_form(variant: Variant, version: int) -> VariantForm:
    return VariantForm(
        formdata=None,
        prefix=f"variant{variant.id}",
        currency=variant.currency,
        data={
            "sku": variant.sku,
            "size_label": variant.size_label,
            "price": format_major(variant.price, variant.currency),
            "compare_at_price": (
                format_major(variant.compare_at_price, variant.currency)
                if variant.compare_at_price is not None
                else ""
            ),
            "position": variant.position,
            "version": version,
        },
    )


def _render_edit(
    product_id: int,
    *,
    product_form: ProductForm | None = None,
    variant_forms: dict[int, VariantForm] | None = None,
    new_variant: VariantForm | None = None,
    upload: ImageUploadForm | None = None,
    alt_forms: dict[int, ImageAltForm] | None = None,
    action_form: Any = None,
    conflict: bool = False,
    status: int = 200,
) -> Page:
    """The edit page; forms passed in (bound, with errors) replace their fresh versions."""
    product = _product_or_404(product_id)
    version = product.version
    form = product_form or _product_form(product, bound=False)
    variants = {
        v.id: (variant_forms or {}).get(v.id) or _variant_form(v, version) for v in product.variants
    }
    fresh = {"version": version}
    return render_template(
        "admin/products/edit.html",
        product=product,
        form=form,
        previews=_previews(form),
        variant_forms=variants,
        new_variant=new_variant
        or VariantForm(
            formdata=None,
            prefix="variant",
            currency=_currency(),
            data={**fresh, "position": len(product.variants)},
        ),
        upload=upload or ImageUploadForm(formdata=None, prefix="upload", data=fresh),
        alt_forms={
            i.id: (alt_forms or {}).get(i.id)
            or ImageAltForm(
                formdata=None, prefix=f"image{i.id}", data={**fresh, "alt_text": i.alt_text}
            )
            for i in product.images
        },
        delete_forms={
            i.id: VersionForm(formdata=None, prefix=f"delete{i.id}", data=fresh)
            for i in product.images
        },
        archive_form=VersionForm(formdata=None, prefix="archive", data=fresh),
        restore_form=action_form
        if isinstance(action_form, RestoreForm)
        else RestoreForm(formdata=None, prefix="restore", data=fresh),
        action_errors=list(action_form.errors.values()) if action_form is not None else [],
        copies={i.id: _srcset(i) for i in product.images},
        conflict=services.RECORD_CHANGED if conflict else None,
        audit_entries=audit.entries("product", product_id, limit=AUDIT_ROWS),
    ), status


def _srcset(image: ProductImage) -> str:
    """`srcset` of an uploaded image's copies (empty for a single file or unreachable storage)."""
    try:
        files = images.copies_of(media_storage(), image.path)
    except (StorageError, ValueError):
        current_app.logger.warning("Copies of %s not listed", image.path, exc_info=True)
        return ""
    if len(files) < 2:
        return ""
    parts = []
    for file in files:
        width = file.key.rpartition("-")[2].partition(".")[0]
        parts.append(f"{media_url(file.key)} {width}w")
    return ", ".join(parts)


def _conflict(product_id: int) -> Page:
    db.session.rollback()
    return _render_edit(product_id, conflict=True, status=409)


def _saved(product_id: int, message: str) -> BaseResponse:
    flash(message, "success")
    return redirect(url_for("admin_products.edit", product_id=product_id), code=303)


def _apply(
    product_id: int, form: Any, slot: dict[str, Any], change: Callable[[], str]
) -> Page | BaseResponse:
    """Run one change to a product (service call and audit entry) as one unit of work.

    Commit and flash the message `change` returns; or roll back and show the edit page
    again: 409 when someone saved first, 400 with the refusal on `form` (put back in
    `slot` of the page), 404 when what it names is gone.
    """
    try:
        message = change()
        db.session.commit()
    except NotFound as exc:
        db.session.rollback()
        abort(404, description=exc.message)
    except RecordChanged:
        return _conflict(product_id)
    except FieldError as exc:
        db.session.rollback()
        _field_error(form, exc)
        return _render_edit(product_id, **slot, status=400)
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return _render_edit(product_id, **slot, status=400)
    return _saved(product_id, message)


@bp.route("/new", methods=["GET", "POST"])
@role_required(StaffRole.EDITOR)
def new() -> Page | BaseResponse:
    """The form for a new product; POST creates it (or, with "Preview", only shows the copy)."""
    posted = request.method == "POST"
    form = _product_form(None, bound=posted)
    if not posted or request.form.get("action") == "preview":
        return _render_new(form, 200)
    if not form.validate_on_submit():
        return _render_new(form, 400)
    try:
        product = services.create_product(_fields(form))
        audit.record(
            *_actor(),
            "product.create",
            "product",
            product.id,
            f"Created “{product.name}” ({product.slug}) as {product.status.value}",
            after=services.product_snapshot(product),
        )
        product_id, name = product.id, product.name
        db.session.commit()
    except FieldError as exc:
        db.session.rollback()
        _field_error(form, exc)
        return _render_new(form, 400)
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return _render_new(form, 400)
    return _saved(product_id, f"“{name}” was created. Now add its sizes and images.")


def _render_new(form: ProductForm, status: int) -> Page:
    return render_template("admin/products/new.html", form=form, previews=_previews(form)), status


@bp.route("/<int:product_id>", methods=["GET", "POST"])
@role_required(StaffRole.EDITOR)
def edit(product_id: int) -> Page | BaseResponse:
    """A product's edit page; POST saves the product form (or, with "Preview", only shows)."""
    product = _product_or_404(product_id)
    if request.method == "GET":
        return _render_edit(product_id)
    form = _product_form(product, bound=True)
    if request.form.get("action") == "preview":
        return _render_edit(product_id, product_form=form)
    if not form.validate_on_submit():
        return _render_edit(product_id, product_form=form, status=400)
    if form.version.data is None:
        form.form_errors.append("This form has lost its version; reload the page.")
        return _render_edit(product_id, product_form=form, status=400)
    before = services.product_snapshot(product)
    version = int(form.version.data)

    def change() -> str:
        saved = services.update_product(product_id, version, _fields(form))
        old, new_values = services.changes(before, services.product_snapshot(saved))
        audit.record(
            *_actor(),
            "product.update",
            "product",
            product_id,
            f"Edited “{saved.name}”: " + (", ".join(new_values) or "saved without changes"),
            before=old,
            after=new_values,
        )
        return f"“{saved.name}” was saved."

    return _apply(product_id, form, {"product_form": form}, change)


@bp.post("/<int:product_id>/archive")
@role_required(StaffRole.EDITOR)
def archive(product_id: int) -> Page | BaseResponse:
    """Archive a product: off sale and out of the shop, kept for the orders that name it."""
    _product_or_404(product_id)
    form = VersionForm(prefix="archive")
    if not form.validate_on_submit():
        return _render_edit(product_id, action_form=form, status=400)

    def change() -> str:
        product = services.archive_product(product_id, int(form.version.data))
        audit.record(
            *_actor(),
            "product.archive",
            "product",
            product_id,
            f"Archived “{product.name}”",
            after={"status": product.status.value},
        )
        return f"“{product.name}” is archived: it is no longer shown or sold."

    return _apply(product_id, form, {"action_form": form}, change)


@bp.post("/<int:product_id>/restore")
@role_required(StaffRole.EDITOR)
def restore(product_id: int) -> Page | BaseResponse:
    """Bring an archived product back as a draft or as active."""
    _product_or_404(product_id)
    form = RestoreForm(prefix="restore")
    if not form.validate_on_submit():
        return _render_edit(product_id, action_form=form, status=400)

    def change() -> str:
        product = services.restore_product(
            product_id, int(form.version.data), ProductStatus(form.status.data)
        )
        audit.record(
            *_actor(),
            "product.restore",
            "product",
            product_id,
            f"Restored “{product.name}” as {product.status.value}",
            before={"status": ProductStatus.ARCHIVED.value},
            after={"status": product.status.value},
        )
        return f"“{product.name}” is restored as {product.status.value}."

    return _apply(product_id, form, {"action_form": form}, change)


def _variant_fields(form: VariantForm) -> VariantFields:
    return VariantFields(
        sku=str(form.sku.data),
        size_label=str(form.size_label.data or ""),
        price=form.minor("price") or 0,
        compare_at_price=form.minor("compare_at_price"),
        position=int(form.position.data or 0),
    )


@bp.post("/<int:product_id>/variants")
@role_required(StaffRole.EDITOR)
def add_variant(product_id: int) -> Page | BaseResponse:
    """Add a size to a product; its stock starts at 0 and is set on the stock screen."""
    _product_or_404(product_id)
    currency = _currency()
    form = VariantForm(prefix="variant", currency=currency)
    if not form.validate_on_submit():
        return _render_edit(product_id, new_variant=form, status=400)

    def change() -> str:
        variant = services.add_variant(
            product_id, int(form.version.data), _variant_fields(form), currency
        )
        audit.record(
            *_actor(),
            "product.variant_add",
            "product",
            product_id,
            f"Added variant {variant.sku} to “{variant.product.name}”",
            after=services.variant_snapshot(variant),
        )
        return f"Variant {variant.sku} was added with 0 in stock."

    return _apply(product_id, form, {"new_variant": form}, change)


@bp.post("/<int:product_id>/variants/<int:variant_id>")
@role_required(StaffRole.EDITOR)
def edit_variant(product_id: int, variant_id: int) -> Page | BaseResponse:
    """Change a variant's SKU, size, prices or position (never its stock)."""
    product = _product_or_404(product_id)
    variant = next((v for v in product.variants if v.id == variant_id), None)
    if variant is None:
        abort(404, description="This product has no variant with that number.")
    form = VariantForm(prefix=f"variant{variant_id}", currency=variant.currency)
    if not form.validate_on_submit():
        return _render_edit(product_id, variant_forms={variant_id: form}, status=400)
    before = services.variant_snapshot(variant)

    def change() -> str:
        saved = services.update_variant(
            product_id, variant_id, int(form.version.data), _variant_fields(form)
        )
        old, new_values = services.changes(before, services.variant_snapshot(saved))
        audit.record(
            *_actor(),
            "product.variant_edit",
            "product",
            product_id,
            f"Edited variant {saved.sku}: " + (", ".join(new_values) or "no changes"),
            before={"variant_id": variant_id, **old},
            after={"variant_id": variant_id, **new_values},
        )
        return f"Variant {saved.sku} was saved."

    return _apply(product_id, form, {"variant_forms": {variant_id: form}}, change)


@bp.post("/<int:product_id>/images")
@role_required(StaffRole.EDITOR)
def upload_image(product_id: int) -> Page | BaseResponse:
    """Upload an image (checked from its bytes), stored in three sizes, with its alt text."""
    _product_or_404(product_id)
    form = ImageUploadForm(prefix="upload")
    if not form.validate_on_submit():
        return _render_edit(product_id, upload=form, status=400)
    storage = media_storage()
    try:
        data = images.read_upload(form.image.data.stream)
        image = services.add_image(
            product_id,
            int(form.version.data),
            data,
            str(form.alt_text.data),
            storage,
        )
    except RecordChanged:
        return _conflict(product_id)
    except FieldError as exc:
        db.session.rollback()
        _field_error(form, exc)
        return _render_edit(product_id, upload=form, status=400)
    except images.ImageNotSaved as exc:
        db.session.rollback()
        current_app.logger.exception("Product image not written to %s", storage)
        form.image.errors = [*form.image.errors, exc.message]
        return _render_edit(product_id, upload=form, status=500)
    except DomainError as exc:
        db.session.rollback()
        form.image.errors = [*form.image.errors, exc.message]
        return _render_edit(product_id, upload=form, status=400)
    try:
        audit.record(
            *_actor(),
            "product.image_add",
            "product",
            product_id,
            f"Added image {image.path} ({image.width}x{image.height})",
            after={"image_id": image.id, "path": image.path, "alt_text": image.alt_text},
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        images.remove_copies(storage, image.path)
        raise
    return _saved(product_id, "The image was added.")


@bp.post("/<int:product_id>/images/<int:image_id>")
@role_required(StaffRole.EDITOR)
def edit_image(product_id: int, image_id: int) -> Page | BaseResponse:
    """Change an image's alt text."""
    _product_or_404(product_id)
    form = ImageAltForm(prefix=f"image{image_id}")
    if not form.validate_on_submit():
        return _render_edit(product_id, alt_forms={image_id: form}, status=400)

    def change() -> str:
        image = services.update_image_alt(
            product_id, image_id, int(form.version.data), str(form.alt_text.data)
        )
        audit.record(
            *_actor(),
            "product.image_alt",
            "product",
            product_id,
            f"Changed the alt text of image {image.path}",
            after={"image_id": image_id, "alt_text": image.alt_text},
        )
        return "The alt text was saved."

    return _apply(product_id, form, {"alt_forms": {image_id: form}}, change)


@bp.post("/<int:product_id>/images/<int:image_id>/delete")
@role_required(StaffRole.EDITOR)
def delete_image(product_id: int, image_id: int) -> Page | BaseResponse:
    """Remove an image from the product and its files from the media storage."""
    _product_or_404(product_id)
    form = VersionForm(prefix=f"delete{image_id}")
    if not form.validate_on_submit():
        return _render_edit(product_id, action_form=form, status=400)
    try:
        image = services.delete_image(product_id, image_id, int(form.version.data))
        path = image.path
        audit.record(
            *_actor(),
            "product.image_delete",
            "product",
            product_id,
            f"Removed image {path}",
            before={"image_id": image_id, "path": path, "alt_text": image.alt_text},
        )
        db.session.commit()
    except NotFound as exc:
        db.session.rollback()
        abort(404, description=exc.message)
    except RecordChanged:
        return _conflict(product_id)
    # Files go only once the row is gone for good; a failed commit keeps both.
    images.remove_copies(media_storage(), path)
    return _saved(product_id, "The image was removed.")
