"""Where media bytes live, behind one small interface chosen by configuration.

Keys are content-addressed and immutable: a file is never rewritten under the same key, so any
cache in front may keep it forever.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

from viewfinder.settings import Settings


@runtime_checkable
class MediaStorage(Protocol):
    """What every media backend offers (local directory now, S3-compatible later)."""

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
            self.put(dst_key, source.read_bytes(), "application/octet-stream")


def storage_from_settings(settings: Settings) -> MediaStorage:
    return LocalMediaStorage(settings.media_dir, settings.resolved_media_base_url)
