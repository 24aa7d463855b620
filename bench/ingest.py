"""Photo ingest benchmark: the pipeline against a bare pyvips loop making the same files.

    .venv/bin/python bench/ingest.py [--photos 6]

Prints per-photo time and photos per second for a 12-megapixel JPEG through process_photo plus
storage writes (all renditions, JPEG and WebP), the same for a bare pyvips loop in the same run,
their ratio (goal: pipeline >= 0.8x the bare loop), and the peak RSS of a fresh process handling a
48-megapixel photo (goal: <= 200 MB), and the transcode speed of a 30-second 1080p clip to the
720p (and 480p) renditions as a multiple of real time (goal: >= 2x). Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import pyvips

from viewfinder.mediakit.photos import RENDITION_WIDTHS, THUMBNAIL_SIZE, process_photo
from viewfinder.mediakit.storage import LocalMediaStorage
from viewfinder.mediakit.videos import transcode_video

MAX_PIXELS = 100_000_000


def make_jpeg(width: int, height: int) -> bytes:
    """A photo-like JPEG: smooth gradients with grain, so encoders do real work."""
    x = pyvips.Image.xyz(width, height)
    gradient = (x[0] * (255 / width)).bandjoin(
        [x[1] * (255 / height), (x[0] + x[1]) * (127 / (width + height))]
    )
    grain = pyvips.Image.gaussnoise(width, height, sigma=12, mean=0)
    image = (gradient + grain).cast("uchar").copy(interpretation="srgb")
    return bytes(image.jpegsave_buffer(Q=90))


CLIP_SECONDS = 30


def make_clip(seconds: int = CLIP_SECONDS) -> bytes:
    """A 1080p, 30 fps H.264 clip of FFmpeg's moving test pattern, like a phone video in size."""
    source = av.open(f"testsrc2=size=1920x1080:rate=30:duration={seconds}", format="lavfi")
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as output:
        stream = output.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "20"}
        for frame in source.decode(video=0):
            output.mux(stream.encode(frame))
        output.mux(stream.encode())
    source.close()
    return buffer.getvalue()


def bare_loop(data: bytes) -> int:
    """The same files with nothing but pyvips calls; returns bytes written."""
    written = 0
    base = pyvips.Image.thumbnail_buffer(data, RENDITION_WIDTHS[0]).copy_memory()
    for width in RENDITION_WIDTHS:
        image = base if width >= base.width else base.resize(width / base.width)
        written += len(image.jpegsave_buffer(Q=82, interlace=True, optimize_coding=True, keep="none"))
        written += len(image.webpsave_buffer(Q=80, keep="none"))
    thumb = base.thumbnail_image(THUMBNAIL_SIZE, height=THUMBNAIL_SIZE, crop="centre")
    written += len(thumb.jpegsave_buffer(Q=82, interlace=True, keep="none"))
    written += len(thumb.webpsave_buffer(Q=80, keep="none"))
    return written


def pipeline(data: bytes, storage: LocalMediaStorage, index: int) -> int:
    photo = process_photo(data, max_pixels=MAX_PIXELS)
    for rendition in photo.renditions:
        storage.put(
            f"bench/{index}/{rendition.name}.{rendition.format}", rendition.data, rendition.content_type
        )
    return sum(len(r.data) for r in photo.renditions)


def timed(run, photos: int) -> float:
    start = time.perf_counter()
    for index in range(photos):
        run(index)
    return (time.perf_counter() - start) / photos


# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report its parent's peak.
PEAK_RSS_CHILD = """
import re, sys
from viewfinder.mediakit.photos import process_photo
data = open(sys.argv[1], "rb").read()
process_photo(data, max_pixels=100_000_000)
print(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
"""


def peak_rss_mb(data: bytes) -> float:
    with tempfile.NamedTemporaryFile(suffix=".jpg") as handle:
        handle.write(data)
        handle.flush()
        output = subprocess.run(
            [sys.executable, "-c", PEAK_RSS_CHILD, handle.name], capture_output=True, text=True, check=True
        ).stdout
    return int(output.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=6, help="photos per measurement")
    args = parser.parse_args()

    twelve = make_jpeg(4000, 3000)
    forty_eight = make_jpeg(8000, 6000)
    with tempfile.TemporaryDirectory() as folder:
        storage = LocalMediaStorage(Path(folder), "http://127.0.0.1:8000/media")
        pipeline(twelve, storage, -1)  # warm-up
        bare_loop(twelve)
        # Alternate the two so machine noise falls on both alike.
        pipeline_seconds, bare_seconds = [], []
        for _ in range(2):
            pipeline_seconds.append(timed(lambda i: pipeline(twelve, storage, i), args.photos))
            bare_seconds.append(timed(lambda i: bare_loop(twelve), args.photos))
    clip = make_clip()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        transcode_video(clip, folder=Path(folder), max_seconds=600, max_pixels=MAX_PIXELS)
        transcode_seconds = time.perf_counter() - start
    per_photo = min(pipeline_seconds)
    bare_per_photo = min(bare_seconds)
    figures = {
        "photo_megapixels": 12,
        "pipeline_seconds_per_photo": round(per_photo, 4),
        "pipeline_photos_per_second": round(1 / per_photo, 2),
        "bare_pyvips_seconds_per_photo": round(bare_per_photo, 4),
        "bare_pyvips_photos_per_second": round(1 / bare_per_photo, 2),
        "pipeline_speed_vs_bare": round(bare_per_photo / per_photo, 3),
        "peak_rss_mb_48mp_photo": round(peak_rss_mb(forty_eight), 1),
        "video_clip_seconds": CLIP_SECONDS,
        "video_transcode_seconds": round(transcode_seconds, 2),
        "video_transcode_realtime_multiple": round(CLIP_SECONDS / transcode_seconds, 2),
        "parent_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(f"12 MP JPEG through the pipeline: {per_photo * 1000:.0f} ms/photo ({1 / per_photo:.2f} photos/s)")
    bare_rate = 1 / bare_per_photo
    print(f"12 MP JPEG through bare pyvips:  {bare_per_photo * 1000:.0f} ms/photo ({bare_rate:.2f} photos/s)")
    print(f"pipeline speed / bare speed:      {figures['pipeline_speed_vs_bare']} (goal >= 0.8)")
    print(f"peak RSS, 48 MP photo:            {figures['peak_rss_mb_48mp_photo']} MB (goal <= 200)")
    print(
        f"30 s 1080p clip to 720p/480p:     {transcode_seconds:.1f} s "
        f"({figures['video_transcode_realtime_multiple']}x real time, goal >= 2)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
