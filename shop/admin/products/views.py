"""The product editor's pages: one form page for a new product, one edit page per product.

The edit page is one form: the product's own fields, every size, a row for a new size,
every image's alt text (or its removal) and an upload, saved by one button as one unit of
work. Everything is validated first; a refused value is shown beside its field and
nothing is saved. The form carries the version of the product and of each size the page
showed; if either moved since, the whole save is refused with 409 and what was typed is
kept, so staff are never told "saved" while something they typed was dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    ImageForm,
    NewSizeForm,
    ProductForm,
    SizeForm,
    UploadForm,
    split_ingredients,
)
from shop.admin.products.queries import taxonomy
from shop.catalog import images, services
from shop.catalog.models import Product, ProductImage, ProductStatus, Variant
from shop.catalog.services import (
    ImageEdit,
    NewImage,
    PageEdit,
    ProductFields,
    Saved,
    VariantEdit,
    VariantFields,
)
from shop.catalog.tax_codes import default_tax_code
from shop.core.errors import DomainError, FieldError, RecordChanged
from shop.core.markdown import render_markdown
from shop.core.money import format_major
from shop.core.storage import StorageError, media_storage, media_url
from shop.extensions import db

bp = Blueprint("products", __name__, url_prefix="/products")

AUDIT_ROWS = 50
PREVIEWED = ("description", "how_to_use")
Page = tuple[str, int]
CHANGED_SINCE = (
    "Someone else saved this product or one of its sizes after you opened this page, so "
    "nothing was saved. What you typed is still in the form below; the sizes show their "
    "current prices, and Staff changes at the bottom shows what was changed. "
    "Save again to replace their changes with what is in the form."
)
NOT_SAVED = "Nothing was saved: correct the fields marked below"
RESTORE_HINT = "To bring it back, set its status to Draft or Active above and save."


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
                "tax_code": product.tax_code or "",
                "version": product.version,
            },
        )
    found = taxonomy()
    form.set_choices(found.brands, found.categories, found.concerns, _statuses(product))
    form.tax_code.description = (
        f"Stripe's product tax code, txcd_ and 8 digits. Leave empty for the shop default, "
        f"{default_tax_code()}."
    )
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
        tax_code=str(form.tax_code.data or "") or None,
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


@dataclass
class EditPage:
    """The forms of a product's edit page, posted and saved together."""

    product: ProductForm
    sizes: dict[int, SizeForm]
    new_size: NewSizeForm
    images: dict[int, ImageForm]
    upload: UploadForm
    posted_sizes: set[int]

    def parts(self, product: Product) -> list[tuple[str, Any]]:
        """Every form with the words that name it in the page's list of problems."""
        named: list[tuple[str, Any]] = [("", self.product)]
        named += [(f"Size {v.sku}", self.sizes[v.id]) for v in product.variants]
        named.append(("New size", self.new_size))
        named += [(f"Image {n}", self.images[i.id]) for n, i in enumerate(product.images, 1)]
        named.append(("Upload", self.upload))
        return named

    def cover(self, product: Product) -> None:
        """Add fresh forms for sizes and images added since the page was posted."""
        for variant in product.variants:
            if variant.id not in self.sizes:
                self.sizes[variant.id] = _size_form(variant)
        for image in product.images:
            if image.id not in self.images:
                self.images[image.id] = _image_form(image)

    def validate(self) -> bool:
        """Validate every part (all of them, so every problem is shown at once)."""
        results = [self.product.validate_on_submit()]
        # A size not on the posted page (added since) is not validated: the save is refused.
        results += [self.sizes[i].validate() for i in sorted(self.posted_sizes)]
        results += [self.new_size.validate(), self.upload.validate()]
        results += [form.validate() for form in self.images.values()]
        return all(results)

    def part_of(self, exc: FieldError) -> Any:
        """The form a refusal from the service belongs to."""
        kind, _, number = exc.part.partition(":")
        if kind == "variant":
            return self.sizes.get(int(number), self.product)
        if kind == "image":
            return self.images.get(int(number), self.product)
        return {"new_variant": self.new_size, "upload": self.upload}.get(kind, self.product)


def _size_form(variant: Variant) -> SizeForm:
    return SizeForm(
        formdata=None,
        prefix=f"size{variant.id}",
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
            "version": variant.version,
        },
    )


def _image_form(image: ProductImage) -> ImageForm:
    return ImageForm(formdata=None, prefix=f"image{image.id}", data={"alt_text": image.alt_text})


