"""Page weight: fingerprinted static URLs, long-lived caching, gzip, image `srcset`s.

- `url_for('static', filename='css/shop.css')` yields ``/static/css/shop.<hash>.css``, the
  hash being the first 12 hex digits of the file's SHA-256. Such a URL names one content
  forever, so it is served ``public, max-age=31536000, immutable``; the plain name still
  works, with a short max-age (``STATIC_MAX_AGE``). Hashes are computed on first use and
  kept per process; a changed file (seen by its size and mtime) is hashed again, so no
  build step is needed and an edited stylesheet gets a new URL at once.
- Responses whose type is text (HTML, CSS, JS, SVG, JSON, XML, ...) are gzipped when the
  client accepts it and the body is at least ``COMPRESS_MIN_SIZE`` bytes. Images that are
  already compressed (JPEG, PNG, WebP) are never touched, nor are streamed bodies, partial
  (Range) responses or bodies that already have an encoding. Files (static and media) are
  compressed once per process and the result reused. A compressed body keeps the file's
  ETag as a weak one (as nginx does): the same content in another encoding, so a
  revalidation still gets its 304.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from flask import Flask, Response, current_app, request, send_from_directory
from werkzeug.security import safe_join

from shop.core.registry import ImageCopies, registry
from shop.core.storage import Storage, StorageError, media_storage, media_url

HASH_LENGTH = 12
HASHED_MAX_AGE = 365 * 24 * 3600
# name.<12 hex>.ext, the hash sitting just before the last suffix.
HASHED_NAME = re.compile(
    rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{HASH_LENGTH}}})(?P<suffix>\.[^./]+)$"
)
COMPRESSIBLE_TYPES = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/ld+json",
        "application/manifest+json",
        "application/xml",
        "application/atom+xml",
        "application/rss+xml",
        "image/svg+xml",
        "image/x-icon",
    }
)
# Files up to this size are compressed in memory and the result kept; larger ones go as they are.
MAX_FILE_TO_COMPRESS = 1024 * 1024
FILE_CACHE_ENTRIES = 256


class _Digests:
    """Content hashes of static files, recomputed only when a file's size or mtime changes."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[int, int, str]] = {}
        self._lock = threading.Lock()

    def digest(self, folder: str, filename: str) -> str | None:
        """Return the file's short hash, or None when there is no such file."""
        path = safe_join(folder, filename)
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        with self._lock:
            known = self._known.get(path)
        if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        try:
            with open(path, "rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").hexdigest()[:HASH_LENGTH]
        except OSError:
            return None
        with self._lock:
            self._known[path] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest


class _CompressedFiles:
    """gzip bodies of file responses, keyed by the file's ETag, least recently used dropped."""

    def __init__(self, entries: int = FILE_CACHE_ENTRIES) -> None:
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._entries = entries
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        with self._lock:
            self._bodies[key] = body
            self._bodies.move_to_end(key)
            while len(self._bodies) > self._entries:
                self._bodies.popitem(last=False)


def hashed_name(filename: str, digest: str) -> str:
    """Put the digest before the file's last suffix: css/shop.css -> css/shop.<digest>.css.

    A name without a suffix (``LICENSE``, ``.well-known``) is left as it is.
    """
    folder, slash, name = filename.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    if not (dot and stem and suffix):
        return filename
    return f"{folder}{slash}{stem}.{digest}.{suffix}"


def _static_folder(app: Flask) -> str:
    assert app.static_folder is not None
    return app.static_folder


def _fingerprint_static_urls(endpoint: str, values: dict[str, Any]) -> None:
    """`url_defaults` hook: give `static` URLs the hashed file name."""
    if endpoint != "static" or not isinstance(values.get("filename"), str):
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    filename = values["filename"]
    digest = app.extensions["shop_assets"].digest(_static_folder(app), filename)
    if digest is not None:
        values["filename"] = hashed_name(filename, digest)


