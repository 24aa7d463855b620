"""Every write to media items goes through a function here: upload, process, recover, delete."""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy import Connection, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from viewfinder.accounts.models import User
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError, invalid, not_found
from viewfinder.core.events import emit
from viewfinder.core.ids import new_id
from viewfinder.core.jobs import current_settings
from viewfinder.detection import nsfw, pdq
from viewfinder.detection.thresholds import in_force
from viewfinder.media import nsfw_posts
from viewfinder.media.events import MediaUploaded
from viewfinder.media.models import MediaItem, MediaState
from viewfinder.mediakit.blocking import run_media_work
from viewfinder.mediakit.photos import (
    ADJUSTMENT_RANGES,
    FILTERS,
    ROTATIONS,
    Adjustments,
    CropBox,
    ProcessedPhoto,
    process_photo,
    sniff,
)
from viewfinder.mediakit.storage import MediaBackend, MediaStorage, discard, put_in_thread
from viewfinder.mediakit.videos import probe_video, transcode_video
from viewfinder.posts.models import PostMedia
from viewfinder.screening import ContentFlagged

logger = logging.getLogger("viewfinder.media")

Upload = bytes | Path
"""An upload's bytes, or (from the API) the path of the local file it was streamed into."""

EXTENSIONS = {"jpeg": "jpg", "webp": "webp"}
# ASCII digits only: int() also takes "1_0" and other scripts' digits.
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,4}")


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


def parse_rotation(value: str | None) -> int:
    """A turn given as degrees clockwise: "0", "90", "180" or "270" (nothing is 0)."""
    if value is None or value.strip() == "":
        return 0
    if value.strip() not in {str(rotation) for rotation in ROTATIONS}:
        raise invalid("rotate", "Give 0, 90, 180 or 270 (degrees clockwise).")
    return int(value)


def parse_adjustments(value: str | None) -> dict[str, int] | None:
    """Adjustments given as "name=value,..." (whole numbers; a name left out is 0), as the non-zero
    ones by name: None when there are none."""
    if value is None or value.strip() == "":
        return None
    allowed = ", ".join(
        f"{name} {lowest} to {highest}" for name, (lowest, highest) in ADJUSTMENT_RANGES.items()
    )
    refusal = invalid("adjust", f'Give "name=value" pairs, separated by commas, each name once: {allowed}.')
    values: dict[str, int] = {}
    for pair in value.split(","):
        name, _, number = (part.strip() for part in pair.partition("="))
        if name not in ADJUSTMENT_RANGES or name in values or not WHOLE_NUMBER.fullmatch(number):
            raise refusal
        values[name] = int(number)
    try:
        return Adjustments(**values).non_zero() or None  # which checks each range
    except ApiError:
        raise refusal from None


@dataclass(frozen=True)
class CheckedUpload:
    kind: str  # "photo" or "video"
    format: str  # as sniffed from the content: "jpeg", "png", ..., "mp4", "mov", "webm", "gif"


def _size(upload: Upload) -> int:
    return len(upload) if isinstance(upload, bytes) else upload.stat().st_size


