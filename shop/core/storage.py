"""Where media files live: a local folder (the default) or an S3-compatible bucket.

`init_storage(app)` builds one back end per app from ``MEDIA_STORAGE``, through a registry
of back ends (as CTFd's uploads do); `media_storage()` returns it. Everything that writes,
reads or removes a media file goes through it, so with a bucket no app instance keeps a
file another instance would need.

- ``local``: files under ``MEDIA_ROOT``, served by the app's ``/media/<path>`` route.
- ``s3``: objects in ``S3_BUCKET`` through boto3; any S3-compatible service with
  ``S3_ENDPOINT_URL`` (MinIO, R2, ...); credentials from ``S3_ACCESS_KEY_ID`` and
  ``S3_SECRET_ACCESS_KEY``, or boto3's default chain when those are unset. With
  ``MEDIA_URL`` (the bucket's or a CDN's public address) browsers fetch files from there;
  without it ``/media/`` streams them from the bucket.

A key is a relative POSIX path of plain names (``products/7/<token>-600.jpg``): letters,
digits, ``.``, ``_`` and ``-``, no name starting with a dot. So no ``..``, no absolute path,
no backslash and no hidden file can be named; a key breaking these rules is refused before
any file is touched or any request is sent.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from flask import Flask, current_app, has_app_context, url_for

from shop.core.errors import ConfigError

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

EXTENSION = "shop_media_storage"
KEY_MAX = 512
_NAME = r"[A-Za-z0-9_-][A-Za-z0-9._-]*"
KEY_RE = re.compile(rf"{_NAME}(?:/{_NAME})*")
# What browsers and shared caches may keep a media file for (the /media/ route says the same).
MEDIA_MAX_AGE = 86400
CHUNK_SIZE = 64 * 1024
# Seconds and attempts for one S3 call: an unreachable service fails an upload in seconds,
# not after boto3's default minute per try.
S3_CONNECT_TIMEOUT = 5
S3_READ_TIMEOUT = 20
S3_MAX_ATTEMPTS = 3


class InvalidKey(ValueError):
    """The key is not a plain relative path this storage accepts."""


class StorageError(Exception):
    """The storage back end could not do what was asked."""


class MissingMedia(StorageError):
    """Nothing is stored under that key."""


def check_key(key: str) -> str:
    """Return `key` if it is a plain relative path of allowed names; raise InvalidKey if not."""
    if len(key) > KEY_MAX or not KEY_RE.fullmatch(key):
        raise InvalidKey(f"Not a media key: {key!r}")
    return key


def _check_prefix(prefix: str) -> str:
    # A prefix is a key cut anywhere (after a "/" or inside a name): so it is valid exactly
    # when some name completes it into a valid key.
    check_key(prefix + "x")
    return prefix


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...

    def close(self) -> None: ...


@dataclass
class StoredObject:
    """An open stored file: its bytes as a stream, and what the back end knows of it."""

    stream: _Readable
    size: int | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: datetime | None = None
    # The back end's exceptions that reading may raise, turned into StorageError.
    errors: tuple[type[Exception], ...] = (OSError,)

    def read(self) -> bytes:
        """Read the whole file."""
        try:
            return self.stream.read()
        except self.errors as exc:
            raise StorageError(f"Reading a stored file failed: {exc}") from exc

    def chunks(self, size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Yield the file's bytes in pieces of at most `size`."""
        try:
            while chunk := self.stream.read(size):
                yield chunk
        except self.errors as exc:
            raise StorageError(f"Reading a stored file failed: {exc}") from exc

    def close(self) -> None:
        """Let go of the file or connection."""
        with contextlib.suppress(Exception):
            self.stream.close()

    def __enter__(self) -> StoredObject:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Storage(ABC):
    """Media files: bytes under keys, each saved with its content type."""

    #: Why a write failed, in words for the person who tried ("The image could not be
    #: saved (...)").
    write_failure = "the storage did not accept it"

    @abstractmethod
    def save(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing what was there: all of it or nothing."""

    @abstractmethod
    def open(self, key: str) -> StoredObject:
        """Open the file under `key` for reading; MissingMedia when there is none."""

    def read(self, key: str) -> bytes:
        """Return the bytes stored under `key`; MissingMedia when there are none."""
        with self.open(key) as found:
            return found.read()

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the file under `key`; one already gone is not an error."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Tell whether a file is stored under `key`."""

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """Keys in the folder of `prefix` whose names start with the rest of it, sorted.

        ``list_keys("products/7/ab12-")`` lists ``products/7/ab12-300.png`` and its siblings,
        never what lies in folders below.
        """

    def public_url(self, key: str) -> str | None:
        """Where browsers fetch `key` directly, or None when the app serves it at /media/."""
        check_key(key)
        return None


class LocalStorage(Storage):
    """Files in a folder (MEDIA_ROOT); the app serves them under /media/."""

    write_failure = "the disk is full or not writable"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LocalStorage:
        """The folder named by MEDIA_ROOT."""
        return cls(str(config["MEDIA_ROOT"]))

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalStorage) and other.root == self.root

    def __hash__(self) -> int:
        return hash((LocalStorage, self.root))

    def path(self, key: str) -> Path:
        """The file that holds `key`."""
        return self.root / check_key(key)

    def save(self, key: str, data: bytes, content_type: str) -> None:
        """Write the file beside its final name, then rename it there (readers never see half)."""
        target = self.path(key)
        # A dot name: never a valid key, so never served, listed or mistaken for a copy.
        partial = target.with_name(f".{target.name}.{secrets.token_hex(8)}.partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with partial.open("xb") as fh:
                fh.write(data)
            os.replace(partial, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            raise StorageError(f"{key} was not written under {self.root}: {exc}") from exc

    def open(self, key: str) -> StoredObject:
        """Open the file; MissingMedia when there is none."""
        path = self.path(key)
        try:
            fh = path.open("rb")
            stat = os.fstat(fh.fileno())
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise MissingMedia(key) from exc
        except OSError as exc:
            raise StorageError(f"{key} could not be read under {self.root}: {exc}") from exc
        return StoredObject(
            fh, size=stat.st_size, last_modified=datetime.fromtimestamp(stat.st_mtime, UTC)
        )

    def delete(self, key: str) -> None:
        """Remove the file, if it is there."""
        try:
            self.path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"{key} could not be removed under {self.root}: {exc}") from exc

    def exists(self, key: str) -> bool:
        """Tell whether the file is there."""
        return self.path(key).is_file()

    def list_keys(self, prefix: str) -> list[str]:
        """The files in the prefix's folder whose names start with the rest of it."""
        folder, _slash, start = _check_prefix(prefix).rpartition("/")
        directory = self.root / folder if folder else self.root
        try:
            with os.scandir(directory) as entries:
                names = [
                    e.name
                    for e in entries
                    if e.name.startswith(start) and KEY_RE.fullmatch(e.name) and e.is_file()
                ]
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise StorageError(f"{directory} could not be listed: {exc}") from exc
        return sorted(f"{folder}/{name}" if folder else name for name in names)


def _is_missing(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}


class S3Storage(Storage):
    """Objects in an S3-compatible bucket, through one boto3 client (boto3 clients are
    thread-safe, so every request of the app shares it)."""

    write_failure = "the storage service did not accept it"

    def __init__(self, client: S3Client, bucket: str, media_url: str | None = None) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        self.client = client
        self.bucket = bucket
        self.media_url = (media_url or "").rstrip("/") or None
        self._errors: tuple[type[Exception], ...] = (BotoCoreError, ClientError)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> S3Storage:
        """The bucket and client the S3_* settings describe."""
        bucket = config.get("S3_BUCKET")
        if not bucket:
            raise ConfigError("MEDIA_STORAGE=s3 needs S3_BUCKET, the bucket that holds the media.")
        key_id = config.get("S3_ACCESS_KEY_ID") or None
        secret = config.get("S3_SECRET_ACCESS_KEY") or None
        if (key_id is None) != (secret is None):
            raise ConfigError(
                "Set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither "
                "(boto3's default credentials are used then)."
            )
        # Imported here: the local default never pays for loading boto3.
        import boto3
        from botocore.config import Config

        endpoint = config.get("S3_ENDPOINT_URL") or None
        session = boto3.session.Session(
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            region_name=config.get("S3_REGION") or None,
        )
        client = session.client(
            "s3",
            endpoint_url=endpoint,
            config=Config(
                connect_timeout=S3_CONNECT_TIMEOUT,
                read_timeout=S3_READ_TIMEOUT,
                retries={"max_attempts": S3_MAX_ATTEMPTS, "mode": "standard"},
                # Other services rarely route by bucket host name; the path always works.
                s3={"addressing_style": "path" if endpoint else "auto"},
                # Checksums only where S3 requires them: several S3-compatible services
                # refuse the ones boto3 otherwise adds to every upload.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        return cls(client, str(bucket), config.get("MEDIA_URL"))

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, endpoint={self.client.meta.endpoint_url!r})"

    def save(self, key: str, data: bytes, content_type: str) -> None:
        """Put the object (S3 stores it whole or not at all)."""
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=check_key(key),
                Body=data,
                ContentType=content_type,
                CacheControl=f"public, max-age={MEDIA_MAX_AGE}",
            )
        except self._errors as exc:
            raise StorageError(f"{key} was not stored in bucket {self.bucket}: {exc}") from exc

    def open(self, key: str) -> StoredObject:
        """Start reading the object; MissingMedia when there is none."""
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except self._errors as exc:
            if _is_missing(exc):
                raise MissingMedia(key) from exc
            raise StorageError(f"{key} could not be read from bucket {self.bucket}: {exc}") from exc
        return StoredObject(
            found["Body"],
            size=found.get("ContentLength"),
            content_type=found.get("ContentType"),
            etag=(found.get("ETag") or "").strip('"') or None,
            last_modified=found.get("LastModified"),
            errors=self._errors,
        )

    def delete(self, key: str) -> None:
        """Delete the object (S3 answers the same whether it was there or not)."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))
        except self._errors as exc:
            raise StorageError(
                f"{key} could not be deleted in bucket {self.bucket}: {exc}"
            ) from exc

    def exists(self, key: str) -> bool:
        """Ask for the object's headers."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except self._errors as exc:
            if _is_missing(exc):
                return False
            raise StorageError(f"{key} could not be looked up in {self.bucket}: {exc}") from exc
        return True

    def list_keys(self, prefix: str) -> list[str]:
        """List the objects under the prefix, one folder deep ("/" as the delimiter)."""
        keys: list[str] = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=_check_prefix(prefix), Delimiter="/"
            )
            for page in pages:
                keys.extend(item["Key"] for item in page.get("Contents", []) if "Key" in item)
        except self._errors as exc:
            raise StorageError(f"{prefix} could not be listed in {self.bucket}: {exc}") from exc
        return sorted(k for k in keys if len(k) <= KEY_MAX and KEY_RE.fullmatch(k))

    def public_url(self, key: str) -> str | None:
        """MEDIA_URL/key when MEDIA_URL is set; otherwise the app serves it at /media/."""
        check_key(key)
        return f"{self.media_url}/{quote(key)}" if self.media_url else None