def serve_static(filename: str) -> Response:
    """Serve a static file: for ever under its hashed name, briefly under its plain one."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    folder = _static_folder(app)
    digests: _Digests = app.extensions["shop_assets"]
    original, immutable = filename, False
    match = HASHED_NAME.match(filename)
    as_named = safe_join(folder, filename)
    # A real file whose name happens to look hashed is served as it is.
    if match and not (as_named and os.path.isfile(as_named)):
        original = match["stem"] + match["suffix"]
        # An old hash (a page cached across a deploy) still gets today's file, but briefly.
        immutable = digests.digest(folder, original) == match["digest"]
    max_age = HASHED_MAX_AGE if immutable else app.config["STATIC_MAX_AGE"]
    response = send_from_directory(folder, original, max_age=max_age)
    response.cache_control.public = True
    if immutable:
        response.cache_control.immutable = True
    return response


def _compressible(response: Response) -> bool:
    mimetype = response.mimetype or ""
    return mimetype.startswith("text/") or mimetype in COMPRESSIBLE_TYPES


def _accepts_gzip() -> bool:
    return request.accept_encodings.quality("gzip") > 0


def compress_response(response: Response) -> Response:
    """`after_request` hook: gzip a text response when the client accepts it."""
    if not _compressible(response):
        return response
    response.vary.add("Accept-Encoding")
    if not _accepts_gzip() or "Content-Encoding" in response.headers:
        return response
    etag, weak = response.get_etag()
    if response.status_code == 304:
        # The revalidation of a body we would have compressed: answer with the same weak ETag.
        if etag and not weak:
            response.set_etag(etag, weak=True)
        return response
    if response.status_code < 200 or response.status_code in (204, 206):
        return response
    if "Content-Range" in response.headers or response.cache_control.no_transform:
        return response
    config = current_app.config
    if response.direct_passthrough:
        # A file (send_file): small enough to compress in memory, once per version.
        length = response.content_length
        if length is None or length < config["COMPRESS_MIN_SIZE"] or length > MAX_FILE_TO_COMPRESS:
            return response
        cache: _CompressedFiles = current_app.extensions["shop_compressed_files"]
        key = f"{request.path}|{etag}" if etag else None
        body = cache.get(key) if key else None
        if body is None:
            response.direct_passthrough = False
            body = gzip.compress(response.get_data(), compresslevel=9, mtime=0)
            if key:
                cache.put(key, body)
        # The file is read (or not needed): close it now rather than when the server closes
        # the response, which a client that goes away mid-answer may never let happen.
        response.close()
    elif response.is_streamed:
        return response
    else:
        data = response.get_data()
        if len(data) < config["COMPRESS_MIN_SIZE"]:
            return response
        body = gzip.compress(data, compresslevel=config["COMPRESS_LEVEL"], mtime=0)
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    if etag:
        response.set_etag(etag, weak=True)
    return response


def set_image_copies(app: Flask, lister: ImageCopies) -> None:
    """Have `image_srcset` list an image's resized copies, as (media key, width), with `lister`."""
    registry(app).image_copies = lister


@lru_cache(maxsize=4096)
def _copies(lister: ImageCopies, storage: Storage, path: str) -> tuple[tuple[str, int], ...]:
    # Kept per process: a copy's name is random and never reused, so its siblings never change.
    return tuple(sorted(lister(storage, path), key=lambda item: item[1]))


def image_srcset(path: str) -> str:
    """`srcset` of a product image's resized copies; empty when it has only one file.

    Also empty while the storage cannot be listed: the page still shows the main copy.
    """
    lister = registry(current_app).image_copies
    if lister is None:
        return ""
    try:
        copies = _copies(lister, media_storage(), path)
    except (StorageError, ValueError):
        current_app.logger.warning("Copies of %s not listed", path, exc_info=True)
        return ""
    if len(copies) < 2:
        return ""
    return ", ".join(f"{media_url(p)} {width}w" for p, width in copies)


class FilesWithoutSession:
    """WSGI middleware: responses under these path prefixes carry no session state.

    A file never depends on the visitor, but Flask adds ``Vary: Cookie`` (an extension reads
    the session on every request) and re-sends a permanent session's cookie. Browsers then
    refetch a "cached for a year" stylesheet whenever the cart changes the cookie, and shared
    caches keep one copy per visitor. Both are dropped here.
    """

    def __init__(self, wsgi_app: Any, prefixes: tuple[str, ...]) -> None:
        self.wsgi_app = wsgi_app
        self.prefixes = prefixes

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not str(environ.get("PATH_INFO", "")).startswith(self.prefixes):
            return self.wsgi_app(environ, start_response)

        def without_session(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            kept = []
            for name, value in headers:
                if name.lower() == "set-cookie":
                    continue
                if name.lower() == "vary":
                    value = ", ".join(
                        v.strip() for v in value.split(",") if v.strip().lower() != "cookie"
                    )
                    if not value:
                        continue
                kept.append((name, value))
            return start_response(status, kept, *args)

        return self.wsgi_app(environ, without_session)


def init_assets(app: Flask) -> None:
    """Fingerprint static URLs, cache static files for a year, gzip text responses.

    Call before anything else registers `after_request` hooks: Flask runs them in reverse,
    so compression then sees the final body.
    """
    app.extensions["shop_assets"] = _Digests()
    app.extensions["shop_compressed_files"] = _CompressedFiles()
    app.url_defaults(_fingerprint_static_urls)
    app.view_functions["static"] = serve_static
    app.after_request(compress_response)
    app.jinja_env.globals["image_srcset"] = image_srcset
    app.wsgi_app = FilesWithoutSession(  # type: ignore[method-assign]
        app.wsgi_app, (f"{app.static_url_path}/", "/media/")
    )
