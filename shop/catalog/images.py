"""Product images: check an upload, and write resized, metadata-free copies under MEDIA_ROOT.

What a file is comes from its bytes (Pillow opens and verifies it), never from its name or
the Content-Type the browser sent. Only JPEG, PNG and WebP are accepted, at most 5 MB and
40 megapixels (a small file can decode to gigabytes: a "decompression bomb"). The EXIF
orientation is applied and every other piece of metadata (EXIF with its GPS position,
XMP, text chunks) is left out of the copies; the colour profile is kept.

Copies are written as ``products/<product id>/<random token>-<width>.<ext>``, one per size
in `SIZES` (never larger than the original); the largest is the main copy the
`ProductImage` row points to, and the others sit beside it for a `srcset`.
"""

from __future__ import annotations

import contextlib
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
NOT_SAVED = (
    "The image could not be saved (the disk is full or not writable). Nothing was changed; "
    "please try again later or tell the shop's administrator."
)

# Pillow warns above this many pixels and refuses above twice as many; we refuse both.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageRejected(DomainError):
    """The upload is not an image we accept."""


class ImageNotSaved(DomainError):
    """The image was fine but its files could not be written."""

    def __init__(self, message: str = NOT_SAVED) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class StoredImage:
    """The written copies: the main one's path (relative to MEDIA_ROOT) and size, every file."""

    path: str
    width: int
    height: int
    files: tuple[Path, ...]


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


def store_product_image(data: bytes, media_root: Path, product_id: int) -> StoredImage:
    """Check the upload and write its copies; on a write failure remove what was written."""
    suffix, copies = encode_copies(data)
    relative_dir = Path("products") / str(product_id)
    token = secrets.token_hex(16)
    written: list[Path] = []
    try:
        target_dir = Path(media_root) / relative_dir
        target_dir.mkdir(parents=True, exist_ok=True)
        for width, _height, payload in copies:
            target = target_dir / f"{token}-{width}.{suffix}"
            # "x": never overwrite; the name is new and random.
            with target.open("xb") as fh:
                written.append(target)
                fh.write(payload)
    except OSError as exc:
        remove_files(written)
        raise ImageNotSaved() from exc
    main_width, main_height, _ = copies[0]
    return StoredImage(
        path=(relative_dir / f"{token}-{main_width}.{suffix}").as_posix(),
        width=main_width,
        height=main_height,
        files=tuple(written),
    )


def copies_of(media_root: Path, path: str) -> list[Path]:
    """Every size written for the image whose main copy is `path` (relative to MEDIA_ROOT)."""
    main = Path(media_root) / path
    token, _sep, width = main.stem.rpartition("-")
    # Only names this module made have sibling sizes; anything else is one file.
    if not (TOKEN_RE.fullmatch(token) and width.isdigit()):
        return [main]
    return sorted(
        p for p in main.parent.glob(f"{token}-*{main.suffix}") if p.stem[len(token) + 1 :].isdigit()
    )


def remove_files(paths: Iterable[Path]) -> None:
    """Remove files, ignoring those already gone or that cannot be removed."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
