"""Request and response bodies of the media API."""

from __future__ import annotations

import msgspec

from viewfinder.media.models import MediaItem
from viewfinder.mediakit.storage import MediaStorage


class RenditionOut(msgspec.Struct):
    name: str
    format: str
    url: str
    width: int
    height: int


class MediaFailure(msgspec.Struct):
    code: str
    message: str


class MediaItemOut(msgspec.Struct):
    id: str
    kind: str
    state: str
    """uploaded, processing, ready or failed."""
    filter: str
    width: int | None
    height: int | None
    blurhash: str | None
    dominant_color: str | None
    renditions: list[RenditionOut]
    failure: MediaFailure | None
    duration_ms: int | None = None
    """A video's length; null for a photo."""
    looping: bool = False
    """A silent video made from an animated GIF: play it muted, on a loop, without controls."""

    @classmethod
    def of(cls, item: MediaItem, storage: MediaStorage) -> MediaItemOut:
        return cls(
            id=str(item.id),
            kind=item.kind,
            state=item.state,
            filter=item.filter_name,
            width=item.width,
            height=item.height,
            blurhash=item.blurhash,
            dominant_color=item.dominant_color,
            renditions=[
                RenditionOut(
                    name=r["name"],
                    format=r["format"],
                    url=storage.url(r["key"]),
                    width=r["width"],
                    height=r["height"],
                )
                for r in item.renditions
            ],
            failure=MediaFailure(item.failure_code, item.failure_message or "")
            if item.failure_code
            else None,
            duration_ms=next((r["duration_ms"] for r in item.renditions if "duration_ms" in r), None),
            looping=item.kind == "video" and item.original_format == "gif",
        )
