"""Request and response bodies of the media API."""

from __future__ import annotations

from typing import Any

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
    rotation: int | msgspec.UnsetType = msgspec.UNSET
    """Degrees clockwise the photo was turned (0, 90, 180 or 270), beside `filter`: already in the
    renditions. Given by the media endpoints; left out of a post's items."""
    adjustments: dict[str, int] | msgspec.UnsetType = msgspec.UNSET
    """The adjustments baked into the renditions, the non-zero ones by name (brightness, contrast,
    saturation, warmth, fade, vignette); {} for none. Given by the media endpoints; left out of a
    post's items."""

    @classmethod
    def of(cls, item: MediaItem, storage: MediaStorage) -> MediaItemOut:
        return cls.of_columns(
            item.id,
            item.kind,
            item.state,
            item.filter_name,
            item.width,
            item.height,
            item.blurhash,
            item.dominant_color,
            item.renditions,
            item.failure_code,
            item.failure_message,
            item.original_format,
            storage,
            rotation=item.rotation,
            adjustments=item.adjustments or {},
        )

    @classmethod
    def of_columns(
        cls,
        media_id: int,
        kind: str,
        state: str,
        filter_name: str,
        width: int | None,
        height: int | None,
        blurhash: str | None,
        dominant_color: str | None,
        renditions: list[dict[str, Any]],
        failure_code: str | None,
        failure_message: str | None,
        original_format: str | None,
        storage: MediaStorage,
        *,
        rotation: int | msgspec.UnsetType = msgspec.UNSET,
        adjustments: dict[str, int] | msgspec.UnsetType = msgspec.UNSET,
    ) -> MediaItemOut:
        """The item from its columns (post cards read Core rows, not entities)."""
        return cls(
            id=str(media_id),
            kind=kind,
            state=state,
            filter=filter_name,
            width=width,
            height=height,
            blurhash=blurhash,
            dominant_color=dominant_color,
            renditions=[
                RenditionOut(
                    name=r["name"],
                    format=r["format"],
                    url=storage.url(r["key"]),
                    width=r["width"],
                    height=r["height"],
                )
                for r in renditions
            ],
            failure=MediaFailure(failure_code, failure_message or "") if failure_code else None,
            duration_ms=next((r["duration_ms"] for r in renditions if "duration_ms" in r), None),
            looping=kind == "video" and original_format == "gif",
            rotation=rotation,
            adjustments=adjustments,
        )