def _edit_page(product: Product, *, bound: bool) -> EditPage:
    """The page's forms, from the request (`bound`) or from what is stored."""
    posted: set[int] = set()
    sizes: dict[int, SizeForm] = {}
    for variant in product.variants:
        prefix = f"size{variant.id}"
        if bound and f"{prefix}-version" in request.form:
            sizes[variant.id] = SizeForm(prefix=prefix, currency=variant.currency)
            posted.add(variant.id)
        else:
            # Not on the page that was posted (added since): shown as stored.
            sizes[variant.id] = _size_form(variant)
    image_forms = {
        i.id: ImageForm(prefix=f"image{i.id}") if bound else _image_form(i) for i in product.images
    }
    formdata: dict[str, Any] = {} if bound else {"formdata": None}
    return EditPage(
        product=_product_form(product, bound=bound),
        sizes=sizes,
        new_size=NewSizeForm(
            prefix="new_size",
            currency=_currency(),
            data={"position": len(product.variants)},
            **formdata,
        ),
        images=image_forms,
        upload=UploadForm(prefix="upload", **formdata),
        posted_sizes=posted,
    )


def _keep_typed_but_current(page: EditPage, product: Product) -> None:
    """After a refused stale save: keep what was typed, at the versions now stored.

    The refusal has been shown; saving again is a choice made knowing someone else saved.
    """
    page.cover(product)
    fields = [(page.product.version, product.version)]
    fields += [(page.sizes[v.id].version, v.version) for v in product.variants]
    for field, version in fields:
        field.data = version
        field.raw_data = [str(version)]


