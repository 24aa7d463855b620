"""Known-bad media: PDQ hashes of photos and video keyframes, matched against the staff's hash list
(docs/decisions/0063-known-bad-media-pdq.md).

**Hashing.** PDQ (Meta's perceptual hash, `pdqhash`) gives 256 bits and a quality (0-100; flat or
featureless pictures score low) that barely move when a picture is resized, re-compressed or
re-coloured. A photo is decoded as the pipeline decodes it (upright,
sRGB, `mediakit.photos`) and shrunk to at most 512 px, which is all PDQ looks at. A video (or an
animated GIF) gives one hash per keyframe: the frames found by seeking to the start, a quarter, the
middle, three quarters and near the end, turned upright. PDQ alone misses most 5 % crops and
turns of a few degrees, so media that staff list themselves are listed with the hashes of such
variants too (`listing_hashes`).

**Query variants.** An imported list (ThreatExchange) holds one hash per image, so the upload side
undoes the edits: a photo upload is looked up with its own hash and 31 more (`query_hashes`), of
the upload padded back out by 1/0.95 at 5 x 5 anchors (its borders edge-extended: PDQ looks at low
frequencies, where alignment matters most and a plausible border little) and turned back by
+-1.25, +-2.5 and +-3.75 degrees (corners edge-extended too: black ones cost 30-60 bits). Hashing
31 pictures would take ~31 x 5 ms, so PDQ's steps are done here in numpy (`variant_hashes`): the
upload is filtered once as PDQ filters it, and each variant is only where its 64 x 64 samples
fall (~8 ms for all 31). Recall of copies on a one-hash-per-image list rises from 0.72 to 0.996
(5 % crops 0.00 to 0.975, turns 0.33 to 1.00), with no false match among 9 million pairs of
distinct photos (docs/decisions/0063). Videos are looked up with their keyframes' own hashes only.

**Matching.** An upload matches when one of its hashes is within Hamming distance
`pdq_max_distance` (31) of a listed hash whose quality is at least `pdq_min_quality` (50), and its
own quality is at least that too (PDQ's authors' advice: a low-quality hash matches too much).

**Index.** A list can hold millions of hashes, and every upload is checked, so each process keeps
the list as a multi-index hash table (`HashIndex`): the 256 bits cut into 16 chunks of 16 bits, and
for each chunk the rows sorted by that chunk's value. Two hashes within distance 31 differ by at
most 1 bit in at least one chunk (else they would differ by 2 x 16 = 32 bits), so the candidates
are the rows whose chunk equals the query's chunk or one of its 16 one-bit neighbours: 16 x 17
slices of the sorted tables, then the exact distance of every candidate in one numpy operation.
With a million random hashes that is a few thousand candidates, well under a millisecond.

**Cache.** The index is built from the table and rebuilt only when the list's version changes:
one cheap query, the number and newest id of the list's changes in the audit log, where every
import, addition and deletion is recorded in its own transaction (as `viewfinder.screening` does
for its rules). So a hash added by any process applies to the next upload in every other.

This module decides; it writes nothing but the list: the upload path (`media.services`) refuses a
matching photo with 451 `known_bad_media` and opens a case on the uploader, and the media job
fails a matching video the same way.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import av
import numpy as np
import numpy.typing as npt
import pdqhash
import pyvips
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.cache import ReadOnChange
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError
from viewfinder.core.ids import new_id
from viewfinder.detection.models import KnownBadHash
from viewfinder.detection.thresholds import InForce
from viewfinder.media.models import MediaItem
from viewfinder.mediakit.blocking import run_media_work
from viewfinder.mediakit.photos import PhotoSource, load_upright, sniff, to_srgb
from viewfinder.mediakit.storage import MediaStorage
from viewfinder.mediakit.videos import VideoSource, container_of
from viewfinder.moderation.models import AuditEntry
from viewfinder.posts.models import PostMedia
from viewfinder.settings import Settings

MAX_SIDE: Final = 512
"""PDQ works on at most 512 x 512 pixels; larger pictures are shrunk first."""
KEYFRAME_POSITIONS: Final = (0.0, 0.25, 0.5, 0.75, 0.95)
"""Where in a video its keyframes are taken, as fractions of its duration."""
MAX_DISTANCE: Final = 31
MIN_QUALITY: Final = 50
CHUNKS: Final = 16
CHUNK_BITS: Final = 16
HASH_CHANGES: Final = ("hashes.imported", "hashes.added", "hashes.deleted")
"""The audit actions of changes to the list: their count is the list's version."""
MAX_LABEL: Final = 200
MAX_SOURCE: Final = 200
INSERT_BATCH: Final = 5000

