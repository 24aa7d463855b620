"""Delivery of media bytes, with headers that let any CDN cache them, and byte ranges for video.

Media of a private account is served only through a signed, expiring URL (see media/signing.py).
"""

from __future__ import annotations

import re
import time
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath
from sqlalchemy import select

from viewfinder.accounts.models import User
from viewfinder.core.deps import DbSession, SettingsDep, StorageDep
from viewfinder.core.errors import ApiError, error_body, not_found
from viewfinder.media import signing
from viewfinder.media.models import MediaItem
from viewfinder.media.storage import InvalidKey, check_key

CONTENT_TYPES = {"jpg": "image/jpeg", "webp": "image/webp", "png": "image/png", "mp4": "video/mp4"}
# Keys are content-addressed: the bytes under a key never change.
IMMUTABLE = "public, max-age=31536000, immutable"
# Keys of media items: <kind>/<item id>/<digest>.<ext>; the item says whose they are.
ITEM_KEY = re.compile(r"^(?:photos|videos)/(\d{1,19})/")
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


async def _is_private(db: DbSession, key: str) -> bool:
    match = ITEM_KEY.match(key)
    if match is None:
        return False
    private = await db.scalar(
        select(User.is_private)
        .join(MediaItem, MediaItem.owner_id == User.id)
        .where(MediaItem.id == int(match[1]))
    )
    return bool(private)


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


@get("/media/{key:path}", include_in_schema=False)
async def serve_media(
    request: Request[Any, Any, Any],
    key: FromPath[str],
    storage: StorageDep,
    db_session: DbSession,
    settings: SettingsDep,
) -> Response[Any]:
    key = key.lstrip("/")
    try:
        check_key(key)
    except InvalidKey:
        raise not_found() from None
    cache_control = IMMUTABLE
    if await _is_private(db_session, key):
        problem = signing.check(
            settings.secret, request.url.path, request.query_params.get("oe"), request.query_params.get("oh")
        )
        if problem is not None:
            raise ApiError(403, "invalid_signature" if problem != "expired" else "url_expired",
                           "This media needs a valid, unexpired signed link.")  # fmt: skip
        # Cacheable by the browser and by a CDN keyed on the full URL, never past the expiry.
        remaining = max(0, int(request.query_params["oe"], 16) - int(time.time()))
        cache_control = f"public, max-age={remaining}"
    etag = '"' + key.rsplit("/", 1)[-1].split(".", 1)[0] + '"'
    headers = {
        "Cache-Control": cache_control,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
    }
    if request.headers.get("if-none-match") == etag and storage.exists(key):
        return Response(b"", status_code=304, headers=headers)
    data = storage.get(key)
    if data is None:
        raise not_found()
    media_type = CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")
    if range_header := request.headers.get("range"):
        try:
            start, end = _byte_range(range_header, len(data))
        except ValueError:
            return Response(
                error_body("range_not_satisfiable", "The requested byte range is not in this file."),
                status_code=416,
                headers={"Content-Range": f"bytes */{len(data)}"},
            )
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        return Response(data[start : end + 1], status_code=206, media_type=media_type, headers=headers)
    return Response(data, media_type=media_type, headers=headers)
