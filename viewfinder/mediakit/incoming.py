"""Receiving an upload: a multipart/form-data body streamed into a temporary file as it arrives.

Litestar's own form parsing takes the whole body before the handler runs (each file to a spooled
temporary file), so neither a size limit nor a check of what the file is could stop a 500 MB
upload of something else early. Here the body is read chunk by chunk from the connection and fed to
the same push parser Litestar uses (`multipart`); the file's first bytes must carry the signature of
a format we accept before more is taken, every byte is counted against the limit as it comes, and
the file goes to disk in pieces of at most WRITE_BYTES. Memory does not grow with the upload.

Whatever is refused, and whatever was received once the caller is done, leaves no file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import anyio.to_thread
from litestar import Request
from litestar.exceptions import ClientException
from multipart import (  # type: ignore[import-untyped]
    MultipartError,
    MultipartSegment,
    ParserLimitReached,
    PushMultipartParser,
)

from viewfinder.core.errors import ApiError, invalid
from viewfinder.mediakit.photos import looks_like_a_photo
from viewfinder.mediakit.videos import HEAD_BYTES, container_of

FEED_BYTES = 256 * 1024
"""The most handed to the parser at once (an ASGI server may pass a large body in one message)."""
WRITE_BYTES = 1024 * 1024
"""What is gathered in memory before one write to disk, in a worker thread."""
TEXT_FIELD_BYTES = 1024
"""The most a plain form field (filter, crop) may hold."""
MAX_PARTS = 16


def is_media_signature(head: bytes) -> bool:
    """Whether a file's first bytes (HEAD_BYTES of them, or all of a shorter file) are those of a
    photo or a video we take: anything else is refused before the rest of it is read."""
    return looks_like_a_photo(head) or container_of(head) is not None


@dataclass(frozen=True)
class ReceivedUpload:
    """The file field, on disk, and the plain fields, as text."""

    path: Path
    fields: dict[str, str]


def _unsupported() -> ApiError:
    return ApiError(
        415, "unsupported_media_type", "This file is not a supported photo or video.", {"file": "unsupported"}
    )


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"A file must be at most {limit} bytes.", {"file": "too_large"})


class _FileReceiver:
    """The file field being written: its first bytes checked, its size counted, buffered writes."""

    def __init__(self, handle: IO[bytes], max_bytes: int, accept: Callable[[bytes], bool]) -> None:
        self.handle = handle
        self.max_bytes = max_bytes
        self.accept = accept
        self.received = 0
        self.checked = False
        self.pending = bytearray()

    async def add(self, data: bytes | bytearray) -> None:
        self.received += len(data)
        if self.received > self.max_bytes:
            raise _too_large(self.max_bytes)
        self.pending += data
        if not self.checked and len(self.pending) >= HEAD_BYTES:
            self._check()
        if len(self.pending) >= WRITE_BYTES:
            await self._flush()

    def _check(self) -> None:
        self.checked = True
        if not self.accept(bytes(self.pending[:HEAD_BYTES])):
            raise _unsupported()

    async def finish(self) -> None:
        if not self.checked and self.pending:  # a file shorter than HEAD_BYTES
            self._check()
        await self._flush()
        await anyio.to_thread.run_sync(self.handle.flush)

    async def _flush(self) -> None:
        if self.pending:
            data, self.pending = bytes(self.pending), bytearray()
            await anyio.to_thread.run_sync(self.handle.write, data)


async def _chunks(request: Request[Any, Any, Any]) -> AsyncIterator[bytes]:
    async for message in request.stream():
        for start in range(0, len(message), FEED_BYTES):
            yield message[start : start + FEED_BYTES]


@asynccontextmanager
async def receive_upload(
    request: Request[Any, Any, Any],
    *,
    folder: Path,
    file_field: str,
    text_fields: Collection[str],
    max_bytes: int,
    accept: Callable[[bytes], bool] = is_media_signature,
) -> AsyncIterator[ReceivedUpload]:
    """Receive a multipart/form-data body; the file field (at most max_bytes, its first bytes
    passing `accept`) into a temporary file under `folder`, the named text fields as text, other
    fields skipped. The file is removed when the block ends, however it ends.

    Refusals, all in the API's error shape: 400 validation_error (not multipart, no file field,
    a field too long, a malformed body), 413 too_large, 415 unsupported_media_type.
    """
    media_type, options = request.content_type
    boundary = options.get("boundary")
    if media_type != "multipart/form-data" or not boundary:
        raise invalid(file_field, f'Send the file as the multipart/form-data field "{file_field}".')
    descriptor, path = await anyio.to_thread.run_sync(_new_file, folder)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            found, fields = await _receive(
                request, boundary, file_field, text_fields, _FileReceiver(handle, max_bytes, accept)
            )
        if not found:
            raise invalid(file_field, f'Send the file as the multipart/form-data field "{file_field}".')
        yield ReceivedUpload(path, fields)
    finally:
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))


def _new_file(folder: Path) -> tuple[int, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=folder, prefix="upload-")
    return descriptor, Path(name)


async def _receive(
    request: Request[Any, Any, Any],
    boundary: str,
    file_field: str,
    text_fields: Collection[str],
    receiver: _FileReceiver,
) -> tuple[bool, dict[str, str]]:
    """Whether the file field came (into the receiver's file), and the text fields."""
    found = False
    fields: dict[str, str] = {}
    segment: MultipartSegment | None = None
    text = bytearray()
    try:
        with PushMultipartParser(boundary, max_segment_count=MAX_PARTS) as parser:
            async for chunk in _chunks(request):
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        segment, text = event, bytearray()
                        if segment.name == file_field:
                            if found or segment.filename is None:
                                raise invalid(file_field, "Send one file, as a file field.")
                            found = True
                    elif event is not None and segment is not None:
                        if segment.name == file_field:
                            await receiver.add(event)
                        elif segment.name in text_fields:
                            text += event
                            if len(text) > TEXT_FIELD_BYTES:
                                raise invalid(segment.name, "This field is too long.")
                    elif segment is not None:  # the end of a part
                        if segment.name == file_field:
                            await receiver.finish()
                        elif segment.name in text_fields:
                            fields[segment.name] = _text(segment.name, text, segment.charset)
                        segment = None
                if parser.closed:
                    break
    except (MultipartError, ParserLimitReached) as exc:
        raise invalid(file_field, f"The form could not be read: {exc}") from exc
    except ClientException as exc:  # the body is over the route's limit, or the client went away
        if exc.status_code == 413:
            raise _too_large(receiver.max_bytes) from exc
        raise
    return found, fields


def _text(name: str, data: bytearray, charset: str | None) -> str:
    try:
        return data.decode(charset or "utf-8")
    except (LookupError, UnicodeDecodeError):
        raise invalid(name, "This field is not valid text.") from None