Words = npt.NDArray[np.uint64]


# --- hashes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdqHash:
    """256 bits and PDQ's quality (0-100)."""

    hex: str
    quality: int

    @property
    def words(self) -> Words:
        words: Words = words_of([self.hex])[0]
        return words


def _bits_to_hex(bits: npt.NDArray[Any]) -> str:
    # pdqhash gives bit 255 first (its hash_to_vector reverses the reference's 16 words), which is
    # the reference's toHexString order: words 15 to 0, most significant bit first.
    packed = np.packbits(np.asarray(bits, dtype=np.uint8))
    return packed.tobytes().hex()


def hash_pixels(rgb: npt.NDArray[np.uint8]) -> PdqHash:
    """The PDQ hash of an RGB picture (height x width x 3, 8 bits)."""
    bits, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    return PdqHash(_bits_to_hex(bits), int(quality))


def _pixels(image: pyvips.Image) -> npt.NDArray[np.uint8]:
    image = to_srgb(image)
    if max(image.width, image.height) > MAX_SIDE:
        image = image.thumbnail_image(MAX_SIDE, height=MAX_SIDE, size="down")
    raw = image.write_to_memory()
    return np.frombuffer(raw, dtype=np.uint8).reshape(image.height, image.width, 3)


def hash_image(image: pyvips.Image) -> PdqHash:
    """The hash of a decoded picture (any interpretation: made sRGB first)."""
    return hash_pixels(_pixels(image))


def _decoded(source: PhotoSource, max_pixels: int) -> pyvips.Image:
    image = load_upright(source, sniff(source, max_pixels=max_pixels))
    if max(image.width, image.height) > 2 * MAX_SIDE:  # enough for every variant, and faster
        image = image.thumbnail_image(2 * MAX_SIDE, height=2 * MAX_SIDE, size="down")
    return image.copy_memory()


def photo_hash(source: PhotoSource, *, max_pixels: int) -> PdqHash:
    """The hash of a photo as the pipeline decodes it (upright, sRGB). Blocking (libvips)."""
    try:
        return hash_image(_decoded(source, max_pixels))
    except pyvips.Error as exc:
        raise ApiError(400, "corrupt_media", "The photo could not be read.", {"file": "corrupt"}) from exc


VARIANT_CROP: Final = 0.95
VARIANT_CROP_STEPS: Final = (0.0, 0.25, 0.5, 0.75, 1.0)
VARIANT_ANGLES: Final = (-4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0)


def listing_hashes(source: PhotoSource, *, max_pixels: int) -> list[PdqHash]:
    """The hashes to list for a photo staff removed: the photo's own, and those of the copies PDQ
    alone misses (a few per cent cropped off, a few degrees turned), so such copies match too: its
    95 % crops at 25 places and its turns by 1 to 4 degrees (34 hashes). Blocking (libvips)."""
    try:
        image = _decoded(source, max_pixels)
        found = [hash_image(image)]
        width, height = round(image.width * VARIANT_CROP), round(image.height * VARIANT_CROP)
        for across in VARIANT_CROP_STEPS:
            for down in VARIANT_CROP_STEPS:
                left, top = round((image.width - width) * across), round((image.height - height) * down)
                found.append(hash_image(image.crop(left, top, width, height)))
        for angle in VARIANT_ANGLES:
            turned = image.rotate(angle)
            left, top = (turned.width - image.width) // 2, (turned.height - image.height) // 2
            found.append(hash_image(turned.crop(left, top, image.width, image.height)))
    except pyvips.Error as exc:
        raise ApiError(400, "corrupt_media", "The photo could not be read.", {"file": "corrupt"}) from exc
    unique = {h.hex: h for h in found}
    return list(unique.values())