# MEDIA_STORAGE -> how to build that back end from the app's config.
BACKENDS: dict[str, Callable[[Mapping[str, Any]], Storage]] = {
    "local": LocalStorage.from_config,
    "s3": S3Storage.from_config,
}


def init_storage(app: Flask) -> None:
    """Build the app's media storage from MEDIA_STORAGE (once; `media_storage()` returns it)."""
    name = str(app.config.get("MEDIA_STORAGE") or "local").strip().lower()
    factory = BACKENDS.get(name)
    if factory is None:
        raise ConfigError(f"MEDIA_STORAGE must be one of {', '.join(BACKENDS)}, got {name!r}")
    app.extensions[EXTENSION] = factory(app.config)


def media_storage() -> Storage:
    """The current app's media storage."""
    storage = current_app.extensions[EXTENSION]
    assert isinstance(storage, Storage)
    return storage


def storage_at(media_root: Path | str) -> Storage:
    """Where media meant for the folder `media_root` go: the app's storage, unless that is a
    folder elsewhere (or there is no app), then `media_root` itself.

    For callers that name a folder (the demo loader): with a bucket configured the files go
    to the bucket, with local storage to the folder they name.
    """
    if has_app_context():
        storage = media_storage()
        if not isinstance(storage, LocalStorage) or storage.root == Path(media_root):
            return storage
    return LocalStorage(media_root)


def media_url(key: str) -> str:
    """The URL a page uses for a media file: MEDIA_URL's when set, else the app's /media/."""
    return media_storage().public_url(key) or url_for("media", filename=key)
