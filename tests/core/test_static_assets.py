"""Page weight: fingerprinted static URLs, their caching headers, gzip, image srcsets."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
from pathlib import Path

import pytest
from flask import Flask, Response, jsonify, session, url_for
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from PIL import Image
from werkzeug.test import TestResponse

from shop import create_app
from shop.catalog.images import store_product_image
from shop.catalog.models import ProductImage
from shop.core.assets import hashed_name
from tests.factories import make_product

CSS = "body { color: #222; }\n" + "".join(f".c{i} {{ margin: {i}px; }}\n" for i in range(200))
GZIP = {"Accept-Encoding": "gzip, deflate"}
YEAR = "max-age=31536000"


@pytest.fixture
def shop(tmp_path: Path) -> Flask:
    """The app with its own static folder and a few routes to compress (no database used)."""
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "shop.css").write_text(CSS)
    (static / "img").mkdir()
    (static / "img" / "photo.png").write_bytes(_png(40, 40))
    app = create_app(
        {"SHOP_ENV": "testing", "DATABASE_URL": "sqlite://", "MEDIA_ROOT": str(tmp_path / "m")}
    )
    app.static_folder = str(static)

    @app.get("/t/page")
    def page() -> str:
        return "<!doctype html><title>t</title>" + "<p>Hello, skin.</p>" * 200

    @app.get("/t/tiny")
    def tiny() -> str:
        return "<p>hi</p>"

    @app.get("/t/json")
    def as_json() -> Response:
        return jsonify(items=list(range(500)))

    @app.get("/t/png")
    def png() -> Response:
        return Response(b"\x89PNG" + b"\0" * 5000, mimetype="image/png")

    @app.get("/t/stream")
    def stream() -> Response:
        return Response((f"row {i}\n" for i in range(1000)), mimetype="text/csv")

    @app.get("/t/no-transform")
    def no_transform() -> Response:
        response = Response("x" * 5000, mimetype="text/plain")
        response.cache_control.no_transform = True
        return response

    @app.get("/t/remember-me")
    def remember_me() -> str:
        session.permanent = True
        session["cart"] = 1
        return "ok"

    return app


class Client:
    """The test client, reading each body whole and closing it (files stay open otherwise)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, url: str, headers: dict[str, str] | None = None) -> TestResponse:
        return self.open(url, "GET", headers)

    def head(self, url: str, headers: dict[str, str] | None = None) -> TestResponse:
        return self.open(url, "HEAD", headers)

    def open(self, url: str, method: str, headers: dict[str, str] | None) -> TestResponse:
        response = self.client.open(url, method=method, headers=headers or {})
        try:
            response.get_data()
        finally:
            response.close()
        return response


@pytest.fixture
def web(shop: Flask) -> Client:
    return Client(shop.test_client())


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def _static_url(app: Flask, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# --- fingerprinted names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("css/shop.css", "css/shop.abc.css"),
        ("favicon.svg", "favicon.abc.svg"),
        ("js/app.min.js", "js/app.min.abc.js"),
        ("LICENSE", "LICENSE"),
        (".hidden", ".hidden"),
        ("fonts/.keep", "fonts/.keep"),
    ],
)
def test_the_hash_goes_before_the_last_suffix(filename: str, expected: str) -> None:
    assert hashed_name(filename, "abc") == expected


def test_a_static_url_names_the_files_content(shop: Flask) -> None:
    assert _static_url(shop, "css/shop.css") == f"/static/css/shop.{_digest(CSS)}.css"


def test_every_file_of_the_shop_is_served_for_a_year_under_its_hashed_url(
    tmp_path: Path,
) -> None:
    app = create_app(
        {"SHOP_ENV": "testing", "DATABASE_URL": "sqlite://", "MEDIA_ROOT": str(tmp_path)}
    )
    static = Path(app.static_folder or "")
    files = sorted(p.relative_to(static).as_posix() for p in static.rglob("*") if p.is_file())
    assert "css/shop.css" in files
    web = Client(app.test_client())
    for filename in files:
        url = _static_url(app, filename)
        assert url != f"/static/{filename}", f"{filename} has no hash in its URL"
        response = web.get(url, headers=GZIP)
        assert response.status_code == 200, url
        assert response.cache_control.immutable, url
        body = response.data
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        assert body == (static / filename).read_bytes(), url


