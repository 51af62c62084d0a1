"""Media storage: the local folder and an S3-compatible bucket, alone and behind the shop.

The bucket is a real S3-compatible server over HTTP: moto's standalone server, started as
a subprocess on a free loopback port (once per test process), each test in a bucket of its
own. The S3 tests skip, saying why, only when that server cannot start.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from shop import create_app
from shop.accounts.models import StaffRole, StaffUser
from shop.catalog import images, services
from shop.catalog.models import Product, ProductImage
from shop.core.errors import ConfigError
from shop.core.storage import (
    InvalidKey,
    LocalStorage,
    MissingMedia,
    S3Storage,
    Storage,
    StorageError,
    init_storage,
    media_storage,
    media_url,
    storage_at,
)
from shop.demo import loader
from tests.admin.test_products import _picture, _save, _upload
from tests.catalog.test_images import picture
from tests.conftest import skip_or_fail
from tests.factories import make_product
from tests.fixtures_staff import sign_in
from tests.html import visible_text

MakeStaff = Callable[..., StaffUser]
KEY_ID, SECRET = "testing-key-id", "testing-secret"
BAD_KEYS = [
    "",
    "/etc/passwd",
    "../secret_key",
    "products/../../secret_key",
    "products/./a.png",
    "products//a.png",
    "products/",
    ".hidden.png",
    "products/.a.png",
    "products\\a.png",
    "products/a b.png",
    "products/a%2e%2e.png",
    "products/\x00.png",
    "a/" * 300 + "b.png",
]


# --- the two back ends, one contract ----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-compatible server on loopback, for this test process."""
    port = _free_port()
    try:
        server = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        skip_or_fail(f"moto's S3 server could not start: {exc}")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if server.poll() is not None:
            _out, err = server.communicate()
            skip_or_fail(f"moto's S3 server exited at start: {err.decode(errors='replace')[-500:]}")
        try:
            requests.get(url, timeout=5)
            break
        except requests.RequestException:  # not listening yet, or too busy starting to answer
            if time.monotonic() > deadline:
                server.kill()
                server.communicate()
                skip_or_fail(f"moto's S3 server did not answer on {url} within 30 seconds")
            time.sleep(0.1)
    yield url
    server.terminate()
    try:
        server.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.communicate()


def _admin_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )


@pytest.fixture
def bucket(s3_endpoint: str) -> Iterator[str]:
    """A fresh bucket whose objects anyone may read (as a public media bucket is)."""
    name = f"media-{uuid.uuid4().hex[:12]}"
    s3 = _admin_client(s3_endpoint)
    s3.create_bucket(Bucket=name)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    yield name
    for key in _bucket_keys(s3_endpoint, name):
        s3.delete_object(Bucket=name, Key=key)
    s3.delete_bucket(Bucket=name)


def _bucket_keys(endpoint: str, name: str) -> list[str]:
    found = _admin_client(endpoint).list_objects_v2(Bucket=name).get("Contents", [])
    return sorted(item["Key"] for item in found)


def _s3_settings(endpoint: str, name: str, *, media_url: bool = False) -> dict[str, Any]:
    return {
        "MEDIA_STORAGE": "s3",
        "S3_BUCKET": name,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": KEY_ID,
        "S3_SECRET_ACCESS_KEY": SECRET,
        "MEDIA_URL": f"{endpoint}/{name}/" if media_url else None,
    }


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """Each back end, built from settings as the app builds it."""
    if request.param == "local":
        return LocalStorage.from_config({"MEDIA_ROOT": str(tmp_path / "media")})
    endpoint = request.getfixturevalue("s3_endpoint")
    name = request.getfixturevalue("bucket")
    return S3Storage.from_config(_s3_settings(endpoint, name))


def test_a_file_round_trips(storage: Storage) -> None:
    key = "products/7/abc-300.png"
    assert not storage.exists(key)
    storage.save(key, b"\x89PNG first", "image/png")
    storage.save(key, b"\x89PNG second", "image/png")  # a save replaces the file whole

    assert storage.exists(key)
    assert storage.read(key) == b"\x89PNG second"
    with storage.open(key) as found:
        assert found.size == len(b"\x89PNG second")
        assert b"".join(found.chunks(4)) == b"\x89PNG second"
        assert found.last_modified is not None


