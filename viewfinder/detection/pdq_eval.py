"""`viewfinder ml evaluate-pdq`: how well PDQ matching finds copies of listed photos, how often it
matches photos that are not copies, and how fast the index answers with a million hashes, next to
the baseline measured in the same run: exact SHA-256 matching of the file (what Pixelfed does).

The photos are drawn here (no download, no data set): landscape-like pictures from a seed (a sky
gradient, ridges, blobs, low-frequency shading and grain), so every run measures the same pictures.

- recall: each listed photo (a JPEG) is transformed as copies are in the wild: resized to half,
  re-compressed at JPEG quality 50, cropped by 5 %, rotated by 0.5 to 3 degrees, colour-shifted, and
  re-encoded by the upload pipeline (`mediakit.photos.process_photo`, its 640 rendition); a copy is
  found when its hash matches its original's (distance <= 31, qualities >= 50). Three lists: one
  hash per photo looked up with the copy's own hash only (`recall_single_hash`, the baseline), the
  same one-hash list looked up with the copy's query variants (`pdq.query_hashes`: what an upload
  does against an imported list, `imported_list_recall`), and the photo listed from removed media
  with its 34 variants (`pdq.listing_hashes`, `recall`).
- false matches: every pair of thousands of distinct drawn photos; a pair matching is a false match.
  With query variants, every ordered pair (one photo uploaded with its 32 query hashes, the other
  listed with its own): a pair is a false match when any of the 32 matches.
- upload hashing: the time to hash one copy (decode included) for the single hash and for the query
  variants, p50 and p99 in milliseconds, measured on the same copies in the same run.
- lookup: 1,000,000 random hashes in a `HashIndex`, queried with copies (planted within 31) and
  strangers; p50 and p99 in milliseconds, next to a full numpy scan of the same list; and an
  upload's 32 query hashes in one `nearest_any`.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import numpy as np
import numpy.typing as npt
import pyvips

from viewfinder.detection.pdq import (
    MAX_DISTANCE,
    MIN_QUALITY,
    HashIndex,
    PdqHash,
    Words,
    distances,
    listing_hashes,
    photo_hash,
    pixel_query_hashes,
    query_hashes,
    words_of,
)
from viewfinder.mediakit.photos import process_photo

TRANSFORMS = ("resize_half", "jpeg_q50", "crop_5pct", "rotate_up_to_3deg", "colour_shift", "pipeline_640")


def draw(seed: int, width: int = 640, height: int = 480) -> npt.NDArray[np.uint8]:
    """A landscape-like RGB picture, the same for the same seed."""
    rng = np.random.default_rng(seed)
    ys = np.linspace(0.0, 1.0, height)[:, None, None]
    top, bottom = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    picture = np.broadcast_to(top * (1 - ys) + bottom * ys, (height, width, 3)).copy()
    columns = np.arange(width)
    for _ in range(rng.integers(1, 5)):  # ridges: a random walk, filled below with a colour
        level = rng.uniform(0.3, 0.9) * height
        walk = level + np.cumsum(rng.normal(0, rng.uniform(0.5, 4), width))
        walk = np.convolve(walk, np.ones(9) / 9, mode="same")
        below = np.arange(height)[:, None] > walk[None, :]
        picture[below] = picture[below] * 0.3 + rng.uniform(0, 255, 3) * 0.7
    for _ in range(rng.integers(2, 9)):  # blobs
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        rx, ry = rng.uniform(10, width / 3), rng.uniform(10, height / 3)
        inside = ((columns[None, :] - cx) / rx) ** 2 + ((np.arange(height)[:, None] - cy) / ry) ** 2 < 1
        picture[inside] = picture[inside] * 0.4 + rng.uniform(0, 255, 3) * 0.6
    shade = rng.normal(0, 30, (6, 8, 3))  # low-frequency light and shadow
    small = pyvips.Image.new_from_memory(shade.astype(np.float32).tobytes(), 8, 6, 3, "float")
    smooth = small.resize(width / 8, vscale=height / 6, kernel="cubic")
    shading = np.frombuffer(smooth.write_to_memory(), dtype=np.float32).reshape(
        smooth.height, smooth.width, 3
    )
    picture += shading[:height, :width]
    picture += rng.normal(0, rng.uniform(2, 10), picture.shape)  # grain
    return np.clip(picture, 0, 255).astype(np.uint8)


def _image(rgb: npt.NDArray[np.uint8]) -> pyvips.Image:
    height, width = rgb.shape[:2]
    return pyvips.Image.new_from_memory(np.ascontiguousarray(rgb).tobytes(), width, height, 3, "uchar")


def _jpeg(image: pyvips.Image, quality: int = 90) -> bytes:
    return bytes(image.jpegsave_buffer(Q=quality, keep="none"))


def transform(original: bytes, name: str, seed: int) -> bytes:
    """A transformed copy of a JPEG, as a JPEG."""
    rng = np.random.default_rng(seed)
    image = pyvips.Image.new_from_buffer(original, "")
    if name == "resize_half":
        return _jpeg(image.resize(0.5, kernel="lanczos3"))
    if name == "jpeg_q50":
        return _jpeg(image, 50)
    if name == "crop_5pct":  # 5 % of each side cut off, anywhere
        width, height = round(image.width * 0.95), round(image.height * 0.95)
        left = int(rng.integers(0, image.width - width + 1))
        top = int(rng.integers(0, image.height - height + 1))
        return _jpeg(image.crop(left, top, width, height))
    if name == "rotate_up_to_3deg":
        turned = image.rotate(float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 3.0)))
        left, top = (turned.width - image.width) // 2, (turned.height - image.height) // 2
        return _jpeg(turned.crop(left, top, image.width, image.height))
    if name == "colour_shift":
        pixels = image.cast("float")
        luma = pixels.recomb([[0.299, 0.587, 0.114]])
        pixels = luma + (pixels - luma) * 1.25 + [18, 6, -12]
        return _jpeg((pixels > 255).ifthenelse(255, (pixels < 0).ifthenelse(0, pixels)).cast("uchar"))
    if name == "pipeline_640":
        processed = process_photo(original, max_pixels=10**9)
        return next(r.data for r in processed.renditions if r.name == "640" and r.format == "jpeg")
    raise ValueError(name)


def _matches(copy: PdqHash, original: PdqHash) -> bool:
    if copy.quality < MIN_QUALITY or original.quality < MIN_QUALITY:
        return False
    return int(distances(copy.words[None, :], original.words)[0]) <= MAX_DISTANCE


def _matches_any(copies: list[PdqHash], listed: Words) -> bool:
    """Whether any usable hash of an upload is within MAX_DISTANCE of one of `listed`."""
    usable = [h for h in copies if h.quality >= MIN_QUALITY]
    if not usable or not len(listed):
        return False
    found = np.bitwise_count(words_of([h.hex for h in usable])[:, None, :] ^ listed[None, :, :]).sum(axis=2)
    return bool(found.min() <= MAX_DISTANCE)


def _percentiles(timings: list[float]) -> dict[str, float]:
    return {
        "p50": round(float(np.percentile(timings, 50)), 2),
        "p99": round(float(np.percentile(timings, 99)), 2),
    }


def _bits(hashes: list[PdqHash]) -> npt.NDArray[np.float32]:
    words = words_of([h.hex for h in hashes])
    return np.unpackbits(words.view(np.uint8), axis=1).astype(np.float32)


def _recall(photos: int) -> tuple[dict[str, Any], Words]:
    per_transform: dict[str, list[bool]] = {name: [] for name in TRANSFORMS}
    sha_found = 0
    copies = 0
    listed: list[PdqHash] = []
    variant_found: dict[str, list[bool]] = {name: [] for name in TRANSFORMS}
    queried_found: dict[str, list[bool]] = {name: [] for name in TRANSFORMS}
    single_ms: list[float] = []
    queries_ms: list[float] = []
    query_counts: list[int] = []
    every_variant: list[Words] = []
    for index in range(photos):
        original = _jpeg(_image(draw(10_000 + index, *((640, 480) if index % 2 else (480, 600)))))
        listed_hash = photo_hash(original, max_pixels=10**9)
        listed.append(listed_hash)
        variants = words_of([h.hex for h in listing_hashes(original, max_pixels=10**9)])
        every_variant.append(variants)
        digest = hashlib.sha256(original).hexdigest()
        for number, name in enumerate(TRANSFORMS):
            copy = transform(original, name, index * 10 + number)
            started = time.perf_counter()
            copy_hash = photo_hash(copy, max_pixels=10**9)
            single_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            copy_queries = query_hashes(copy, max_pixels=10**9)
            queries_ms.append((time.perf_counter() - started) * 1000)
            query_counts.append(len(copy_queries))
            per_transform[name].append(_matches(copy_hash, listed_hash))
            queried_found[name].append(
                listed_hash.quality >= MIN_QUALITY and _matches_any(copy_queries, listed_hash.words[None, :])
            )
            variant_found[name].append(
                copy_hash.quality >= MIN_QUALITY
                and int(distances(variants, copy_hash.words).min()) <= MAX_DISTANCE
            )
            sha_found += hashlib.sha256(copy).hexdigest() == digest
            copies += 1
    found = sum(sum(values) for values in per_transform.values())
    found_by_variants = sum(sum(values) for values in variant_found.values())
    found_by_queries = sum(sum(values) for values in queried_found.values())
    return {
        "photos": photos,
        "copies": copies,
        "pdq_recall": found / copies,
        "pdq_recall_by_transform": {name: sum(v) / len(v) for name, v in per_transform.items()},
        "imported_list_recall": found_by_queries / copies,
        "imported_list_recall_by_transform": {name: sum(v) / len(v) for name, v in queried_found.items()},
        "query_hashes_per_upload": float(np.mean(query_counts)),
        "upload_hashing_ms": {
            "single_hash": _percentiles(single_ms),
            "query_variants": _percentiles(queries_ms),
        },
        "listed_from_media_recall": found_by_variants / copies,
        "listed_from_media_recall_by_transform": {name: sum(v) / len(v) for name, v in variant_found.items()},
        "sha256_recall": sha_found / copies,
        "listed_low_quality": sum(1 for h in listed if h.quality < MIN_QUALITY),
    }, np.concatenate(every_variant)


def _false_matches(count: int, variants: Words) -> dict[str, Any]:
    queried = [pixel_query_hashes(draw(500_000 + index, 256, 256)) for index in range(count)]
    hashes = [found[0] for found in queried]  # each photo's own hash
    usable = [h for h in hashes if h.quality >= MIN_QUALITY]
    # The strangers against every hash listed from media (34 a photo): how often one is refused.
    refused = (
        sum(int(distances(variants, h.words).min()) <= MAX_DISTANCE for h in usable) if len(variants) else 0
    )
    bits = _bits(usable)
    ones = bits.sum(axis=1)
    # Hamming distance of every pair at once: |a| + |b| - 2 a.b
    pair_distances = ones[:, None] + ones[None, :] - 2 * (bits @ bits.T)
    upper = np.triu_indices(len(usable), k=1)
    within = pair_distances[upper]
    pairs = len(within)
    false = int((within <= MAX_DISTANCE).sum())
    # Query variants: each photo uploaded (its 32 query hashes) against every other photo listed.
    listed = words_of([h.hex for h in usable])
    queried_false = 0
    queried_closest = 256
    ordered_pairs = 0
    for position, found in enumerate(found for found in queried if found[0].quality >= MIN_QUALITY):
        queries = words_of([h.hex for h in found if h.quality >= MIN_QUALITY])
        closest = np.bitwise_count(queries[:, None, :] ^ listed[None, :, :]).sum(axis=2).min(axis=0)
        closest = np.delete(closest, position)  # not itself (usable[position])
        queried_false += int((closest <= MAX_DISTANCE).sum())
        queried_closest = min(queried_closest, int(closest.min()))
        ordered_pairs += len(usable) - 1
    return {
        "images": count,
        "images_quality_ok": len(usable),
        "pairs": pairs,
        "false_matches": false,
        "false_match_rate": false / pairs if pairs else 0.0,
        "strangers_matching_a_listed_variant": int(refused),
        "variant_pairs": len(usable) * len(variants),
        "variant_false_match_rate": refused / (len(usable) * len(variants)) if len(variants) else 0.0,
        "query_variant_pairs": ordered_pairs,
        "query_variant_false_matches": queried_false,
        "query_variant_false_match_rate": queried_false / ordered_pairs if ordered_pairs else 0.0,
        "query_variant_min_distance": queried_closest if ordered_pairs else None,
        "min_distance": int(within.min()) if pairs else None,
        "mean_distance": float(within.mean()) if pairs else None,
    }


def _lookup(size: int, queries: int) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    words = rng.integers(0, np.iinfo(np.uint64).max, size=(size, 4), dtype=np.uint64, endpoint=True)
    started = time.perf_counter()
    index = HashIndex(words)
    built = time.perf_counter() - started
    timings: list[float] = []
    found = 0
    for number in range(queries):
        if number % 2:
            query = rng.integers(0, np.iinfo(np.uint64).max, size=4, dtype=np.uint64, endpoint=True)
            planted = False
        else:  # a copy of a listed hash: up to 31 bits flipped
            query = words[rng.integers(0, size)].copy()
            for bit in rng.choice(256, int(rng.integers(0, MAX_DISTANCE + 1)), replace=False):
                query[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
            planted = True
        started = time.perf_counter()
        hit = index.nearest(query)
        timings.append((time.perf_counter() - started) * 1000)
        found += planted and hit is not None
    upload_timings: list[float] = []
    upload_found = 0
    for number in range(max(1, queries // 5)):  # an upload's 32 query hashes, one of them a copy
        batch = rng.integers(0, np.iinfo(np.uint64).max, size=(32, 4), dtype=np.uint64, endpoint=True)
        batch[number % 32] = words[rng.integers(0, size)]
        started = time.perf_counter()
        upload_hit = index.nearest_any(batch)
        upload_timings.append((time.perf_counter() - started) * 1000)
        upload_found += upload_hit is not None and upload_hit[0] == number % 32
    scans: list[float] = []
    for _ in range(20):
        query = rng.integers(0, np.iinfo(np.uint64).max, size=4, dtype=np.uint64, endpoint=True)
        started = time.perf_counter()
        int(np.argmin(distances(words, query)))
        scans.append((time.perf_counter() - started) * 1000)
    return {
        "hashes": size,
        "queries": queries,
        "build_seconds": round(built, 3),
        "p50_ms": float(np.percentile(timings, 50)),
        "p99_ms": float(np.percentile(timings, 99)),
        "planted_found": found / (queries // 2 + queries % 2),
        "upload_32_queries_p50_ms": float(np.percentile(upload_timings, 50)),
        "upload_32_queries_p99_ms": float(np.percentile(upload_timings, 99)),
        "upload_planted_found": upload_found / len(upload_timings),
        "baseline_full_scan_p50_ms": float(np.percentile(scans, 50)),
    }


def evaluate(
    photos: int = 40, distinct: int = 3000, hashes: int = 1_000_000, queries: int = 1000
) -> dict[str, Any]:
    """Recall of transformed copies, false-match rate between distinct photos and lookup latency
    with `hashes` listed, next to exact SHA-256 matching; JSON-serialisable. `recall` is for media
    listed by staff (its variants listed, `pdq.listing_hashes`), `imported_list_recall` for a list
    holding one hash per item (an imported list) looked up as uploads are, with their query
    variants (`pdq.query_hashes`), and `recall_single_hash` for that list looked up with the
    upload's own hash alone (the baseline). `imported_list_false_match_rate` and
    `upload_hashing_ms` are the cost of the query variants, next to the single hash's."""
    started = time.perf_counter()
    recall, variants = _recall(photos)
    false = _false_matches(distinct, variants)
    lookup = _lookup(hashes, queries)
    return {
        "detector": "pdq",
        "max_distance": MAX_DISTANCE,
        "min_quality": MIN_QUALITY,
        "recall": recall["listed_from_media_recall"],
        "recall_single_hash": recall["pdq_recall"],
        "false_match_rate": false["false_match_rate"],
        "imported_list_recall": recall["imported_list_recall"],
        "imported_list_recall_by_transform": recall["imported_list_recall_by_transform"],
        "recall_single_hash_by_transform": recall["pdq_recall_by_transform"],
        "imported_list_false_match_rate": false["query_variant_false_match_rate"],
        "upload_hashing_ms": recall["upload_hashing_ms"],
        "lookup_p99_ms": lookup["p99_ms"],
        "upload_lookup_p99_ms": lookup["upload_32_queries_p99_ms"],
        "baseline": {"name": "exact sha256 of the file", "recall": recall["sha256_recall"]},
        "goals": {
            "recall>=0.95": recall["listed_from_media_recall"] >= 0.95,
            "recall_single_hash>=0.95": recall["pdq_recall"] >= 0.95,
            "imported_list_recall>=0.95": recall["imported_list_recall"] >= 0.95,
            "imported_list_false_match_rate<=1e-4": false["query_variant_false_match_rate"] <= 1e-4,
            "upload_hashing_p99_ms<=60": recall["upload_hashing_ms"]["query_variants"]["p99"] <= 60,
            "false_match_rate<=1e-4": false["false_match_rate"] <= 1e-4,
            "lookup_p99_ms<=5": lookup["p99_ms"] <= 5,
        },
        "recall_detail": recall,
        "false_match_detail": false,
        "lookup_detail": lookup,
        "seconds": round(time.perf_counter() - started, 1),
    }