def check_upload(
    upload: Upload,
    *,
    filter_name: str,
    crop: list[float] | None,
    max_bytes: int,
    max_pixels: int,
    video_max_bytes: int,
    video_max_seconds: float,
    rotation: int = 0,
    adjustments: dict[str, int] | None = None,
) -> CheckedUpload:
    """What an upload is, by its content; refuses it with a 4xx. Blocking (libvips, FFmpeg): async
    code calls it through run_media_work."""
    size = _size(upload)
    if size > max(max_bytes, video_max_bytes):
        raise _too_large("A file", max(max_bytes, video_max_bytes))
    try:
        sniffed = sniff(upload, max_pixels=max_pixels)
    except ApiError as exc:
        if exc.status_code != 415:
            raise
        video = probe_video(upload, max_seconds=video_max_seconds, max_pixels=max_pixels)
        if size > video_max_bytes:
            raise _too_large("A video", video_max_bytes) from None
        if filter_name != "normal":
            raise invalid("filter", "Filters apply to photos only.") from None
        if crop is not None:
            raise invalid("crop", "Crops apply to photos only.") from None
        if rotation:
            raise invalid("rotate", "Turns apply to photos only.") from None
        if adjustments:
            raise invalid("adjust", "Adjustments apply to photos only.") from None
        return CheckedUpload("video", video.format)
    if size > max_bytes:
        raise _too_large("A photo", max_bytes)
    if sniffed.format == "gif" and sniffed.pages > 1:
        # An animated GIF becomes a silent, looping video, as on Instagram and Mastodon.
        probe_video(upload, max_seconds=video_max_seconds, max_pixels=max_pixels)
        if filter_name != "normal" or crop is not None:
            raise invalid(
                "filter" if filter_name != "normal" else "crop", "Animated GIFs take no filter or crop."
            )
        if rotation or adjustments:
            raise invalid("rotate" if rotation else "adjust", "Animated GIFs take no turn or adjustment.")
        return CheckedUpload("video", sniffed.format)
    return CheckedUpload("photo", sniffed.format)


async def upload_media(
    db: AsyncSession,
    storage: MediaStorage,
    owner: User,
    upload: Upload,
    *,
    filter_name: str,
    crop: list[float] | None,
    max_bytes: int,
    max_pixels: int,
    video_max_bytes: int | None = None,
    video_max_seconds: float = 600,
    rotation: int = 0,
    adjustments: dict[str, int] | None = None,
    process: bool = True,
    known_bad: pdq.Limits | None = pdq.Limits(),
) -> MediaItem:
    """Check an upload by its content, keep the raw file and record an item to process.

    A photo is taken first; what is not a photo is probed as a video (MP4, MOV or WebM), which
    has its own size limit (video_max_bytes, defaulting to max_bytes) and takes no filter, crop,
    turn (`rotation`, degrees clockwise, before the crop) or adjustments (see `parse_adjustments`).
    The checks decode in a worker thread (see media/blocking.py), and a file upload is stored from
    disk in chunks. Nothing is stored for a refused upload: a photo matching the known-bad hash list
    (`known_bad`'s limits; None skips the check) is refused with 451 and a case is opened on its
    uploader (videos are checked in the media job). It emits MediaUploaded, so processing
    is queued once this commits (media.subscribers). The raw file is never served (media/api.py
    serves renditions and avatars only).
    """
    if filter_name not in FILTERS:
        raise invalid("filter", f"Unknown filter; choose one of {', '.join(FILTERS)}.")
    if rotation not in ROTATIONS:
        raise invalid("rotate", "Give 0, 90, 180 or 270 (degrees clockwise).")
    adjustments = Adjustments.of(adjustments).non_zero() or None
    checked = await run_media_work(
        lambda: check_upload(
            upload,
            filter_name=filter_name,
            crop=crop,
            max_bytes=max_bytes,
            max_pixels=max_pixels,
            video_max_bytes=max_bytes if video_max_bytes is None else video_max_bytes,
            video_max_seconds=video_max_seconds,
            rotation=rotation,
            adjustments=adjustments,
        )
    )
    if checked.kind == "photo" and known_bad is not None:
        # Its own hash and those of its query variants (undoing a small crop or turn).
        match = await pdq.find_known_bad(
            db, lambda: pdq.query_hashes(upload, max_pixels=max_pixels), known_bad
        )
        if match is not None:
            await _open_known_bad_case(db, owner.id, match)
            await db.commit()
            raise pdq.refusal()
    item = MediaItem(
        id=new_id(),
        owner_id=owner.id,
        kind=checked.kind,
        state=MediaState.UPLOADED,
        original_format=checked.format,
        filter_name=filter_name,
        crop=crop,
        rotation=rotation,
        adjustments=adjustments,
        renditions=[],
    )
    item.original_key = original_key = f"uploads/{owner.id}/{item.id}"
    if isinstance(upload, bytes):
        await put_in_thread(storage, original_key, upload, "application/octet-stream")
    else:
        await anyio.to_thread.run_sync(storage.put_file, original_key, upload, "application/octet-stream")
    db.add(item)
    try:
        if process:
            await emit(db, MediaUploaded(media_id=item.id, owner_id=owner.id))
        await db.commit()
    except BaseException:
        await db.rollback()
        await discard(storage, [original_key])
        raise
    return item


