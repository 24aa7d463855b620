"""Where media bytes live, behind one small interface chosen by configuration: a local directory
(the embedded default) or an S3-compatible bucket (AWS S3, MinIO, R2...; docs/decisions/0023).

Keys are content-addressed and immutable: a file is never rewritten under the same key, so any
cache in front may keep it forever.

Every method blocks (disk or network I/O): async code calls them in a worker thread (the media
route in media/api.py, and put_in_thread and discard below), the job worker directly.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar, runtime_checkable

import anyio.to_thread
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]
from litestar.di import NamedDependency

from viewfinder.core.errors import ServiceUnavailable
from viewfinder.settings import ConfigurationError, Settings

logger = logging.getLogger("viewfinder.mediakit.storage")

IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
"""Bytes under a key never change: every cache may keep them for a year."""
CHUNK_BYTES = 256 * 1024
T = TypeVar("T")


@runtime_checkable
class MediaStorage(Protocol):
    """What every media backend offers (LocalMediaStorage, S3MediaStorage), and views of one offer too
    (signing.SignedUrls); response builders only need url()."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def url(self, key: str) -> str: ...

    def copy(self, src_key: str, dst_key: str) -> None:
        """Store the bytes under src_key under dst_key too, without passing them through this
        process where the backend can (a hard link on disk, a server-side copy on S3).
        Raises FileNotFoundError when src_key holds nothing."""
        ...

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Store a local file under the key, and take it: once stored, the file is gone from `path`
        (moved into a directory, or uploaded in chunks and removed). Never read whole into memory:
        uploads and video renditions can be hundreds of megabytes. On failure the file is left."""
        ...

    def get_file(self, key: str, path: Path) -> bool:
        """Write the bytes under the key to a local file (replacing it), in chunks; False when the
        key holds nothing. The worker reads an upload this way, to decode it from disk."""
        ...


@runtime_checkable
class MediaBackend(MediaStorage, Protocol):
    """A storage backend itself (a directory, a bucket), as opposed to a view of one such as
    signing.SignedUrls: it can also tell an object's size, read part of one, and list keys."""

    def size(self, key: str) -> int | None:
        """The object's length in bytes; None when the key holds nothing (or is malformed)."""
        ...

    def read(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end (inclusive) of the object, in chunks. Raises FileNotFoundError when the
        key holds nothing, before the first chunk is asked for."""
        ...

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every key stored under the prefix, sorted (tests and maintenance, not request paths)."""
        ...


class StorageUnavailable(ServiceUnavailable):
    """The media storage could not be reached or refused this process: a 503 in the API's error
    shape, and a failure the job queue retries (never a photo's fault)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            "Media storage is unavailable right now; try again in a moment.",
            detail,
            code="storage_unavailable",
        )

    def __str__(self) -> str:
        return f"media storage unavailable: {self.detail}"


class InvalidKey(ValueError):
    """A key that could escape the storage root or is otherwise malformed."""


def check_key(key: str) -> str:
    """The key, if it is relative and has no empty, "." or ".." segment. Plain string checks (an
    absolute key starts with an empty segment): this runs for every media URL of every feed page."""
    if not key or any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidKey(key)
    return key


class LocalMediaStorage:
    """Files under a directory; written atomically so a reader never sees half a file."""

    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, InvalidKey):
            return None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except InvalidKey:
            return False

    def url(self, key: str) -> str:
        return f"{self.base_url}/{check_key(key)}"

    def size(self, key: str) -> int | None:
        try:
            found = self.path(key).stat()
        except (FileNotFoundError, NotADirectoryError, InvalidKey):
            return None
        return found.st_size if stat.S_ISREG(found.st_mode) else None

    def read(self, key: str, start: int, end: int) -> Iterator[bytes]:
        handle = self.path(key).open("rb")  # raises FileNotFoundError here, not on the first chunk
        handle.seek(start)
        return _file_chunks(handle, end - start + 1)

    def list_keys(self, prefix: str = "") -> list[str]:
        if not self.root.is_dir():
            return []
        found = (path.relative_to(self.root).as_posix() for path in self.root.rglob("*") if path.is_file())
        return sorted(key for key in found if key.startswith(prefix))

    def copy(self, src_key: str, dst_key: str) -> None:
        """A hard link (no extra disk): safe because a key's bytes are never rewritten in place
        (put replaces the file, so the other name keeps the old bytes). Falls back to a byte copy
        where the file system cannot link (another device, no link support)."""
        source, target = self.path(src_key), self.path(dst_key)
        if not source.is_file():
            raise FileNotFoundError(src_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except FileExistsError:
            # Swap the new link in atomically, so a reader never finds the key missing.
            temporary = target.parent / f".link-{os.getpid()}-{threading.get_ident()}-{target.name}"
            temporary.unlink(missing_ok=True)
            os.link(source, temporary)
            try:
                os.replace(temporary, target)
            except BaseException:
                temporary.unlink(missing_ok=True)
                raise
        except OSError:
            self._copy_in(source, target)

    def _copy_in(self, source: Path, target: Path) -> None:
        """A chunked copy of the file under a temporary name, then renamed: whole or not at all."""
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle, source.open("rb") as original:
                shutil.copyfileobj(original, handle, CHUNK_BYTES)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Moved in with a rename when the file is on the same file system (no copy at all),
        else copied in chunks and removed; either way the key appears whole or not at all."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, target)
        except OSError:  # another file system
            self._copy_in(path, target)
            path.unlink()

    def get_file(self, key: str, path: Path) -> bool:
        try:
            source = self.path(key)
            with source.open("rb") as handle, path.open("wb") as out:
                shutil.copyfileobj(handle, out, CHUNK_BYTES)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, InvalidKey):
            return False
        return True


def _file_chunks(handle: IO[bytes], remaining: int) -> Iterator[bytes]:
    with handle:
        while remaining > 0:
            chunk = handle.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


# S3-compatible object storage


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


# HEAD answers a bare status, so a missing key or bucket shows up as "404" there.
MISSING = {"NoSuchKey", "NoSuchBucket", "NotFound", "404"}
_session_lock = threading.Lock()


@lru_cache(maxsize=8)
def s3_client(
    endpoint_url: str | None, region: str, access_key_id: str | None, secret_access_key: str | None
) -> Any:
    """One boto3 client per process and configuration: they are thread-safe, slow to build (the API
    model is loaded each time), and keep a pool of connections.

    Path-style addressing (https://endpoint/bucket/key) for any endpoint but AWS's own, as MinIO and
    most self-hosted servers need; checksums only where the S3 API requires them, which every
    S3-compatible server accepts. Connection and 5xx failures are retried twice with backoff."""
    # Imported here: boto3 takes a while to import, and the embedded default never needs it.
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    config = Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"mode": "standard", "max_attempts": 3},
        max_pool_connections=32,
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    with _session_lock:  # a boto3 session is not thread-safe; its clients are
        return boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=config,
        )


class S3MediaStorage:
    """Objects in one bucket of any S3-compatible service, written with their Content-Type and an
    immutable Cache-Control. The bucket stays private: media reaches people through GET /media (and
    whatever cache is in front), which applies the private-media signatures.

    The bucket is created on the first write that finds it missing (docs/decisions/0023). Failures
    to reach the service raise StorageUnavailable; a missing key is None, False or
    FileNotFoundError exactly as in LocalMediaStorage."""

    def __init__(
        self,
        bucket: str,
        base_url: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.base_url = base_url.rstrip("/")
        self.endpoint_url = endpoint_url
        self.region = region
        self._credentials = (access_key_id, secret_access_key)

    @property
    def client(self) -> Any:
        return s3_client(self.endpoint_url, self.region, *self._credentials)

    def _unavailable(self, action: str, exc: Exception) -> StorageUnavailable:
        detail = f"{action} in bucket {self.bucket!r} at {self.endpoint_url or 'AWS S3'}: {exc}"
        logger.warning("media storage unavailable: %s", detail)
        return StorageUnavailable(detail)

    def _call(self, action: str, call: Callable[[], T], *, missing: Callable[[], T] | None = None) -> T:
        """Run one S3 request; a missing key or bucket gives `missing()` (if given), any other
        failure StorageUnavailable."""
        try:
            return call()
        except ClientError as exc:
            if missing is not None and _error_code(exc) in MISSING:
                return missing()
            raise self._unavailable(action, exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable(action, exc) from exc

    def _writing(self, action: str, call: Callable[[], object]) -> None:
        """A write, creating the bucket first if it turns out to be missing."""

        def create_and_retry() -> None:
            self.create_bucket()
            self._call(action, call)

        self._call(action, call, missing=create_and_retry)

    def create_bucket(self) -> None:
        """Create the bucket unless this account already has it (idempotent)."""
        params: dict[str, Any] = {"Bucket": self.bucket}
        if self.region not in ("us-east-1", "auto"):  # AWS's default region takes no constraint
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self.client.create_bucket(**params)
            logger.info("created media bucket %r", self.bucket)
        except ClientError as exc:
            if _error_code(exc) != "BucketAlreadyOwnedByYou":
                raise self._unavailable("creating the bucket", exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable("creating the bucket", exc) from exc

    def put(self, key: str, data: bytes, content_type: str) -> None:
        check_key(key)
        self._writing(
            f"writing {key}",
            lambda: self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                CacheControl=IMMUTABLE_CACHE_CONTROL,
            ),
        )

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        """One PUT whose body is read from the file as it is sent (uploads stay far below S3's 5 GB
        limit for a single PUT); the file is removed once stored."""
        check_key(key)
        with path.open("rb") as body:

            def send() -> None:
                body.seek(0)  # again from the start if the bucket had to be created first
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=body,
                    ContentType=content_type,
                    CacheControl=IMMUTABLE_CACHE_CONTROL,
                )

            self._writing(f"writing {key}", send)
        path.unlink()

    def get_file(self, key: str, path: Path) -> bool:
        try:
            check_key(key)
        except InvalidKey:
            return False

        def fetch() -> bool:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            with body, path.open("wb") as out:
                for chunk in body.iter_chunks(CHUNK_BYTES):
                    out.write(chunk)
            return True

        return self._call(f"reading {key}", fetch, missing=lambda: False)

    def get(self, key: str) -> bytes | None:
        try:
            check_key(key)
        except InvalidKey:
            return None

        def fetch() -> bytes | None:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            with body:
                return bytes(body.read())

        return self._call(f"reading {key}", fetch, missing=lambda: None)

    def delete(self, key: str) -> None:
        check_key(key)
        self._call(
            f"deleting {key}",
            lambda: self.client.delete_object(Bucket=self.bucket, Key=key),
            missing=lambda: None,
        )

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def url(self, key: str) -> str:
        return f"{self.base_url}/{check_key(key)}"

    def copy(self, src_key: str, dst_key: str) -> None:
        """A server-side copy (the bytes never pass through this process), keeping the source's
        Content-Type and Cache-Control."""
        check_key(src_key)
        check_key(dst_key)

        def source_missing() -> None:
            raise FileNotFoundError(src_key)

        self._call(
            f"copying {src_key} to {dst_key}",
            lambda: self.client.copy_object(
                Bucket=self.bucket,
                Key=dst_key,
                CopySource={"Bucket": self.bucket, "Key": src_key},
                MetadataDirective="COPY",
            ),
            missing=source_missing,
        )

    def size(self, key: str) -> int | None:
        try:
            check_key(key)
        except InvalidKey:
            return None
        return self._call(
            f"looking up {key}",
            lambda: int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]),
            missing=lambda: None,
        )

    def read(self, key: str, start: int, end: int) -> Iterator[bytes]:
        check_key(key)
        if end < start:
            return iter(())

        def missing() -> Any:
            raise FileNotFoundError(key)

        response = self._call(
            f"reading {key}",
            lambda: self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end}"),
            missing=missing,
        )
        return self._chunks(key, response["Body"])

    def _chunks(self, key: str, body: Any) -> Iterator[bytes]:
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        except BotoCoreError as exc:
            raise self._unavailable(f"reading {key}", exc) from exc
        finally:
            body.close()  # returns the connection to the pool even when the client went away

    def list_keys(self, prefix: str = "") -> list[str]:
        def listing() -> list[str]:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

        return self._call("listing keys", listing, missing=list)


async def put_in_thread(storage: MediaStorage, key: str, data: bytes, content_type: str) -> None:
    """`storage.put` from async code: in a worker thread, as a write to a bucket is a network round
    trip that must not hold the event loop."""
    await anyio.to_thread.run_sync(storage.put, key, data, content_type)


async def discard(storage: MediaStorage, keys: Iterable[str]) -> None:
    """Delete the files of rows that are gone (deleted and committed, or never committed), in a worker
    thread. A failure is logged and leaves an orphan object behind: the change itself has been made
    (or the original error is on its way) and must not be reported as a storage failure."""
    pending = list(keys)

    def delete_all() -> None:
        for key in pending:
            try:
                storage.delete(key)
            except (StorageUnavailable, OSError) as exc:
                logger.warning("media file %s left behind: %s", key, exc)

    if pending:
        await anyio.to_thread.run_sync(delete_all)


def storage_from_settings(settings: Settings) -> MediaBackend:
    """The media storage the settings name (media_backend)."""
    if settings.media_backend == "s3":
        if not settings.s3_bucket:
            raise ConfigurationError("VIEWFINDER_S3_BUCKET must be set when VIEWFINDER_MEDIA_BACKEND is s3.")
        secret = settings.s3_secret_access_key
        return S3MediaStorage(
            settings.s3_bucket,
            settings.resolved_media_base_url,
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
        )
    return LocalMediaStorage(settings.media_dir, settings.resolved_media_base_url)


_installed: MediaBackend | None = None


def use(storage: MediaBackend) -> None:
    """Make this the media storage of the process (viewfinder.wiring, at start-up): the one the
    media and privacy jobs write to, the same object the app injects into its requests."""
    global _installed
    _installed = storage


def installed_storage() -> MediaBackend:
    """The process's media storage, as viewfinder.wiring installed it."""
    if _installed is None:
        raise RuntimeError("no media storage: viewfinder.wiring's build_backends(settings).install() sets it")
    return _installed


StorageDep = NamedDependency[MediaStorage]
"""Parameter name: storage (the app injects the storage that `media_storage` built)."""