@pytest.mark.parametrize("filename", ["css/missing.css", "../secret.txt", "/etc/passwd"])
def test_a_url_for_no_static_file_is_left_as_it_was(shop: Flask, filename: str) -> None:
    assert _static_url(shop, filename).endswith(filename.lstrip("/"))


def test_an_edited_file_gets_a_new_url_at_once(shop: Flask) -> None:
    before = _static_url(shop, "css/shop.css")
    path = Path(shop.static_folder or "") / "css" / "shop.css"
    edited = CSS + ".new { color: red; }\n"
    path.write_text(edited)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    after = _static_url(shop, "css/shop.css")
    assert after != before
    assert after == f"/static/css/shop.{_digest(edited)}.css"


# --- caching -------------------------------------------------------------------------------


def test_a_hashed_url_is_cached_for_a_year(shop: Flask, web: Client) -> None:
    response = web.get(_static_url(shop, "css/shop.css"))
    assert response.status_code == 200
    assert response.get_data(as_text=True) == CSS
    assert response.mimetype == "text/css"
    assert set(response.cache_control.to_header().split(", ")) == {"public", YEAR, "immutable"}


def test_the_plain_name_still_works_briefly(shop: Flask, web: Client) -> None:
    response = web.get("/static/css/shop.css")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == CSS
    assert response.cache_control.max_age == shop.config["STATIC_MAX_AGE"] == 300
    assert not response.cache_control.immutable


def test_an_outdated_hash_gets_todays_file_but_not_for_a_year(web: Client) -> None:
    response = web.get("/static/css/shop.0123456789ab.css")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == CSS
    assert response.cache_control.max_age == 300
    assert not response.cache_control.immutable


def test_a_file_whose_own_name_looks_hashed_is_served_as_it_is(shop: Flask, web: Client) -> None:
    (Path(shop.static_folder or "") / "css" / "vendor.0123456789ab.css").write_text("a{}")
    response = web.get("/static/css/vendor.0123456789ab.css")
    assert response.get_data(as_text=True) == "a{}"
    assert not response.cache_control.immutable


@pytest.mark.parametrize(
    "url",
    [
        "/static/css/nope.css",
        "/static/css/nope.0123456789ab.css",
        "/static/../shop/config.py",
        "/static/%2e%2e/secret.txt",
    ],
)
def test_no_file_outside_or_missing_is_served(web: Client, url: str) -> None:
    assert web.get(url).status_code == 404


def test_a_revalidation_of_an_unchanged_file_is_answered_304(web: Client) -> None:
    first = web.get("/static/css/shop.css")
    etag = first.headers["ETag"]
    again = web.get("/static/css/shop.css", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


def test_files_carry_no_session_cookie_nor_vary_on_it(shop: Flask, web: Client) -> None:
    page = web.get("/t/remember-me")
    assert "Set-Cookie" in page.headers  # the visitor has a permanent session now
    assert "Cookie" in page.headers["Vary"]
    for url in (_static_url(shop, "css/shop.css"), "/static/img/photo.png"):
        response = web.get(url, headers=GZIP)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, url
        assert "cookie" not in response.headers.get("Vary", "").lower(), url
    # Pages still refresh the session, and say they depend on it.
    assert "Set-Cookie" in web.get("/t/tiny").headers


# --- compression ---------------------------------------------------------------------------


def test_a_page_is_gzipped_when_the_browser_accepts_it(web: Client) -> None:
    plain = web.get("/t/page")
    zipped = web.get("/t/page", headers=GZIP)
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(plain.data) / 5
    for response in (plain, zipped):
        assert "Accept-Encoding" in response.headers["Vary"]


def test_json_is_gzipped_too(web: Client) -> None:
    response = web.get("/t/json", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data).startswith(b'{"items":[0,1,2')


@pytest.mark.parametrize("accept", ["", "identity", "gzip;q=0", "br"])
def test_nothing_is_gzipped_for_a_browser_that_did_not_ask(web: Client, accept: str) -> None:
    response = web.get("/t/page", headers={"Accept-Encoding": accept})
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"<!doctype html>")