async def record_upload(
    db: AsyncSession, storage: MediaStorage, owner: User, upload: Upload, **options: Any
) -> MediaItem:
    """`upload_media` without queueing its processing: for tools and tests that run
    `process_media` themselves (an item whose job has not run yet)."""
    return await upload_media(db, storage, owner, upload, process=False, **options)


async def _open_known_bad_case(db: AsyncSession, owner_id: int, match: pdq.KnownBadMatch) -> None:
    """Open (or join) a case on the account that uploaded known-bad media (no commit)."""
    await emit(
        db,
        ContentFlagged(
            target_kind="user", target_id=owner_id, owner_id=owner_id, score=1.0, reason=match.reason()
        ),
    )


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

    The item may be deleted at any moment meanwhile (its owner removes the upload or deletes its
    post): the job then ends quietly with None, and removes whatever files it had made for it.
    The upload is copied from storage into a temporary folder and decoded from there, and video
    renditions are written there before they are stored, so memory does not grow with the file.
    Before the item is ready, open_nsfw scores the photo (a video: its keyframes), and in the same
    commit a high score marks or holds the post that carries it (viewfinder.media.nsfw_posts).
    """
    item = await db.get(MediaItem, media_id)
    if item is None or item.state in (MediaState.READY, MediaState.FAILED):
        return item
    item.state = MediaState.PROCESSING
    item.processing_started_at = utcnow()
    item.attempts += 1
    if not await _commit_unless_gone(db):
        return None

    with tempfile.TemporaryDirectory(prefix="viewfinder-media-") as folder:
        work = Path(folder)
        raw = work / "upload"
        if not (item.original_key and storage.get_file(item.original_key, raw)):
            return await _fail(db, item, "original_missing", "The uploaded file is gone; upload it again.")
        if item.kind == "video":
            limits = pdq.Limits.of(await in_force(db, current_settings()))
            match = await pdq.find_known_bad(db, lambda: pdq.video_hashes(raw), limits)
            if match is not None:
                await _open_known_bad_case(db, item.owner_id, match)
                refused = pdq.refusal()
                return await _fail(db, item, refused.code, refused.message, storage)
            return await _process_video(db, storage, item, raw, work)
        crop = CropBox(*item.crop) if item.crop else None
        try:
            photo = process_photo(
                raw,
                max_pixels=10**12,
                filter_name=item.filter_name,
                crop=crop,
                rotation=item.rotation,
                adjustments=Adjustments.of(item.adjustments),
            )
        except ApiError as exc:
            return await _fail(db, item, exc.code, exc.message, storage)
    item.width, item.height = photo.width, photo.height
    scored = nsfw.pick_rendition(photo.renditions)
    item.nsfw_score = _nsfw_score(item, lambda: nsfw.score_photo(scored) if scored else None)
    renditions: list[dict[str, Any]] = []
    try:
        _store_photo_renditions(storage, item, photo, renditions)
    except BaseException:
        await _drop_if_gone(db, storage, item, renditions)
        raise
    return await _ready(db, storage, item, renditions, photo)


def _nsfw_score(item: MediaItem, score: Callable[[], float | None]) -> float | None:
    """The item's open_nsfw score (viewfinder.detection.nsfw; `_ready` applies it to its post), or
    None when scanning is off. A failure of the model is logged and leaves it unscored: an item is
    never failed for its score."""
    if not current_settings().nsfw_scan:
        return None
    try:
        return score()
    except Exception:
        logger.exception("open_nsfw could not score media item %s", item.id)
        return None


async def _commit_unless_gone(db: AsyncSession) -> bool:
    """Commit the item's changes; False (rolled back) when its row was deleted meanwhile."""
    try:
        await db.commit()
    except StaleDataError:  # the UPDATE found no row
        await db.rollback()
        return False
    return True