# --- query variants: an upload's hashes looked up against one-hash-per-image lists ----------------

QUERY_PAD_STEPS: Final = VARIANT_CROP_STEPS
"""Where the upload sits in its padded-out frame, across and down (5 x 5 anchors)."""
QUERY_ANGLES: Final = (-3.75, -2.5, -1.25, 1.25, 2.5, 3.75)
"""The turns that undo a copy turned by 0.5 to about 4.4 degrees (either way; each covers ~0.6)."""
_PDQ_GRID: Final = (np.arange(64) + 0.5) / 64
_ROW_INDEX: Final = np.arange(16)[:, None]
_DCT16: Final = (
    np.sqrt(2 / 64) * np.cos(np.pi / 2 / 64 * (_ROW_INDEX + 1) * (2 * np.arange(64)[None, :] + 1))
).astype(np.float32)
"""PDQ's 16 x 64 DCT matrix (its coefficients 1 to 16: the constant one is left out)."""


def _box(values: npt.NDArray[np.float32], window: int, axis: int) -> npt.NDArray[np.float32]:
    """PDQ's box filter along an axis: the mean of `window` values around each (the reference's
    box1DFloat, shorter windows at the ends), as `window` shifted sums (windows are side / 128:
    a few values, so this is ~10 times faster than cumulative sums)."""
    half = (window + 2) // 2
    lead = window - half
    moved = np.moveaxis(values, axis, 0)
    size = moved.shape[0]
    padded = np.zeros((size + window - 1, *moved.shape[1:]), dtype=np.float32)
    padded[lead : lead + size] = moved
    sums = padded[:size].copy()
    for shift in range(1, window):
        sums += padded[shift : shift + size]
    at = np.arange(size)
    counts = (np.minimum(size, at + half) - np.maximum(0, at - lead)).astype(np.float32)
    sums /= counts.reshape((size,) + (1,) * (moved.ndim - 1))
    means: npt.NDArray[np.float32] = np.moveaxis(sums, 0, axis)
    return means


