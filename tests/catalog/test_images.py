"""Checking and storing product images: formats from the bytes, limits, sizes, metadata."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from shop.catalog import images
from shop.catalog.images import ImageNotSaved, ImageRejected


def picture(fmt: str = "PNG", size: tuple[int, int] = (1600, 900), **save: object) -> bytes:
    """A real image made in memory: a two-colour picture (so resizing has work to do)."""
    image = Image.new("RGB", size, (200, 120, 90))
    image.paste((30, 60, 200), (0, 0, size[0] // 2, size[1]))
    buffer = BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of width x height all-black pixels: a few KB that decode to a lot."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def _sizes(stored: images.StoredImage) -> list[tuple[int, int]]:
    found = []
    for file in stored.files:
        with Image.open(BytesIO(file.storage.read(file.key))) as image:
            found.append(image.size)
    return found


@pytest.mark.parametrize(("fmt", "suffix"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_an_image_is_stored_in_three_sizes(tmp_path: Path, fmt: str, suffix: str) -> None:
    stored = images.store_product_image(picture(fmt), tmp_path, 7)

    assert stored.path.startswith("products/7/")
    assert stored.path.endswith(f"-1200.{suffix}")
    assert (stored.width, stored.height) == (1200, 675)
    assert sorted(_sizes(stored)) == [(300, 169), (600, 338), (1200, 675)]
    assert all((tmp_path / f.key).parent == tmp_path / "products" / "7" for f in stored.files)
    with Image.open(tmp_path / stored.path) as main:
        assert main.format == fmt
    assert [f.key for f in images.copies_of(tmp_path, stored.path)] == sorted(
        f.key for f in stored.files
    )


def test_names_are_unguessable_and_never_reused(tmp_path: Path) -> None:
    first = images.store_product_image(picture(), tmp_path, 1)
    second = images.store_product_image(picture(), tmp_path, 1)
    assert first.path != second.path
    token = Path(first.path).stem.rpartition("-")[0]
    assert len(token) == 32


def test_a_small_image_is_never_upscaled(tmp_path: Path) -> None:
    stored = images.store_product_image(picture(size=(500, 250)), tmp_path, 1)
    assert (stored.width, stored.height) == (500, 250)
    assert sorted(_sizes(stored)) == [(300, 150), (500, 250)]


def test_exif_orientation_is_applied_and_metadata_dropped(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; show it rotated 90° clockwise
    exif[0x010F] = "Camera Maker"
    data = picture("JPEG", size=(800, 400), exif=exif.tobytes())

    stored = images.store_product_image(data, tmp_path, 1)

    assert (stored.width, stored.height) == (400, 800)
    for file in stored.files:
        with Image.open(tmp_path / file.key) as copy:
            assert "exif" not in copy.info
            assert not copy.getexif()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"just some text, not a picture\n" * 20, id="text"),
        pytest.param(picture("GIF", size=(40, 40)), id="gif"),
        pytest.param(picture("PNG")[:200], id="truncated-png"),
    ],
)
def test_what_is_not_jpeg_png_or_webp_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(ImageRejected, match="not a JPEG, PNG or WebP"):
        images.store_product_image(data, tmp_path, 1)
    assert not (tmp_path / "products").exists()


def test_more_than_five_megabytes_is_refused_before_decoding(tmp_path: Path) -> None:
    # A valid PNG followed by padding: an image a browser would open, but too big a file.
    data = picture("PNG", size=(100, 100)) + b"\0" * (5 * 1024 * 1024)
    with pytest.raises(ImageRejected, match="larger than 5 MB"):
        images.read_upload(BytesIO(data))
    with pytest.raises(ImageRejected, match="larger than 5 MB"):
        images.store_product_image(data, tmp_path, 1)
    assert images.read_upload(BytesIO(data[: images.MAX_BYTES])) == data[: images.MAX_BYTES]


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(20_000, 20_000, id="400-megapixels"),  # Pillow's own bomb error
        pytest.param(8_000, 6_000, id="48-megapixels"),  # Pillow only warns: refused too
    ],
)
def test_decompression_bombs_are_refused(tmp_path: Path, width: int, height: int) -> None:
    data = bomb_png(width, height)
    assert len(data) < 200_000
    with pytest.raises(ImageRejected, match="too large in pixels"):
        images.store_product_image(data, tmp_path, 1)


def test_a_write_failure_removes_what_was_written(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file where the media folder should be")
    with pytest.raises(ImageNotSaved, match="disk is full or not writable"):
        images.store_product_image(picture(), blocker / "media", 1)


def test_a_failure_after_the_first_copy_leaves_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = Path.open
    calls = {"n": 0}

    def failing_open(self: Path, mode: str = "r", *args: object, **kwargs: object) -> object:
        if mode == "xb":
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError(28, "No space left on device")
        return real_open(self, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", failing_open)
    with pytest.raises(ImageNotSaved):
        images.store_product_image(picture(), tmp_path, 3)
    assert calls["n"] == 2
    assert list((tmp_path / "products" / "3").iterdir()) == []


def test_copies_of_a_file_this_module_did_not_name_is_just_that_file(tmp_path: Path) -> None:
    (tmp_path / "products").mkdir()
    for name in ("barrier-cream.svg", "barrier-serum.svg"):
        (tmp_path / "products" / name).write_text("<svg/>")
    assert [f.key for f in images.copies_of(tmp_path, "products/barrier-cream.svg")] == [
        "products/barrier-cream.svg"
    ]