async def _drop_if_gone(
    db: AsyncSession, storage: MediaStorage, item: MediaItem, renditions: list[dict[str, Any]]
) -> None:
    """After a failure half-way through storing: if the item was deleted meanwhile, nobody will
    ever list the files made so far, so remove them (else the retry overwrites them)."""
    await db.rollback()
    if await db.scalar(select(MediaItem.id).where(MediaItem.id == item.id)) is None:
        await discard(storage, [rendition["key"] for rendition in renditions])


def _store_photo_renditions(
    storage: MediaStorage,
    item: MediaItem,
    photo: ProcessedPhoto,
    renditions: list[dict[str, Any]],
    prefix: str = "",
) -> None:
    """Store each rendition, appending it to `renditions` once it is stored (so a failure half-way
    still knows which files exist)."""
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


def _file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


async def _process_video(
    db: AsyncSession, storage: MediaStorage, item: MediaItem, raw: Path, work: Path
) -> MediaItem | None:
    """Make a video's renditions, then its poster's.

    The videos: MP4s named "720" (and "480" for sources larger than 480p), format "mp4", each with
    the video's duration_ms, stored under videos/<item id>/<sha256>.mp4, never the uploaded file
    itself (see media/videos.py). The poster frame goes through the photo pipeline keeping the
    video's own shape (a 1080x1920 video has a 9:16 poster), with no filter: its renditions are
    named "poster-1080", "poster-750", "poster-640", "poster-320" (those widths, as for photos) and
    "poster-thumb" (a square), JPEG and WebP each, and give the item its blurhash and colour.
    width and height are the "720" rendition's. The upload limits were checked when it came in;
    here they are only a backstop.
    """
    folder = work / "renditions"
    folder.mkdir()
    try:
        video = transcode_video(raw, folder=folder, max_seconds=10**9, max_pixels=10**12)
        poster = process_photo(video.poster, max_pixels=10**12, keep_aspect=True)
    except ApiError as exc:
        return await _fail(db, item, exc.code, exc.message, storage)
    smallest = min(video.renditions, key=lambda r: min(r.width, r.height))  # upright, H.264
    item.nsfw_score = _nsfw_score(item, lambda: nsfw.score_video(smallest.path))
    renditions: list[dict[str, Any]] = []
    try:
        for rendition in video.renditions:
            key = f"videos/{item.id}/{_file_digest(rendition.path)}.mp4"
            storage.put_file(key, rendition.path, rendition.content_type)
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
        _store_photo_renditions(storage, item, poster, renditions, prefix="poster-")
    except BaseException:
        await _drop_if_gone(db, storage, item, renditions)
        raise
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
    with db.no_autoflush:  # a deleted item shows as StaleDataError at the commit below
        await nsfw_posts.apply_to_post_of(db, item, current_settings())
    if not await _commit_unless_gone(db):
        await discard(storage, [rendition["key"] for rendition in renditions])
        return None
    if original_key:
        await discard(storage, [original_key])
    return item


async def _fail(
    db: AsyncSession, item: MediaItem, code: str, message: str, storage: MediaStorage | None = None
) -> MediaItem | None:
    """Mark the item failed with the reason, then drop the raw upload; None when the item was
    deleted meanwhile."""
    original_key = item.original_key
    item.state = MediaState.FAILED
    item.failure_code, item.failure_message = code, message[:300]
    item.original_key = None
    if not await _commit_unless_gone(db):
        return None
    if storage is not None and original_key:
        await discard(storage, [original_key])
    return item