@pytest.mark.parametrize("url", ["/t/tiny", "/t/png", "/t/stream", "/t/no-transform"])
def test_small_binary_streamed_or_no_transform_bodies_go_as_they_are(web: Client, url: str) -> None:
    response = web.get(url, headers=GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers


def test_an_already_compressed_image_file_is_not_gzipped(web: Client) -> None:
    response = web.get("/static/img/photo.png", headers=GZIP)
    assert response.mimetype == "image/png"
    assert "Content-Encoding" not in response.headers
    assert "Accept-Encoding" not in response.headers.get("Vary", "")


def test_a_static_file_is_gzipped_with_a_weak_etag_that_revalidates(
    shop: Flask, web: Client
) -> None:
    url = _static_url(shop, "css/shop.css")
    identity = web.get(url)
    zipped = web.get(url, headers=GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data).decode() == CSS
    assert YEAR in zipped.headers["Cache-Control"]
    # The same content in another encoding: the same tag, weak.
    assert zipped.headers["ETag"] == "W/" + identity.headers["ETag"]
    again = web.get(url, headers={**GZIP, "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["ETag"] == zipped.headers["ETag"]
    # Served again from the per-process copy: the same bytes.
    assert web.get(url, headers=GZIP).data == zipped.data


def test_a_range_request_gets_the_plain_bytes(shop: Flask, web: Client) -> None:
    response = web.get(_static_url(shop, "css/shop.css"), headers={**GZIP, "Range": "bytes=0-3"})
    assert response.status_code == 206
    assert "Content-Encoding" not in response.headers
    assert response.data == CSS[:4].encode()


def test_a_head_request_gets_the_headers_of_the_gzipped_body(web: Client) -> None:
    get = web.get("/t/page", headers=GZIP)
    head = web.head("/t/page", headers=GZIP)
    assert head.headers["Content-Encoding"] == "gzip"
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


# --- product images ------------------------------------------------------------------------


def _uploaded_image(app: Flask) -> str:
    stored = store_product_image(_png(1500, 1000), Path(app.config["MEDIA_ROOT"]), 7)
    return stored.path


def test_an_uploaded_image_offers_its_three_sizes(shop: Flask) -> None:
    path = _uploaded_image(shop)
    folder, _slash, name = path.rpartition("/")
    token = name.split("-")[0]
    with shop.test_request_context():
        srcset = shop.jinja_env.globals["image_srcset"](path)  # type: ignore[operator]
    assert srcset == ", ".join(
        f"/media/{folder}/{token}-{width}.png {width}w" for width in (300, 600, 1200)
    )


def test_a_single_file_image_has_no_srcset(shop: Flask) -> None:
    with shop.test_request_context():
        assert shop.jinja_env.globals["image_srcset"]("products/demo.svg") == ""  # type: ignore[operator]


def test_the_product_page_sizes_its_photos_and_fetches_the_first_one_first(
    app: Flask, db: SQLAlchemy, client: FlaskClient
) -> None:
    product = make_product("Barrier Cream", image=False)
    for position in range(2):
        stored = store_product_image(_png(900, 600), Path(app.config["MEDIA_ROOT"]), product.id)
        db.session.add(
            ProductImage(
                product_id=product.id,
                path=stored.path,
                alt_text=f"Barrier Cream, view {position + 1}",
                width=stored.width,
                height=stored.height,
                position=position,
            )
        )
    db.session.commit()

    html = client.get(f"/products/{product.slug}").get_data(as_text=True)

    tags = [line.strip() for line in html.splitlines() if 'alt="Barrier Cream, view' in line]
    assert len(tags) == 2
    first, second = tags
    assert 'fetchpriority="high"' in first
    assert "loading=" not in first
    assert 'loading="lazy"' in second
    assert 'decoding="async"' in second
    for tag in tags:
        assert 'width="900" height="600"' in tag
        assert " 300w" in tag
        assert " 600w" in tag
        assert 'sizes="' in tag
