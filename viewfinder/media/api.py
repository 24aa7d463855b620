"""Delivery of media bytes, with headers that let any CDN cache them, and byte ranges for video.

Only renditions (photos/<item id>/..., videos/<item id>/...) and avatars (avatars/<user id>/...) are
ever served: the storage also holds raw uploads (uploads/<owner>/<item>, with their EXIF and GPS),
which no URL reaches, whoever asks. Media of a private account is served only through a signed,
expiring URL (see media/signing.py). HEAD answers with GET's headers and no body. A refusal asked for
by the edge's purge listener may be cached for a second, to replace the file the edge held.
The bytes come from the configured storage, a directory or an S3 bucket alike (docs/decisions/0023):
read in a worker thread, and streamed rather than held in memory when large (videos).
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

import anyio.to_thread
from litestar import Request, Response, route
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.params import FromPath
from litestar.response import Stream
from litestar.response.base import ASGIResponse

from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.errors import ApiError, error_body, not_found
from viewfinder.core.params import MAX_ID
from viewfinder.mediakit import signing
from viewfinder.mediakit.edge import EDGE_REFRESH_HEADER
from viewfinder.mediakit.storage import IMMUTABLE_CACHE_CONTROL, InvalidKey, MediaBackend, check_key
from viewfinder.policy import media_file_access

CONTENT_TYPES = {"jpg": "image/jpeg", "webp": "image/webp", "png": "image/png", "mp4": "video/mp4"}
# Keys are content-addressed: the bytes under a key never change.
IMMUTABLE = IMMUTABLE_CACHE_CONTROL
# What may be served: the renditions of media items, <kind>/<item id>/<digest>.<ext> (the item
# says whose they are), and avatars, avatars/<user id>/<digest>.jpg. Nothing else in the storage.
SERVED_KEY = re.compile(
    r"^(?:(?:photos/(?P<photo>\d{1,19})/[\w-]+\.(?:jpg|webp))"
    r"|(?:videos/(?P<video>\d{1,19})/[\w-]+\.mp4)"
    r"|(?:avatars/(?P<avatar>[\w-]+)/[\w-]+\.(?:jpg|webp)))$",
    re.ASCII,
)
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Answers up to this size are read whole; larger ones (videos) are streamed chunk by chunk.
STREAM_ABOVE_BYTES = 1024 * 1024


class HeadResponse(Response[bytes]):
    """The answer to HEAD: GET's status and headers (given here in full, Content-Length and
    Content-Type included), and no body."""

    def to_asgi_response(self, app: Any, request: Request[Any, Any, Any], **kwargs: Any) -> ASGIResponse:
        kwargs["is_head_response"] = True
        return super().to_asgi_response(app, request, **kwargs)


def _file_ids(item_id: str | None, avatar_owner: str | None) -> tuple[int | None, int | None]:
    """The media item id, or the avatar's account id, a served key names (None for ids no row can
    have, which SQLite could not even compare)."""
    if item_id is not None:
        return (int(item_id) if int(item_id) <= MAX_ID else None), None
    if avatar_owner is not None and avatar_owner.isdigit() and int(avatar_owner) <= MAX_ID:
        return None, int(avatar_owner)
    return None, None


def _byte_range(header: str, size: int) -> tuple[int, int]:
    """The inclusive byte range a single-range Range header asks for, clamped to the file."""
    match = RANGE.match(header.strip())
    if match is None or (match[1] == "" and match[2] == ""):
        raise ValueError(header)
    if match[1] == "":  # the last N bytes
        length = int(match[2])
        if length == 0:
            raise ValueError(header)
        return max(0, size - length), size - 1
    start = int(match[1])
    end = min(int(match[2]), size - 1) if match[2] else size - 1
    if start >= size or end < start:
        raise ValueError(header)
    return start, end


REFUSAL_LIFETIME = "public, max-age=1"
"""A refusal's Cache-Control when the edge's purge listener asks (EDGE_REFRESH_HEADER): it replaces the
file the edge held and expires a second later (docs/decisions/0060). Otherwise refusals are not cached."""


@route("/media/{key:path}", http_method=[HttpMethod.GET, HttpMethod.HEAD], include_in_schema=False)
async def serve_media(
    request: Request[Any, Any, Any],
    key: FromPath[str],
    storage: NamedDependency[MediaBackend],
    db_session: DbSession,
    settings: SettingsDep,
) -> Response[Any]:
    try:
        return await _serve(request, key, storage, db_session, settings)
    except ApiError as refusal:
        if EDGE_REFRESH_HEADER in request.headers:
            refusal.headers["Cache-Control"] = REFUSAL_LIFETIME
        raise


async def _serve(
    request: Request[Any, Any, Any],
    key: FromPath[str],
    storage: NamedDependency[MediaBackend],
    db_session: DbSession,
    settings: SettingsDep,
) -> Response[Any]:
    key = key.lstrip("/")
    served = SERVED_KEY.match(key)
    try:
        check_key(key)
    except InvalidKey:
        raise not_found() from None
    if served is None:
        raise not_found()
    cache_control = IMMUTABLE
    # Who may fetch it is the policy's answer (viewfinder.policy.media_access): a deactivated
    # account's files are a 404 whoever asks (docs/decisions/0032).
    access = await media_file_access(
        db_session, *_file_ids(served["photo"] or served["video"], served["avatar"])
    )
    if access == "hidden":
        raise not_found()
    if access in ("signed", "staff"):
        # A removed post's files open only to a URL signed for staff (its case), decision 0051.
        secret = settings.secret if access == "signed" else signing.staff_secret(settings.secret)
        problem = signing.check(
            secret, request.url.path, request.query_params.get("oe"), request.query_params.get("oh")
        )
        if problem is not None:
            raise ApiError(403, "invalid_signature" if problem != "expired" else "url_expired",
                           "This media needs a valid, unexpired signed link.")  # fmt: skip
        # Cacheable by the browser and by a CDN keyed on the full URL, never past the expiry. A cache
        # that keeps whole seconds (nginx) serves an entry through the whole second its max-age ends
        # in, so the count starts at the next whole second and leaves that last second out.
        remaining = max(0, int(request.query_params["oe"], 16) - math.ceil(time.time()) - 1)
        cache_control = f"public, max-age={remaining}"
    etag = '"' + key.rsplit("/", 1)[-1].split(".", 1)[0] + '"'
    headers = {
        "Cache-Control": cache_control,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
    }
    size = await anyio.to_thread.run_sync(storage.size, key)
    if size is None:
        raise not_found()
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers)
    media_type = CONTENT_TYPES[key.rsplit(".", 1)[-1]]
    status, start, end = 200, 0, size - 1
    if range_header := request.headers.get("range"):
        try:
            start, end = _byte_range(range_header, size)
        except ValueError:
            return Response(
                error_body("range_not_satisfiable", "The requested byte range is not in this file."),
                status_code=416,
                headers={"Content-Range": f"bytes */{size}"},
            )
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    if request.method == HttpMethod.HEAD:
        headers.update({"Content-Type": media_type, "Content-Length": str(end - start + 1)})
        return HeadResponse(b"", status_code=status, headers=headers)
    try:
        chunks = await anyio.to_thread.run_sync(storage.read, key, start, end)
    except FileNotFoundError:  # deleted since it was looked up
        raise not_found() from None
    if end - start + 1 <= STREAM_ABOVE_BYTES:
        data = await anyio.to_thread.run_sync(b"".join, chunks)
        return Response(data, status_code=status, media_type=media_type, headers=headers)
    headers["Content-Length"] = str(end - start + 1)
    return Stream(chunks, status_code=status, media_type=media_type, headers=headers)