def abandoned_media_ids(
    connection: Connection, lease_seconds: int, queued_lease_seconds: int = 300
) -> list[int]:
    """Take back the items whose processing was cut off or whose job was lost, and return their ids
    (for the caller to enqueue once its transaction has committed). Synchronous, on the consumer's
    own engine, because every consumer's heartbeat runs it every few seconds. Taken back: those
    `processing` whose hold was not renewed for `lease_seconds` (the worker holding one renews it
    with every heartbeat, so this means it died or hangs), and those still `uploaded`
    `queued_lease_seconds` after they were queued.

    Each goes back to `uploaded` (queued again, its wait starting over) in one conditional UPDATE,
    so two sweeps at once never both take the same item, and an item queued again is not taken
    again before `queued_lease_seconds` however long its job waits in a busy queue.
    """
    now = utcnow()
    cut_off = (MediaItem.state == MediaState.PROCESSING) & (
        MediaItem.processing_started_at < now - timedelta(seconds=lease_seconds)
    )
    lost = (MediaItem.state == MediaState.UPLOADED) & (
        func.coalesce(MediaItem.processing_started_at, MediaItem.created_at)
        < now - timedelta(seconds=queued_lease_seconds)
    )
    candidates = list(connection.scalars(select(MediaItem.id).where(or_(cut_off, lost))))
    if not candidates:
        return []
    taken = connection.scalars(
        update(MediaItem)
        .where(MediaItem.id.in_(candidates), or_(cut_off, lost))
        .values(state=MediaState.UPLOADED, processing_started_at=now)
        .returning(MediaItem.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(taken)


def renew_processing_leases(connection: Connection, media_ids: list[int]) -> None:
    """Renew the hold of the worker processing these items (the consumer's heartbeat calls this
    with the items its workers hold; see core.jobs.register_lease)."""
    connection.execute(
        update(MediaItem)
        .where(MediaItem.id.in_(media_ids), MediaItem.state == MediaState.PROCESSING)
        .values(processing_started_at=utcnow())
    )


# --- account erasure (privacy.erasure) -------------------------------------------------------------

ACCOUNT_DATA_TABLES = ("media_items",)
"""Tables whose rows of an account `delete_account_data` removes."""
ERASE_BATCH = 200


def item_files(item: MediaItem) -> list[str]:
    """Every file an item has in storage: its renditions (posters included) and the raw upload."""
    keys = [rendition["key"] for rendition in item.renditions]
    return keys + ([item.original_key] if item.original_key else [])


async def delete_files(storage: MediaStorage, keys: list[str]) -> None:
    """Delete these files in a worker thread. Unlike `discard`, a failure raises: an erasure must
    not finish with a file left behind, so it is retried instead (deleting a missing key is fine)."""
    wanted = list(dict.fromkeys(keys))

    def delete_all() -> None:
        for key in wanted:
            storage.delete(key)

    if wanted:
        await anyio.to_thread.run_sync(delete_all)


async def delete_account_data(db: AsyncSession, user_id: int, storage: MediaBackend) -> None:
    """Erase every media item of the account (privacy.erasure runs posts first, so these are the
    unposted ones) with all its files, and any file left under uploads/<user id>/. Files go before
    their rows: a crash half-way leaves rows that name them, and the retry deletes both."""
    while True:
        items = list(
            await db.scalars(
                select(MediaItem)
                .where(MediaItem.owner_id == user_id)
                .order_by(MediaItem.id)
                .limit(ERASE_BATCH)
            )
        )
        if not items:
            break
        await delete_files(storage, [key for item in items for key in item_files(item)])
        await db.execute(
            delete(MediaItem)
            .where(MediaItem.id.in_([item.id for item in items]))
            .execution_options(synchronize_session=False)
        )
        await db.commit()
    await delete_files(storage, await anyio.to_thread.run_sync(storage.list_keys, f"uploads/{user_id}/"))
