"""Product images: check an upload, and store resized, metadata-free copies in the media storage.

What a file is comes from its bytes (Pillow opens and verifies it), never from its name or
the Content-Type the browser sent. Only JPEG, PNG and WebP are accepted, at most 5 MB and
40 megapixels (a small file can decode to gigabytes: a "decompression bomb"). The EXIF
orientation is applied and every other piece of metadata (EXIF with its GPS position,
XMP, text chunks) is left out of the copies; the colour profile is kept.

Copies are stored as ``products/<product id>/<random token>-<width>.<ext>``, one per size
in `SIZES` (never larger than the original); the largest is the main copy the
`ProductImage` row points to, and the others sit beside it for a `srcset`. They go through
`shop.core.storage` (MEDIA_ROOT or a bucket): every copy is written before the row, and a
failure on the way removes the copies already written.
"""

from __future__ import annotations

import logging
import re
import secrets
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

from shop.core.errors import DomainError
from shop.core.storage import LocalStorage, Storage, StorageError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
SIZES = (1200, 600, 300)
TOKEN_RE = re.compile(r"[0-9a-f]{32}")
# Pillow's format name -> (file suffix, save options).
FORMATS: dict[str, tuple[str, dict[str, object]]] = {
    "JPEG": ("jpg", {"quality": 85, "optimize": True, "progressive": True}),
    "PNG": ("png", {"optimize": True}),
    "WEBP": ("webp", {"quality": 85, "method": 4}),
}
NOT_AN_IMAGE = "The file is not a JPEG, PNG or WebP image; choose a photo in one of those formats."
TOO_LARGE = (
    "The image is larger than 5 MB; make it smaller (e.g. 2000 pixels wide) and upload it again."
)
TOO_MANY_PIXELS = (
    "The image is too large in pixels (at most 40 megapixels, e.g. 8000 x 5000); "
    "make it smaller and upload it again."
)
NOT_SAVED_BECAUSE = (
    "The image could not be saved ({reason}). Nothing was changed; "
    "please try again later or tell the shop's administrator."
)
NOT_SAVED = NOT_SAVED_BECAUSE.format(reason=LocalStorage.write_failure)
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}

log = logging.getLogger(__name__)

# Pillow warns above this many pixels and refuses above twice as many; we refuse both.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageRejected(DomainError):
    """The upload is not an image we accept."""


class ImageNotSaved(DomainError):
    """The image was fine but the storage did not take its copies."""

    def __init__(self, message: str = NOT_SAVED) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class StoredFile:
    """One file in a media storage."""

    storage: Storage
    key: str


@dataclass(frozen=True)
class StoredImage:
    """The written copies: the main one's key (its path under /media/) and size, every file."""

    path: str
    width: int
    height: int
    files: tuple[StoredFile, ...]


def _storage(target: Storage | Path) -> Storage:
    """A storage as it is; a folder as local storage in it."""
    return target if isinstance(target, Storage) else LocalStorage(target)


def read_upload(stream: IO[bytes]) -> bytes:
    """Read an uploaded file, refusing it once it passes 5 MB (nothing more is read)."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImageRejected(TOO_LARGE)
    if not data:
        raise ImageRejected("The file is empty; choose a JPEG, PNG or WebP image.")
    return data


def _open_checked(data: bytes) -> tuple[Image.Image, str]:
    """Open the bytes as an accepted image, fully decoded, with orientation applied."""
    if len(data) > MAX_BYTES:
        raise ImageRejected(TOO_LARGE)
    with warnings.catch_warnings():
        # A bomb between 40 and 80 megapixels only warns; make that a refusal too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data)) as probe:
                kind = str(probe.format)
                if kind not in FORMATS:
                    raise ImageRejected(NOT_AN_IMAGE)
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise ImageRejected(TOO_MANY_PIXELS)
                probe.verify()
            # verify() leaves the image unusable: open it again to decode it.
            image = Image.open(BytesIO(data))
            image.load()
            upright = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected(TOO_MANY_PIXELS) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageRejected(NOT_AN_IMAGE) from exc
    return upright, kind


def _normalised(image: Image.Image, kind: str) -> Image.Image:
    """Convert to a mode that resizes smoothly and that the output format can hold."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if kind == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    return image.convert("RGBA" if has_alpha else "RGB")


