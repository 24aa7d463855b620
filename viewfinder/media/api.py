"""Delivery of media bytes, with headers that let any CDN cache them for good."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from viewfinder.core.deps import StorageDep
from viewfinder.core.errors import not_found
from viewfinder.media.storage import InvalidKey, check_key

CONTENT_TYPES = {"jpg": "image/jpeg", "webp": "image/webp", "png": "image/png", "mp4": "video/mp4"}
# Keys are content-addressed: the bytes under a key never change.
IMMUTABLE = "public, max-age=31536000, immutable"


@get("/media/{key:path}", include_in_schema=False)
async def serve_media(
    request: Request[Any, Any, Any], key: FromPath[str], storage: StorageDep
) -> Response[bytes]:
    key = key.lstrip("/")
    try:
        check_key(key)
    except InvalidKey:
        raise not_found() from None
    etag = '"' + key.rsplit("/", 1)[-1].split(".", 1)[0] + '"'
    headers = {"Cache-Control": IMMUTABLE, "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag and storage.exists(key):
        return Response(b"", status_code=304, headers=headers)
    data = storage.get(key)
    if data is None:
        raise not_found()
    media_type = CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")
    return Response(data, media_type=media_type, headers=headers)