def _filtered_luma(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """PDQ's first steps, as the reference does them: luminance, then the Jarosz filter (the box
    filter along rows and columns, twice, windows of side / 128) that PDQ samples 64 x 64 from."""
    pixels = rgb.astype(np.float32)
    luma = pixels[:, :, 0] * np.float32(0.299) + pixels[:, :, 1] * np.float32(0.587)
    luma += pixels[:, :, 2] * np.float32(0.114)
    height, width = luma.shape
    along_rows, along_columns = (width + 127) // 128, (height + 127) // 128
    for _ in range(2):
        luma = _box(_box(luma, along_rows, 1), along_columns, 0)
    return luma


def _hashes_of_samples(samples: npt.NDArray[np.float32]) -> list[PdqHash]:
    """PDQ's last steps on n 64 x 64 samples: the 16 x 16 low-frequency DCT, one bit per coefficient
    above their median, and the quality from the samples' gradients (the reference's integer
    arithmetic)."""
    count = len(samples)
    coefficients = (_DCT16 @ samples @ _DCT16.T).reshape(count, 256)
    median = np.partition(coefficients, 127, axis=1)[:, 127:128]  # Torben's: the lower median
    # Bit k is coefficient k (row-major); the hex starts with bit 255 (see _bits_to_hex).
    packed = np.packbits(coefficients[:, ::-1] > median, axis=1)
    scale = np.float32(100 / 255)
    down = np.abs(np.trunc((samples[:, :-1, :] - samples[:, 1:, :]) * scale)).sum(axis=(1, 2))
    across = np.abs(np.trunc((samples[:, :, :-1] - samples[:, :, 1:]) * scale)).sum(axis=(1, 2))
    qualities = np.minimum(100, (down + across) // 90).astype(int)
    return [PdqHash(row.tobytes().hex(), int(q)) for row, q in zip(packed, qualities, strict=True)]


def _variant_grids(height: int, width: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Where each query variant samples the upload (rows and columns, pixel centres; n x 64 x 64):
    the upload padded out to 1/0.95 of its size at the 5 x 5 anchors of QUERY_PAD_STEPS, then the
    upload turned by each of QUERY_ANGLES about its centre. Outside the upload is clamped to its
    edge: an edge-extended border (or corner) is much closer to the cut-off one than black is."""
    full_height, full_width = height / VARIANT_CROP, width / VARIANT_CROP
    rows: list[npt.NDArray[np.float64]] = []
    columns: list[npt.NDArray[np.float64]] = []
    for down in QUERY_PAD_STEPS:
        for across in QUERY_PAD_STEPS:
            row = _PDQ_GRID * full_height - down * (full_height - height)
            column = _PDQ_GRID * full_width - across * (full_width - width)
            rows.append(np.broadcast_to(row[:, None], (64, 64)))
            columns.append(np.broadcast_to(column[None, :], (64, 64)))
    dy = (_PDQ_GRID * height - height / 2)[:, None]
    dx = (_PDQ_GRID * width - width / 2)[None, :]
    for angle in QUERY_ANGLES:
        cos, sin = np.cos(np.radians(angle)), np.sin(np.radians(angle))
        rows.append(height / 2 + dy * cos + dx * sin)
        columns.append(width / 2 - dy * sin + dx * cos)
    return np.array(rows) - 0.5, np.array(columns) - 0.5


def _sample(
    image: npt.NDArray[np.float32], rows: npt.NDArray[np.float64], columns: npt.NDArray[np.float64]
) -> npt.NDArray[np.float32]:
    """Bilinear samples of a (filtered) picture, clamped to its edges."""
    height, width = image.shape
    rows = np.clip(rows, 0, height - 1)
    columns = np.clip(columns, 0, width - 1)
    top = np.minimum(rows.astype(np.int64), height - 2)
    left = np.minimum(columns.astype(np.int64), width - 2)
    down = (rows - top).astype(np.float32)
    across = (columns - left).astype(np.float32)
    flat = image.ravel()
    at = top * width + left
    upper = flat[at] * (1 - across) + flat[at + 1] * across
    lower = flat[at + width] * (1 - across) + flat[at + width + 1] * across
    sampled: npt.NDArray[np.float32] = upper * (1 - down) + lower * down
    return sampled


def variant_hashes(rgb: npt.NDArray[np.uint8]) -> list[PdqHash]:
    """The hashes of the query variants of a picture (_variant_grids: 25 padded out, 6 turned back),
    PDQ computed here in numpy from one filtered picture: each variant is only its 64 x 64 samples,
    so 31 variants cost about two more hashes instead of 31 (PDQ itself, tested bit for bit against
    pdqhash on the picture as it is)."""
    if min(rgb.shape[:2]) < 2:
        return []
    filtered = _filtered_luma(rgb)
    return _hashes_of_samples(_sample(filtered, *_variant_grids(*filtered.shape)))


def pixel_query_hashes(rgb: npt.NDArray[np.uint8]) -> list[PdqHash]:
    """A picture's own hash (pdqhash), then its query variants' (variant_hashes), without repeats."""
    found = [hash_pixels(rgb), *variant_hashes(rgb)]
    return list({h.hex: h for h in found}.values())


def query_hashes(source: PhotoSource, *, max_pixels: int) -> list[PdqHash]:
    """The hashes an uploaded photo is looked up with: its own first (photo_hash), then those of 31
    variants that undo the edits PDQ alone misses, so a copy matches an imported list (one hash per
    image) too: the upload padded back out by 1/0.95 at 25 anchors (a 5 % crop) and turned back by
    +-1.25, +-2.5 and +-3.75 degrees. From the one 512 px decode of the upload. Blocking (libvips)."""
    try:
        return pixel_query_hashes(_pixels(_decoded(source, max_pixels)))
    except pyvips.Error as exc:
        raise ApiError(400, "corrupt_media", "The photo could not be read.", {"file": "corrupt"}) from exc


def _upright(frame: Any) -> npt.NDArray[np.uint8]:
    rgb: npt.NDArray[np.uint8] = frame.to_ndarray(format="rgb24")
    turns = round(-float(getattr(frame, "rotation", 0) or 0) / 90) % 4  # players turn clockwise
    if turns:
        rgb = np.rot90(rgb, k=-turns)
    if max(rgb.shape[:2]) > MAX_SIDE:
        height, width = rgb.shape[:2]
        image = pyvips.Image.new_from_memory(np.ascontiguousarray(rgb).tobytes(), width, height, 3, "uchar")
        return _pixels(image)
    return rgb


def video_hashes(source: VideoSource) -> list[PdqHash]:
    """The hashes of a video's keyframes (KEYFRAME_POSITIONS), each found by seeking; an empty list
    for what cannot be read (the pipeline refuses it anyway). Blocking (FFmpeg)."""
    if isinstance(source, bytes):
        head = source[:64]
    else:
        with source.open("rb") as handle:
            head = handle.read(64)
    found = container_of(head)
    if found is None:
        return []
    hashes: list[PdqHash] = []
    try:
        opened: Any = av.open(
            io.BytesIO(source) if isinstance(source, bytes) else str(source), format=found[0]
        )
        with opened as box:
            if not box.streams.video:
                return []
            stream = box.streams.video[0]
            duration = (box.duration / av.time_base) if box.duration else 0.0
            time_base = stream.time_base or av.time_base
            seen: set[str] = set()
            for position in KEYFRAME_POSITIONS:
                if position and duration <= 0:
                    break
                box.seek(int(position * duration / time_base), stream=stream, backward=True, any_frame=False)
                frame = next(box.decode(stream), None)
                if frame is None:
                    continue
                found_hash = hash_pixels(_upright(frame))
                if found_hash.hex not in seen:
                    seen.add(found_hash.hex)
                    hashes.append(found_hash)
    except (av.FFmpegError, ValueError, OSError):
        return hashes
    return hashes


# --- the index ------------------------------------------------------------------------------------


def words_of(hexes: Sequence[str]) -> Words:
    """Hashes in hex as an (n, 4) array of 64-bit words, least significant word first."""
    if not hexes:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = np.frombuffer(bytes.fromhex("".join(hexes)), dtype=">u8").reshape(len(hexes), 4)
    return np.ascontiguousarray(raw[:, ::-1]).astype(np.uint64)


def distances(words: Words, query: Words) -> npt.NDArray[np.int64]:
    """Hamming distance of each row of `words` to the one hash `query`."""
    counted: npt.NDArray[np.int64] = np.bitwise_count(np.bitwise_xor(words, query)).sum(
        axis=1, dtype=np.int64
    )
    return counted


_ONE_BIT_FLIPS: Final = np.array([0] + [1 << bit for bit in range(CHUNK_BITS)], dtype=np.int64)


class HashIndex:
    """A multi-index hash table over n hashes for neighbours within distance 31 (see the module's
    docstring): per chunk, the row numbers sorted by that chunk's value and where each value's run
    starts. About 100 bytes a hash."""

    def __init__(self, words: Words) -> None:
        self.words = np.ascontiguousarray(words, dtype=np.uint64)
        count = len(self.words)
        chunks = self.words.view(np.uint16).reshape(count, CHUNKS)  # little-endian: word k's low chunk first
        values = 1 << CHUNK_BITS
        self._rows = np.empty(CHUNKS * count, dtype=np.int32)
        self._starts = np.empty((CHUNKS, values + 1), dtype=np.int64)
        for chunk in range(CHUNKS):
            column = chunks[:, chunk]
            self._rows[chunk * count : (chunk + 1) * count] = np.argsort(column, kind="stable")
            self._starts[chunk, 0] = chunk * count
            self._starts[chunk, 1:] = chunk * count + np.cumsum(np.bincount(column, minlength=values))

    def __len__(self) -> int:
        return len(self.words)

    def nearest(self, query: Words, max_distance: int = MAX_DISTANCE) -> tuple[int, int] | None:
        """(row, distance) of the closest hash within max_distance (at most 31), or None."""
        hit = self.nearest_any(query, max_distance)
        return None if hit is None else (hit[1], hit[2])

    def nearest_any(self, queries: Words, max_distance: int = MAX_DISTANCE) -> tuple[int, int, int] | None:
        """(query, row, distance) of the closest pair of one of n queries ((n, 4) words: an upload's
        query hashes) and a listed hash within max_distance, or None, in one numpy pass. The
        candidates of a query are the rows with some chunk equal to the query's or one bit off
        (~4,000 with a million hashes listed); a row may come twice (two chunks close), and checking
        it twice is cheaper than np.unique."""
        if not 0 <= max_distance <= 2 * CHUNKS - 1:
            raise ValueError("The index finds neighbours within distance 31 at most.")
        queries = np.ascontiguousarray(queries, dtype=np.uint64).reshape(-1, 4)
        if len(queries) == 0 or len(self.words) == 0:
            return None
        query_chunks = queries.view(np.uint16).astype(np.int64)  # (n, 16)
        probes = (query_chunks[:, :, None] ^ _ONE_BIT_FLIPS[None, None, :]).ravel()
        per_query = CHUNKS * len(_ONE_BIT_FLIPS)
        chunk_of = np.tile(np.repeat(np.arange(CHUNKS), len(_ONE_BIT_FLIPS)), len(queries))
        starts = self._starts[chunk_of, probes]
        lengths = self._starts[chunk_of, probes + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            return None
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        rows = self._rows[offsets + np.arange(total)]
        owners = np.repeat(np.repeat(np.arange(len(queries)), per_query), lengths)
        found = np.bitwise_count(np.bitwise_xor(self.words[rows], queries[owners])).sum(
            axis=1, dtype=np.int64
        )
        best = int(np.argmin(found))
        if found[best] > max_distance:
            return None
        return int(owners[best]), int(rows[best]), int(found[best])


# --- the list, cached per process -----------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """When an upload matches: within max_distance of a listed hash, both of quality >= min_quality."""

    max_distance: int = MAX_DISTANCE
    min_quality: int = MIN_QUALITY

    @classmethod
    def of(cls, source: Settings | InForce) -> Limits:
        """From the settings, or from the thresholds in force (admins change them while it runs)."""
        return cls(source.pdq_max_distance, source.pdq_min_quality)


@dataclass(frozen=True)
class ListedIndex:
    """The index of the listed hashes of at least a quality, and the table's id of each row."""

    index: HashIndex
    ids: npt.NDArray[np.int64]


_lists: ReadOnChange[ListedIndex] = ReadOnChange(AuditEntry.version_of(HASH_CHANGES))
"""Per database and minimum quality: the list's index, built again when the list changes."""


async def current_index(db: AsyncSession, min_quality: int = MIN_QUALITY) -> ListedIndex:
    """The listed hashes of quality >= min_quality, indexed once per version of the list."""

    async def build() -> ListedIndex:
        rows = (
            await db.execute(
                select(KnownBadHash.id, KnownBadHash.hash).where(KnownBadHash.quality >= min_quality)
            )
        ).all()
        # Off the event loop: a million hashes take seconds to index.
        return await run_media_work(
            lambda: ListedIndex(
                HashIndex(words_of([row[1] for row in rows])),
                np.array([row[0] for row in rows], dtype=np.int64),
            )
        )

    return await _lists.get(db, build, min_quality)


@dataclass(frozen=True)
class KnownBadMatch:
    """An upload's hash close to a listed one."""

    hash_id: int
    label: str
    source: str
    distance: int
    quality: int

    def reason(self) -> str:
        label = f" ({self.label})" if self.label else ""
        return (
            f"Upload refused: it matches a known-bad hash from {self.source}{label}, "
            f"PDQ distance {self.distance}, quality {self.quality}."
        )


async def find_known_bad(
    db: AsyncSession, hashes: Callable[[], Iterable[PdqHash]], limits: Limits = Limits()
) -> KnownBadMatch | None:
    """The closest listed hash to any of the upload's hashes, if one matches. `hashes` (blocking)
    runs in a media worker thread, and only when the list has anything to match; the lookup runs
    there too: all of an upload's hashes at once (a photo's own and its 31 query variants,
    `query_hashes`), which with a million listed hashes reads ~130,000 candidates (~25 ms)."""
    listed = await current_index(db, limits.min_quality)
    if len(listed.index) == 0:
        return None

    def look_up() -> tuple[int, int, int] | None:  # row, distance, the query's quality
        usable = [found for found in hashes() if found.quality >= limits.min_quality]
        hit = listed.index.nearest_any(words_of([found.hex for found in usable]), limits.max_distance)
        return None if hit is None else (hit[1], hit[2], usable[hit[0]].quality)

    best = await run_media_work(look_up)
    if best is None:
        return None
    row = await db.get(KnownBadHash, int(listed.ids[best[0]]))
    if row is None:  # deleted since the index was read: the next version drops it
        return None
    return KnownBadMatch(row.id, row.label, row.source, best[1], best[2])


def refusal() -> ApiError:
    """451 for a known-bad upload (never naming the list: an uploader should not learn it by trying)."""
    message = "This file matches media that this instance does not allow."
    return ApiError(451, "known_bad_media", message, {"file": "known_bad_media"})


# --- the list: import and add (every write to known_bad_hashes) -----------------------------------


@dataclass(frozen=True)
class ListedRow:
    hash: str
    quality: int
    label: str


def _audit(db: AsyncSession, actor_id: int | None, action: str, target_id: int | None, **after: Any) -> None:
    # The list's version is the count of these entries (see current_index).
    db.add(
        AuditEntry(
            id=new_id(),
            actor_id=actor_id,
            action=action,
            target_kind="hash_list",
            target_id=target_id,
            after=after,
        )
    )


def bad_list(message: str, line: int | None = None) -> ApiError:
    where = f"Line {line}: " if line is not None else ""
    return ApiError(422, "bad_hash_list", where + message, {"file": where + message})


def parse_hash_csv(text: str) -> list[ListedRow]:
    """Rows of a ThreatExchange-style CSV: hash (64 hex digits), quality (0-100), label (optional).
    A header line naming "hash" is skipped, as are blank lines; anything else wrong is a 422 naming
    its line (nothing is imported from a file with a bad line)."""
    rows: list[ListedRow] = []
    for number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in fields]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() in ("hash", "pdq", "pdq_hash", "signal"):
            continue
        if len(cells) < 2 or len(cells) > 3:
            raise bad_list("Write hash,quality,label (the label may be left out).", number)
        digest = cells[0].lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise bad_list("The hash must be 64 hexadecimal digits (256 bits).", number)
        try:
            quality = int(cells[1])
        except ValueError:
            quality = -1
        if not 0 <= quality <= 100:
            raise bad_list("The quality must be a whole number from 0 to 100.", number)
        label = cells[2] if len(cells) == 3 else ""
        if len(label) > MAX_LABEL:
            raise bad_list(f"The label may have at most {MAX_LABEL} characters.", number)
        rows.append(ListedRow(digest, quality, label))
    if not rows:
        raise bad_list("The file has no hashes.")
    return rows


@dataclass(frozen=True)
class ImportResult:
    added: int
    already_listed: int
    below_quality: int
    """Added, but below the minimum quality: kept, never matched."""


async def _insert(
    db: AsyncSession, rows: list[ListedRow], *, source: str, actor_id: int | None, min_quality: int
) -> tuple[int, int, int]:
    wanted: dict[str, ListedRow] = {}
    for row in rows:
        wanted.setdefault(row.hash, row)
    existing: set[str] = set()
    hexes = list(wanted)
    for start in range(0, len(hexes), 500):
        batch = hexes[start : start + 500]
        existing.update(await db.scalars(select(KnownBadHash.hash).where(KnownBadHash.hash.in_(batch))))
    fresh = [row for key, row in wanted.items() if key not in existing]
    now = utcnow()
    for start in range(0, len(fresh), INSERT_BATCH):  # executemany: a million rows in minutes, not hours
        await db.execute(
            insert(KnownBadHash),
            [
                {
                    "id": new_id(),
                    "hash": row.hash,
                    "quality": row.quality,
                    "label": row.label,
                    "source": source,
                    "added_by_id": actor_id,
                    "created_at": now,
                }
                for row in fresh[start : start + INSERT_BATCH]
            ],
        )
    return len(fresh), len(rows) - len(fresh), sum(1 for row in fresh if row.quality < min_quality)


async def import_hashes(
    db: AsyncSession, text: str, *, source: str, actor_id: int | None, min_quality: int = MIN_QUALITY
) -> ImportResult:
    """Import a CSV list (parse_hash_csv) in one transaction, and commit: every hash not listed yet
    is added with its source (the list's name); recorded as hashes.imported."""
    source = source.strip()
    if not source or len(source) > MAX_SOURCE:
        raise ApiError(
            422, "invalid", f"Name the list (1 to {MAX_SOURCE} characters).", {"source": "required"}
        )
    rows = parse_hash_csv(text)
    added, repeated, low = await _insert(db, rows, source=source, actor_id=actor_id, min_quality=min_quality)
    _audit(db, actor_id, "hashes.imported", None, source=source, added=added)
    await db.commit()
    return ImportResult(added, repeated, low)


async def add_hashes(
    db: AsyncSession,
    hashes: Sequence[PdqHash],
    *,
    source: str,
    label: str,
    actor_id: int | None,
    target_id: int | None,
    min_quality: int = MIN_QUALITY,
) -> ImportResult:
    """Add the hashes of removed media (one click on a removed post), and commit; recorded as
    hashes.added."""
    rows = [ListedRow(found.hex, found.quality, label[:MAX_LABEL]) for found in hashes]
    added, repeated, low = await _insert(db, rows, source=source, actor_id=actor_id, min_quality=min_quality)
    _audit(db, actor_id, "hashes.added", target_id, source=source, added=added)
    await db.commit()
    return ImportResult(added, repeated, low)


async def delete_hash(db: AsyncSession, hash_id: int, actor_id: int | None) -> bool:
    """Take a hash off the list, and commit; False when there was none. Recorded as hashes.deleted."""
    row = await db.get(KnownBadHash, hash_id)
    if row is None:
        return False
    _audit(db, actor_id, "hashes.deleted", hash_id, hash=row.hash, source=row.source)
    await db.delete(row)
    await db.commit()
    return True


def hamming(a: str, b: str) -> int:
    """The distance between two hashes in hex."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


# --- one click: the hashes of a removed post's media ----------------------------------------------

PHOTO_RENDITION: Final = "1080"
VIDEO_RENDITION: Final = "720"


async def post_media_hashes(db: AsyncSession, storage: MediaStorage, post_id: int) -> list[PdqHash]:
    """The hashes to list for a post's media, from their stored renditions (the raw uploads are
    gone): a photo's largest JPEG and its cropped and turned variants (`listing_hashes`), a video's
    720 rendition's keyframes."""
    items = (
        await db.scalars(
            select(MediaItem)
            .join(PostMedia, PostMedia.media_id == MediaItem.id)
            .where(PostMedia.post_id == post_id)
            .order_by(PostMedia.position)
        )
    ).all()
    wanted: list[tuple[str, str]] = []
    for item in items:
        name = VIDEO_RENDITION if item.kind == "video" else PHOTO_RENDITION
        for rendition in item.renditions:
            if rendition["name"] == name and rendition["format"] in ("jpeg", "mp4"):
                wanted.append((item.kind, rendition["key"]))
                break

    def hash_all() -> list[PdqHash]:
        found: list[PdqHash] = []
        with tempfile.TemporaryDirectory(prefix="viewfinder-pdq-") as folder:
            for number, (kind, key) in enumerate(wanted):
                path = Path(folder) / str(number)
                if not storage.get_file(key, path):
                    continue
                if kind == "video":
                    found += video_hashes(path)
                else:
                    found += listing_hashes(path, max_pixels=10**12)
        return found

    return await run_media_work(hash_all)


ACCOUNT_DATA_TABLES = ("known_bad_hashes",)
"""Tables holding an account's rows that `delete_account_data` clears (privacy.erasure)."""


async def delete_account_data(db: AsyncSession, user_id: int) -> None:
    """Unlink an erased staff member from the hashes they listed: the hashes stay (they are the
    instance's list, not the member's data), with no one named as having added them."""
    await db.execute(update(KnownBadHash).where(KnownBadHash.added_by_id == user_id).values(added_by_id=None))
    await db.commit()