def _target_sizes(width: int, height: int) -> list[tuple[int, int]]:
    """The copies' sizes, largest first, never upscaled, without duplicates."""
    long_side = max(width, height)
    sizes: list[tuple[int, int]] = []
    for target in sorted({min(t, long_side) for t in SIZES}, reverse=True):
        scale = target / long_side
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if size not in sizes:
            sizes.append(size)
    return sizes


def _encode(image: Image.Image, kind: str, icc_profile: bytes | None) -> bytes:
    buffer = BytesIO()
    options = dict(FORMATS[kind][1])
    if icc_profile:
        options["icc_profile"] = icc_profile
    image.save(buffer, format=kind, **options)
    return buffer.getvalue()


def encode_copies(data: bytes) -> tuple[str, list[tuple[int, int, bytes]]]:
    """Check the upload and encode its copies: (suffix, [(width, height, bytes), ...])."""
    image, kind = _open_checked(data)
    icc = image.info.get("icc_profile")
    icc_profile = icc if isinstance(icc, bytes) else None
    base = _normalised(image, kind)
    copies = []
    try:
        for width, height in _target_sizes(*base.size):
            resized = (
                base
                if (width, height) == base.size
                else base.resize((width, height), Image.Resampling.LANCZOS)
            )
            # A fresh info dict: nothing of the original's metadata is written out.
            resized.info = {}
            copies.append((width, height, _encode(resized, kind, icc_profile)))
    except (OSError, ValueError) as exc:
        raise ImageRejected(NOT_AN_IMAGE) from exc
    return FORMATS[kind][0], copies


def store_product_image(data: bytes, storage: Storage | Path, product_id: int) -> StoredImage:
    """Check the upload and store its copies; on a failure remove what was written.

    `storage` is the media storage, or a folder to write into (local storage there).
    """
    target = _storage(storage)
    suffix, copies = encode_copies(data)
    folder = f"products/{product_id}"
    token = secrets.token_hex(16)
    written: list[StoredFile] = []
    try:
        for width, _height, payload in copies:
            # The name is new and random, so nothing is ever overwritten.
            key = f"{folder}/{token}-{width}.{suffix}"
            target.save(key, payload, CONTENT_TYPES[suffix])
            written.append(StoredFile(target, key))
    except StorageError as exc:
        remove_files(written)
        raise ImageNotSaved(NOT_SAVED_BECAUSE.format(reason=target.write_failure)) from exc
    main_width, main_height, _ = copies[0]
    return StoredImage(
        path=f"{folder}/{token}-{main_width}.{suffix}",
        width=main_width,
        height=main_height,
        files=tuple(written),
    )


def copies_of(storage: Storage | Path, path: str) -> list[StoredFile]:
    """Every size stored for the image whose main copy is `path`, sorted by key.

    Raises StorageError when the storage cannot be listed.
    """
    target = _storage(storage)
    folder, _slash, name = path.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    token, _sep, width = stem.rpartition("-")
    # Only names this module made have sibling sizes; anything else is one file.
    if not (dot and TOKEN_RE.fullmatch(token) and width.isdigit()):
        return [StoredFile(target, path)]
    prefix = f"{folder}/{token}-" if folder else f"{token}-"
    return [
        StoredFile(target, key)
        for key in target.list_keys(prefix)
        if key.endswith(f".{suffix}") and key[len(prefix) : -len(suffix) - 1].isdigit()
    ]


def sized_copies(storage: Storage, path: str) -> list[tuple[str, int]]:
    """List the image's copies as (key, width), the width read from each copy's name.

    Raises StorageError when the storage cannot be listed.
    """
    found = []
    for copy in copies_of(storage, path):
        width = copy.key.rpartition("-")[2].partition(".")[0]
        if width.isdigit():
            found.append((copy.key, int(width)))
    return found


def remove_files(files: Iterable[StoredFile]) -> None:
    """Remove files, logging (never raising) those the storage would not remove."""
    for file in files:
        try:
            file.storage.delete(file.key)
        except (StorageError, ValueError):
            log.warning("Media file %s left in %s", file.key, file.storage, exc_info=True)


def remove_copies(storage: Storage | Path, path: str) -> None:
    """Remove every size of the image whose main copy is `path`; failures are only logged."""
    try:
        files = copies_of(storage, path)
    except (StorageError, ValueError):
        log.warning("Copies of %s not listed for removal", path, exc_info=True)
        return
    remove_files(files)
