"""Every write to media items goes through a function here: upload, process, recover, delete."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from viewfinder.accounts.models import User
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError, invalid, not_found
from viewfinder.core.ids import new_id
from viewfinder.media.models import MediaItem, MediaState
from viewfinder.media.photos import FILTERS, CropBox, ProcessedPhoto, process_photo, sniff
from viewfinder.media.storage import MediaStorage, discard, put_in_thread
from viewfinder.media.videos import probe_video, transcode_video
from viewfinder.posts.models import PostMedia

EXTENSIONS = {"jpeg": "jpg", "webp": "webp"}


def parse_crop(value: str | None) -> list[float] | None:
    """A crop given as "left,top,width,height" in fractions of the upright photo."""
    if value is None or value.strip() == "":
        return None
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        numbers = []
    if (
        len(numbers) != 4
        or not all(0.0 <= n <= 1.0 for n in numbers)
        or numbers[2] <= 0
        or numbers[3] <= 0
        or numbers[0] + numbers[2] > 1.0 + 1e-6
        or numbers[1] + numbers[3] > 1.0 + 1e-6
    ):
        raise invalid("crop", "Give left,top,width,height as fractions between 0 and 1 inside the photo.")
    return numbers


async def upload_media(
    db: AsyncSession,
    storage: MediaStorage,
    owner: User,
    data: bytes,
    *,
    filter_name: str,
    crop: list[float] | None,
    max_bytes: int,
    max_pixels: int,
    video_max_bytes: int | None = None,
    video_max_seconds: float = 600,
) -> MediaItem:
    """Check an upload by its content, keep the raw bytes and record an item to process.

    A photo is taken first; what is not a photo is probed as a video (MP4, MOV or WebM), which
    has its own size limit (video_max_bytes, defaulting to max_bytes) and takes no filter or crop.
    Nothing is stored for a refused upload. The caller enqueues processing after this commits.
    """
    if filter_name not in FILTERS:
        raise invalid("filter", f"Unknown filter; choose one of {', '.join(FILTERS)}.")
    video_limit = max_bytes if video_max_bytes is None else video_max_bytes
    if len(data) > max(max_bytes, video_limit):
        raise _too_large("A file", max(max_bytes, video_limit))
    try:
        sniffed = sniff(data, max_pixels=max_pixels)
    except ApiError as exc:
        if exc.status_code != 415:
            raise
        video = probe_video(data, max_seconds=video_max_seconds, max_pixels=max_pixels)
        if len(data) > video_limit:
            raise _too_large("A video", video_limit) from None
        if filter_name != "normal":
            raise invalid("filter", "Filters apply to photos only.") from None
        if crop is not None:
            raise invalid("crop", "Crops apply to photos only.") from None
        kind, original_format = "video", video.format
    else:
        if len(data) > max_bytes:
            raise _too_large("A photo", max_bytes)
        kind, original_format = "photo", sniffed.format
        if sniffed.format == "gif" and sniffed.pages > 1:
            # An animated GIF becomes a silent, looping video, as on Instagram and Mastodon.
            probe_video(data, max_seconds=video_max_seconds, max_pixels=max_pixels)
            if filter_name != "normal" or crop is not None:
                raise invalid(
                    "filter" if filter_name != "normal" else "crop", "Animated GIFs take no filter or crop."
                )
            kind = "video"
    item = MediaItem(
        id=new_id(),
        owner_id=owner.id,
        kind=kind,
        state=MediaState.UPLOADED,
        original_format=original_format,
        filter_name=filter_name,
        crop=crop,
        renditions=[],
    )
    item.original_key = f"uploads/{owner.id}/{item.id}"
    await put_in_thread(storage, item.original_key, data, "application/octet-stream")
    db.add(item)
    try:
        await db.commit()
    except BaseException:
        await db.rollback()
        await discard(storage, [item.original_key])
        raise
    return item


def _too_large(what: str, limit: int) -> ApiError:
    return ApiError(413, "too_large", f"{what} must be at most {limit} bytes.", {"file": "too_large"})


async def get_own_media(db: AsyncSession, owner: User, media_id: int) -> MediaItem:
    item = await db.scalar(select(MediaItem).where(MediaItem.id == media_id, MediaItem.owner_id == owner.id))
    if item is None:
        raise not_found("No such media item.")
    return item


async def delete_unposted_media(db: AsyncSession, storage: MediaStorage, owner: User, media_id: int) -> None:
    """Delete one of the owner's items that no post uses (an abandoned or failed upload), then, once
    that is committed, its files: renditions and the raw upload if processing has not dropped it.

    Someone else's item is a 404; an item in a post is a 409 (the post is deleted with its items).
    An item still processing may go too: the worker then finds it gone and drops what it made.
    """
    item = await get_own_media(db, owner, media_id)
    # One statement that also reads the file keys, so neither a post taking the item nor processing
    # finishing at the same moment can slip in between the check and the delete.
    removed = (
        await db.execute(
            delete(MediaItem)
            .where(MediaItem.id == item.id, ~exists().where(PostMedia.media_id == MediaItem.id))
            .returning(MediaItem.renditions, MediaItem.original_key)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if removed is None:
        await db.rollback()
        raise ApiError(409, "media_in_use", "This item is in a post; delete the post to remove it.")
    renditions, original_key = removed
    await db.commit()
    await discard(
        storage, [rendition["key"] for rendition in renditions] + ([original_key] if original_key else [])
    )


async def process_media_item(db: AsyncSession, storage: MediaStorage, media_id: int) -> MediaItem | None:
    """Make the renditions of one item. Idempotent: a ready or failed item is left as it is.

    A problem with the photo or video itself marks the item failed with its reason; anything else (a
    storage or database outage) raises, so the queue retries with backoff.
    """
    item = await db.get(MediaItem, media_id)
    if item is None or item.state in (MediaState.READY, MediaState.FAILED):
        return item
    item.state = MediaState.PROCESSING
    item.processing_started_at = utcnow()
    item.attempts += 1
    await db.commit()

    raw = storage.get(item.original_key) if item.original_key else None
    if raw is None:
        return await _fail(db, item, "original_missing", "The uploaded file is gone; upload it again.")
    if item.kind == "video":
        return await _process_video(db, storage, item, raw)
    crop = CropBox(*item.crop) if item.crop else None
    try:
        photo = process_photo(raw, max_pixels=10**12, filter_name=item.filter_name, crop=crop)
    except ApiError as exc:
        return await _fail(db, item, exc.code, exc.message, storage)

    item.width, item.height = photo.width, photo.height
    return await _ready(db, storage, item, _store_photo_renditions(storage, item, photo), photo)


def _store_photo_renditions(
    storage: MediaStorage, item: MediaItem, photo: ProcessedPhoto, prefix: str = ""
) -> list[dict[str, Any]]:
    renditions: list[dict[str, Any]] = []
    for rendition in photo.renditions:
        digest = hashlib.sha256(rendition.data).hexdigest()
        # Content-addressed within the item: a retry rewrites identical bytes under the same key, and
        # deleting one item never removes a file another item (the same photo uploaded twice) uses.
        key = f"photos/{item.id}/{digest}.{EXTENSIONS[rendition.format]}"
        storage.put(key, rendition.data, rendition.content_type)
        renditions.append(
            {
                "name": prefix + rendition.name,
                "format": rendition.format,
                "key": key,
                "width": rendition.width,
                "height": rendition.height,
            }
        )
    return renditions


async def _process_video(
    db: AsyncSession, storage: MediaStorage, item: MediaItem, raw: bytes
) -> MediaItem | None:
    """Make a video's renditions, then its poster's.

    The videos: MP4s named "720" (and "480" for sources larger than 480p), format "mp4", each with
    the video's duration_ms, stored under videos/<item id>/<sha256>.mp4. The poster frame goes
    through the photo pipeline (no filter, so within the photo aspect range like any cover): its
    renditions are named "poster-1080", "poster-640", "poster-320" and "poster-thumb", JPEG and WebP
    each, and give the item its blurhash and colour. width and height are the "720" rendition's.
    The upload limits were checked when it came in; here they are only a backstop.
    """
    try:
        video = transcode_video(raw, max_seconds=10**9, max_pixels=10**12)
        poster = process_photo(video.poster, max_pixels=10**12)
    except ApiError as exc:
        return await _fail(db, item, exc.code, exc.message, storage)
    renditions: list[dict[str, Any]] = []
    for rendition in video.renditions:
        digest = hashlib.sha256(rendition.data).hexdigest()
        key = f"videos/{item.id}/{digest}.mp4"
        storage.put(key, rendition.data, rendition.content_type)
        renditions.append(
            {
                "name": rendition.name,
                "format": "mp4",
                "key": key,
                "width": rendition.width,
                "height": rendition.height,
                "duration_ms": round(video.duration_seconds * 1000),
            }
        )
    renditions += _store_photo_renditions(storage, item, poster, prefix="poster-")
    item.width, item.height = video.width, video.height
    return await _ready(db, storage, item, renditions, poster)


async def _ready(
    db: AsyncSession,
    storage: MediaStorage,
    item: MediaItem,
    renditions: list[dict[str, Any]],
    photo: ProcessedPhoto,
) -> MediaItem | None:
    """Mark the item ready with its renditions, then drop the raw upload. None when the owner
    deleted the item meanwhile: its new renditions are dropped too, so no file outlives it."""
    original_key = item.original_key
    item.state = MediaState.READY
    item.renditions = renditions
    item.blurhash, item.dominant_color = photo.blurhash, photo.dominant_color
    item.original_key = None
    try:
        await db.commit()
    except StaleDataError:  # the row is gone
        await db.rollback()
        await discard(storage, [rendition["key"] for rendition in renditions])
        return None
    if original_key:
        await discard(storage, [original_key])
    return item


async def _fail(
    db: AsyncSession, item: MediaItem, code: str, message: str, storage: MediaStorage | None = None
) -> MediaItem:
    original_key = item.original_key
    item.state = MediaState.FAILED
    item.failure_code, item.failure_message = code, message[:300]
    item.original_key = None
    await db.commit()
    if storage is not None and original_key:
        await discard(storage, [original_key])
    return item


async def abandoned_media_ids(db: AsyncSession, lease_seconds: int) -> list[int]:
    """Items whose processing never started or was cut off (a worker killed mid-job)."""
    cutoff = utcnow() - timedelta(seconds=lease_seconds)
    result = await db.scalars(
        select(MediaItem.id).where(
            or_(
                (MediaItem.state == MediaState.UPLOADED) & (MediaItem.created_at < cutoff),
                (MediaItem.state == MediaState.PROCESSING) & (MediaItem.processing_started_at < cutoff),
            )
        )
    )
    ids = list(result)
    if ids:
        # Restart the lease so the next sweep does not enqueue them again straight away.
        await db.execute(
            update(MediaItem).where(MediaItem.id.in_(ids)).values(processing_started_at=utcnow())
        )
        await db.commit()
    return ids