def test_listing_finds_the_siblings_in_one_folder(storage: Storage) -> None:
    for key in ("products/7/abc-300.png", "products/7/abc-600.png", "products/7/abd-300.png"):
        storage.save(key, b"x", "image/png")
    storage.save("products/7/deeper/abc-1.png", b"x", "image/png")
    storage.save("products/70/abc-1.png", b"x", "image/png")

    assert storage.list_keys("products/7/abc-") == [
        "products/7/abc-300.png",
        "products/7/abc-600.png",
    ]
    assert storage.list_keys("products/7/") == [
        "products/7/abc-300.png",
        "products/7/abc-600.png",
        "products/7/abd-300.png",
    ]
    assert storage.list_keys("products/9/") == []


def test_delete_removes_the_file_and_a_missing_one_is_no_error(storage: Storage) -> None:
    storage.save("doctors/ada.svg", b"<svg/>", "image/svg+xml")
    storage.delete("doctors/ada.svg")
    storage.delete("doctors/ada.svg")
    assert not storage.exists("doctors/ada.svg")
    with pytest.raises(MissingMedia):
        storage.read("doctors/ada.svg")
    assert storage.list_keys("doctors/") == []


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_outside_plain_relative_names_are_refused(storage: Storage, key: str) -> None:
    for attempt in (
        lambda: storage.save(key, b"x", "image/png"),
        lambda: storage.read(key),
        lambda: storage.delete(key),
        lambda: storage.exists(key),
        lambda: storage.public_url(key),
    ):
        with pytest.raises(InvalidKey):
            attempt()
    with pytest.raises(InvalidKey):
        storage.list_keys("../")


def test_local_files_stay_under_the_root(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    for key in BAD_KEYS:
        with pytest.raises(InvalidKey):
            storage.save(key, b"x", "image/png")
    assert list(tmp_path.rglob("*")) == []
    storage.save("products/a.png", b"x", "image/png")
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.png")] == [
        "media/products/a.png"
    ]
    assert storage.public_url("products/a.png") is None


def test_a_local_write_failure_is_a_storage_error_and_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a regular file where a folder should be")
    with pytest.raises(StorageError):
        LocalStorage(blocker / "media").save("products/a.png", b"x", "image/png")
    # A folder where the file should go: the rename fails after the bytes were written.
    (tmp_path / "media" / "products" / "a.png").mkdir(parents=True)
    with pytest.raises(StorageError):
        LocalStorage(tmp_path / "media").save("products/a.png", b"x", "image/png")
    assert [p.name for p in (tmp_path / "media" / "products").iterdir()] == ["a.png"]


def test_an_s3_failure_is_a_storage_error(s3_endpoint: str) -> None:
    missing = S3Storage.from_config(_s3_settings(s3_endpoint, "no-such-bucket"))
    with pytest.raises(StorageError):
        missing.save("products/a.png", b"x", "image/png")
    with pytest.raises(StorageError):
        missing.list_keys("products/")
    nobody = S3Storage.from_config(_s3_settings(f"http://127.0.0.1:{_free_port()}", "media"))
    with pytest.raises(StorageError):
        nobody.save("products/a.png", b"x", "image/png")


def test_media_url_is_where_browsers_get_the_object(s3_endpoint: str, bucket: str) -> None:
    storage = S3Storage.from_config(_s3_settings(s3_endpoint, bucket, media_url=True))
    storage.save("products/7/abc-300.png", b"\x89PNG bytes", "image/png")
    url = storage.public_url("products/7/abc-300.png")
    assert url == f"{s3_endpoint}/{bucket}/products/7/abc-300.png"
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == b"\x89PNG bytes"
    assert fetched.headers["Content-Type"] == "image/png"


# --- settings --------------------------------------------------------------------------


