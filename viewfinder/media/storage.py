"""Where media bytes live, behind one small interface chosen by configuration.

Keys are content-addressed and immutable: a file is never rewritten under the same key, so any
cache in front may keep it forever.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath
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


class InvalidKey(ValueError):
    """A key that could escape the storage root or is otherwise malformed."""


def check_key(key: str) -> str:
    path = PurePosixPath(key)
    if not key or path.is_absolute() or any(part in ("", ".", "..") for part in key.split("/")):
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


def storage_from_settings(settings: Settings) -> MediaStorage:
    return LocalMediaStorage(settings.media_dir, settings.resolved_media_base_url)