def _render_edit(
    product: Product,
    page: EditPage,
    *,
    conflict: bool = False,
    typed: bool = False,
    status: int = 200,
) -> Page:
    """The edit page with `page`'s forms (fresh, or as posted with their errors).

    `typed`: the forms hold values that are not saved (a preview, a refusal, a conflict).
    """
    page.cover(product)
    parts = page.parts(product)
    return render_template(
        "admin/products/edit.html",
        product=product,
        page=page,
        form=page.product,
        previews=_previews(page.product),
        parts=parts,
        has_problems=any(f.errors or f.form_errors for _, f in parts),
        not_saved=NOT_SAVED,
        restore_hint=RESTORE_HINT,
        currency=_currency(),
        copies={i.id: _srcset(i) for i in product.images},
        conflict=CHANGED_SINCE if conflict else None,
        typed=typed or conflict or status != 200,
        audit_entries=audit.entries("product", product.id, limit=AUDIT_ROWS),
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


def _saved(product_id: int, message: str) -> BaseResponse:
    flash(message, "success")
    return redirect(url_for("admin.products.edit", product_id=product_id), code=303)


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


def _variant_fields(form: SizeForm) -> VariantFields:
    return VariantFields(
        sku=str(form.sku.data),
        size_label=str(form.size_label.data or ""),
        price=form.minor("price") or 0,
        compare_at_price=form.minor("compare_at_price"),
        position=int(form.position.data or 0),
    )


def _page_edit(page: EditPage) -> PageEdit:
    """What the page asks to change besides the product's fields (after validation)."""
    upload = None
    if page.upload.has_file():
        upload = NewImage(
            data=images.read_upload(page.upload.image.data.stream),
            alt_text=str(page.upload.alt_text.data or ""),
            media=media_storage(),
        )
    return PageEdit(
        variants=[
            VariantEdit(variant_id, int(form.version.data), _variant_fields(form))
            for variant_id, form in page.sizes.items()
            if variant_id in page.posted_sizes
        ],
        new_variant=_variant_fields(page.new_size) if page.new_size.is_started() else None,
        currency=_currency(),
        images=[
            ImageEdit(image_id, str(form.alt_text.data or ""), bool(form.remove.data))
            for image_id, form in page.images.items()
        ],
        upload=upload,
    )


@dataclass(frozen=True)
class _Before:
    """The product page's values before a save, for the audit entries."""

    product: dict[str, Any]
    status: ProductStatus
    variants: dict[int, dict[str, Any]]
    alt_texts: dict[int, str]

    @classmethod
    def of(cls, product: Product) -> _Before:
        return cls(
            product=services.product_snapshot(product),
            status=product.status,
            variants={v.id: services.variant_snapshot(v) for v in product.variants},
            alt_texts={i.id: i.alt_text for i in product.images},
        )


def _product_action(before: ProductStatus, after: ProductStatus) -> str:
    if after is ProductStatus.ARCHIVED and before is not ProductStatus.ARCHIVED:
        return "product.archive"
    if before is ProductStatus.ARCHIVED and after is not ProductStatus.ARCHIVED:
        return "product.restore"
    return "product.update"


def _audit_save(before: _Before, saved: Saved) -> int:
    """An audit entry for each part the save changed; returns how many were written."""
    product, actor, pid = saved.product, _actor(), saved.product.id
    written = 0

    def record(action: str, summary: str, **values: Any) -> None:
        nonlocal written
        audit.record(*actor, action, "product", pid, summary, **values)
        written += 1

    old, new_values = services.changes(before.product, services.product_snapshot(product))
    if new_values:
        record(
            _product_action(before.status, product.status),
            f"Edited “{product.name}”: " + ", ".join(new_values),
            before=old,
            after=new_values,
        )
    for variant in product.variants:
        if variant.id not in before.variants:
            continue
        old, new_values = services.changes(
            before.variants[variant.id], services.variant_snapshot(variant)
        )
        if new_values:
            record(
                "product.variant_edit",
                f"Edited variant {variant.sku}: " + ", ".join(new_values),
                before={"variant_id": variant.id, **old},
                after={"variant_id": variant.id, **new_values},
            )
    if saved.new_variant is not None:
        record(
            "product.variant_add",
            f"Added variant {saved.new_variant.sku} to “{product.name}”",
            after=services.variant_snapshot(saved.new_variant),
        )
    for image in product.images:
        old_alt = before.alt_texts.get(image.id)
        if old_alt is not None and old_alt != image.alt_text:
            record(
                "product.image_alt",
                f"Changed the alt text of image {image.path}",
                before={"image_id": image.id, "alt_text": old_alt},
                after={"image_id": image.id, "alt_text": image.alt_text},
            )
    for image in saved.removed_images:
        record(
            "product.image_delete",
            f"Removed image {image.path}",
            before={"image_id": image.id, "path": image.path, "alt_text": image.alt_text},
        )
    if saved.new_image is not None:
        image = saved.new_image
        record(
            "product.image_add",
            f"Added image {image.path} ({image.width}x{image.height})",
            after={"image_id": image.id, "path": image.path, "alt_text": image.alt_text},
        )
    return written


def _message(saved: Saved) -> str:
    product = saved.product
    parts = [f"“{product.name}” was saved"]
    if saved.new_variant is not None:
        parts.append(f"the new size {saved.new_variant.sku} starts with 0 in stock")
    if saved.new_image is not None:
        parts.append("the image was added")
    if saved.removed_images:
        count = len(saved.removed_images)
        parts.append("1 image was removed" if count == 1 else f"{count} images were removed")
    message = "; ".join(parts) + "."
    if product.status is ProductStatus.ARCHIVED:
        message += " It is archived: it is no longer shown or sold."
    return message


@bp.route("/<int:product_id>", methods=["GET", "POST"])
@role_required(StaffRole.EDITOR)
def edit(product_id: int) -> Page | BaseResponse:
    """A product's edit page; POST saves the whole page at once ("Preview" only shows it)."""
    product = _product_or_404(product_id)
    if request.method == "GET":
        return _render_edit(product, _edit_page(product, bound=False))
    page = _edit_page(product, bound=True)
    action = request.form.get("action", "save")
    if action == "preview":
        return _render_edit(product, page, typed=True)
    if not page.validate():
        return _render_edit(product, page, status=400)
    if page.product.version.data is None:
        page.product.form_errors.append("This form has lost its version; reload the page.")
        return _render_edit(product, page, status=400)
    before = _Before.of(product)
    fields = _fields(page.product)
    if action == "archive":
        fields.status = ProductStatus.ARCHIVED
    saved: Saved | None = None
    try:
        saved = services.update_product(
            product_id, int(page.product.version.data), fields, _page_edit(page)
        )
        if not _audit_save(before, saved):
            audit.record(
                *_actor(),
                "product.update",
                "product",
                product_id,
                f"Saved “{saved.product.name}” without changes",
            )
        message = _message(saved)
        removed = [i.path for i in saved.removed_images]
        db.session.commit()
    except RecordChanged:
        db.session.rollback()
        product = _product_or_404(product_id)
        _keep_typed_but_current(page, product)
        return _render_edit(product, page, conflict=True, status=409)
    except FieldError as exc:
        db.session.rollback()
        _field_error(page.part_of(exc), exc)
        return _render_edit(_product_or_404(product_id), page, status=400)
    except images.ImageNotSaved as exc:
        db.session.rollback()
        current_app.logger.exception("Product image not written")
        page.upload.image.errors = [*page.upload.image.errors, exc.message]
        return _render_edit(_product_or_404(product_id), page, status=500)
    except images.ImageRejected as exc:
        db.session.rollback()
        page.upload.image.errors = [*page.upload.image.errors, exc.message]
        return _render_edit(_product_or_404(product_id), page, status=400)
    except DomainError as exc:
        db.session.rollback()
        page.product.form_errors.append(exc.message)
        return _render_edit(_product_or_404(product_id), page, status=400)
    except BaseException:
        db.session.rollback()
        if saved is not None and saved.new_image is not None:
            images.remove_copies(media_storage(), saved.new_image.path)
        raise
    # Files go only once the rows are gone for good; a failed commit keeps both.
    for path in removed:
        images.remove_copies(media_storage(), path)
    return _saved(product_id, message)