def _bare_app(tmp_path: Path, **settings: Any) -> Flask:
    return create_app(
        {
            "SHOP_ENV": "testing",
            "DATABASE_URL": "sqlite://",
            "MEDIA_ROOT": str(tmp_path / "media"),
            **settings,
        }
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"MEDIA_STORAGE": "ftp"}, "MEDIA_STORAGE must be one of local, s3"),
        ({"MEDIA_STORAGE": "s3"}, "needs S3_BUCKET"),
        (
            {"MEDIA_STORAGE": "s3", "S3_BUCKET": "m", "S3_ACCESS_KEY_ID": "id"},
            "Set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY",
        ),
    ],
)
def test_unusable_storage_settings_stop_the_start(
    tmp_path: Path, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        _bare_app(tmp_path, **settings)


def test_local_is_the_default_and_served_under_media(tmp_path: Path) -> None:
    app = _bare_app(tmp_path)
    with app.test_request_context():
        storage = media_storage()
        assert storage == LocalStorage(tmp_path / "media")
        assert media_url("products/a.png") == "/media/products/a.png"


def test_an_s3_app_streams_media_from_the_bucket(
    tmp_path: Path, s3_endpoint: str, bucket: str
) -> None:
    app = _bare_app(tmp_path, **_s3_settings(s3_endpoint, bucket))
    with app.app_context():
        assert isinstance(media_storage(), S3Storage)
    _admin_client(s3_endpoint).put_object(
        Bucket=bucket, Key="doctors/ada.svg", Body=b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    )
    web = app.test_client()
    with web.get("/media/doctors/ada.svg") as served:
        assert served.status_code == 200
        assert served.mimetype == "image/svg+xml"
        assert served.data == b"<svg xmlns='http://www.w3.org/2000/svg'/>"
        assert "sandbox" in served.headers["Content-Security-Policy"]
        assert "max-age=86400" in served.headers["Cache-Control"]
        etag = served.headers["ETag"]
    assert web.get("/media/doctors/ada.svg", headers={"If-None-Match": etag}).status_code == 304
    assert web.get("/media/doctors/bob.svg").status_code == 404
    assert web.get("/media/doctors/.ada.svg").status_code == 404
    assert web.get("/media/doctors/ada.html").status_code == 404


def test_the_demo_loader_writes_through_the_storage(
    tmp_path: Path, s3_endpoint: str, bucket: str
) -> None:
    folder = tmp_path / "media"
    with _bare_app(tmp_path).app_context():
        assert storage_at(folder) == LocalStorage(folder)
        assert storage_at(tmp_path / "other") == LocalStorage(tmp_path / "other")
        loader.write_svg(folder, "products/a.svg", "<svg/>")
    assert (folder / "products" / "a.svg").read_text() == "<svg/>"
    with _bare_app(tmp_path, **_s3_settings(s3_endpoint, bucket)).app_context():
        assert isinstance(storage_at(folder), S3Storage)
        loader.write_svg(folder, "products/b.svg", "<svg/>")
    assert _bucket_keys(s3_endpoint, bucket) == ["products/b.svg"]
    assert not (folder / "products" / "b.svg").exists()


class _FailsOnSecondSave(S3Storage):
    """The bucket, refusing the second copy as a full or failing service would."""

    saves = 0

    def save(self, key: str, data: bytes, content_type: str) -> None:
        self.saves += 1
        if self.saves == 2:
            raise StorageError("the service refused this one")
        super().save(key, data, content_type)


def test_an_s3_failure_midway_removes_the_copies_already_stored(
    s3_endpoint: str, bucket: str
) -> None:
    real = S3Storage.from_config(_s3_settings(s3_endpoint, bucket))
    storage = _FailsOnSecondSave(real.client, bucket)
    with pytest.raises(images.ImageNotSaved, match="the storage service did not accept it"):
        images.store_product_image(picture(), storage, 3)
    assert storage.saves == 2
    assert _bucket_keys(s3_endpoint, bucket) == []


# --- the shop on a bucket: uploads, pages, removal ----------------------------------------


EDITOR = "ed@example.com"


@pytest.fixture
def on_s3(app: Flask, s3_endpoint: str, bucket: str) -> Callable[..., str]:
    """Point the test app at the bucket (as if started with these settings); return it."""

    def switch(*, media_url: bool = False, bucket_name: str | None = None) -> str:
        name = bucket_name or bucket
        app.config.update(_s3_settings(s3_endpoint, name, media_url=media_url))
        init_storage(app)
        return name

    return switch


@pytest.fixture
def editor(client: FlaskClient, make_staff: MakeStaff) -> FlaskClient:
    make_staff(EDITOR, StaffRole.EDITOR)
    assert sign_in(client, EDITOR)[0] == 303
    return client


def _product(db: SQLAlchemy) -> Product:
    product = make_product("Barrier Cream", image=False)
    db.session.commit()
    return product


def _srcset_urls(html: str) -> dict[int, str]:
    srcset = re.search(r'srcset="([^"]+)"', html)
    assert srcset is not None
    found = {}
    for part in srcset.group(1).split(", "):
        url, width = part.rsplit(" ", 1)
        found[int(width.rstrip("w"))] = url
    return found


def test_an_upload_goes_to_the_bucket_and_pages_link_to_media_url(
    editor: FlaskClient,
    db: SQLAlchemy,
    app: Flask,
    on_s3: Callable[..., str],
    s3_endpoint: str,
) -> None:
    name = on_s3(media_url=True)
    product = _product(db)
    response = _upload(editor, product, _picture(), "photo.png", alt="A white jar")
    assert response.status_code == 303

    image = db.session.scalars(sa.select(ProductImage)).one()
    keys = _bucket_keys(s3_endpoint, name)
    token = image.path.rpartition("/")[2].rpartition("-")[0]
    assert keys == [f"products/{product.id}/{token}-{w}.png" for w in (1200, 300, 600)]
    assert not (Path(app.config["MEDIA_ROOT"]) / "products").exists()

    page = editor.get(f"/products/{product.slug}").get_data(as_text=True)
    urls = _srcset_urls(page)
    assert sorted(urls) == [300, 600, 1200]
    for width, url in urls.items():
        assert url == f"{s3_endpoint}/{name}/products/{product.id}/{token}-{width}.png"
        fetched = requests.get(url, timeout=10)
        assert fetched.status_code == 200
        assert fetched.headers["Content-Type"] == "image/png"
        assert fetched.content[:4] == b"\x89PNG"
    # The plain src goes through /media/, which sends the browser to the same object.
    assert f'src="/media/{image.path}"' in page
    moved = editor.get(f"/media/{image.path}")
    assert moved.status_code == 302
    assert moved.headers["Location"] == urls[1200]


def test_without_media_url_the_shop_streams_the_bucket_s_copies(
    editor: FlaskClient, db: SQLAlchemy, on_s3: Callable[..., str], s3_endpoint: str
) -> None:
    name = on_s3()
    product = _product(db)
    assert _upload(editor, product, _picture("JPEG"), "photo.jpg").status_code == 303
    image = db.session.scalars(sa.select(ProductImage)).one()

    page = editor.get(f"/products/{product.slug}").get_data(as_text=True)
    urls = _srcset_urls(page)
    assert sorted(urls) == [300, 600, 1200]
    s3 = _admin_client(s3_endpoint)
    for url in urls.values():
        assert url.startswith(f"/media/products/{product.id}/")
        with editor.get(url) as served:
            assert served.status_code == 200
            assert served.mimetype == "image/jpeg"
            key = url.removeprefix("/media/")
            assert served.data == s3.get_object(Bucket=name, Key=key)["Body"].read()
    assert f'src="/media/{image.path}"' in page
    edit_page = editor.get(f"/admin/products/{product.id}").get_data(as_text=True)
    assert " 300w" in edit_page


def test_removing_an_image_deletes_its_copies_from_the_bucket(
    editor: FlaskClient, db: SQLAlchemy, on_s3: Callable[..., str], s3_endpoint: str
) -> None:
    name = on_s3()
    product = _product(db)
    assert _upload(editor, product, _picture(), "photo.png").status_code == 303
    image = db.session.scalars(sa.select(ProductImage)).one()
    assert len(_bucket_keys(s3_endpoint, name)) == 3
    response = _save(editor, product, {f"image{image.id}-remove": "y"})
    assert response.status_code == 303
    assert db.session.scalars(sa.select(ProductImage)).all() == []
    assert _bucket_keys(s3_endpoint, name) == []


def test_a_bucket_that_refuses_the_upload_is_a_clear_error(
    editor: FlaskClient, db: SQLAlchemy, on_s3: Callable[..., str]
) -> None:
    on_s3(bucket_name=f"missing-{uuid.uuid4().hex[:8]}")
    product = _product(db)
    response = _upload(editor, product, _picture(), "photo.png")
    assert response.status_code == 500
    assert "The image could not be saved (the storage service did not accept it)" in visible_text(
        response
    )
    assert db.session.scalars(sa.select(ProductImage)).all() == []
    db.session.expire_all()
    assert db.session.get(Product, product.id).version == 1  # type: ignore[union-attr]


def test_a_database_failure_after_the_upload_removes_the_copies_from_the_bucket(
    editor: FlaskClient,
    db: SQLAlchemy,
    on_s3: Callable[..., str],
    s3_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = on_s3()
    product = _product(db)
    stored: list[images.StoredImage] = []
    real_store = images.store_product_image

    def store_then_remember(*args: Any) -> images.StoredImage:
        stored.append(real_store(*args))
        return stored[-1]

    def database_gone() -> None:
        raise sa.exc.OperationalError("INSERT INTO product_images", {}, Exception("gone"))

    monkeypatch.setattr(images, "store_product_image", store_then_remember)
    monkeypatch.setattr(services, "_flush", database_gone)
    response = _upload(editor, product, _picture(), "photo.png")
    assert response.status_code == 503  # the "briefly unavailable" page, no stack trace
    assert len(stored) == 1
    assert len(stored[0].files) == 3  # the copies were in the bucket ...
    assert _bucket_keys(s3_endpoint, name) == []  # ... and are gone again
