"""The video pipeline: sniff the container by content, probe it, make upright H.264 MP4 renditions.

Every output is an MP4 (H.264 High, AAC audio when the source has sound) with its index at the
front (faststart), upright (the source's rotation applied to the pixels, none written), at most
30 frames a second, even-sized, never upscaled, bitrate-capped and free of the source's metadata.
A poster frame (a JPEG of an upright frame) comes with it, for the photo pipeline to render.

Only the demuxers we accept are ever opened (mov/mp4 and WebM), chosen from the file's first bytes,
so a playlist or an unusual container never reaches FFmpeg's format probing. Frames are streamed:
decoded, filtered and encoded one at a time, never all held at once.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.filter
import pyvips

from viewfinder.core.errors import ApiError

ACCEPTED_VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "gif"})
MAX_FPS = 30
THREADS = 2
AUDIO_BIT_RATE = 128_000
AUDIO_SAMPLE_RATE = 48_000
POSTER_SECONDS = 1.0
POSTER_JPEG_QUALITY = 90


@dataclass(frozen=True)
class RenditionSpec:
    name: str
    short_side: int
    max_bit_rate: int


# "720" is always made (never upscaled); "480" only when the source is larger than 480p.
RENDITION_SPECS = (RenditionSpec("720", 720, 3_500_000), RenditionSpec("480", 480, 1_500_000))
# An upload can be served as it is when it is already within what the 720 rendition would be.
PASS_THROUGH_PROFILES = frozenset({"High", "Main"})
PASS_THROUGH_MAX_BIT_RATE = RENDITION_SPECS[0].max_bit_rate + 250_000
# QuickTime/MP4 atoms that carry where a video was shot; a file with them is re-encoded, not passed.
LOCATION_MARKERS = (b"\xa9xyz", b"com.apple.quicktime.location")
MOV_FIRST_ATOMS = (b"ftyp", b"moov", b"wide", b"free", b"mdat", b"skip")


@dataclass(frozen=True)
class ProbedVideo:
    format: str  # "mp4", "mov", "webm" or "gif" (animated)
    codec: str  # "h264", "hevc", "vp8", "vp9" or "av1"
    width: int  # as displayed: rotation applied
    height: int
    duration_seconds: float
    fps: float
    has_audio: bool
    rotation: int  # clockwise degrees a player turns the stored frames: 0, 90, 180 or 270
    profile: str | None = None
    pixel_format: str | None = None
    audio_codec: str | None = None
    other_streams: bool = False  # subtitles, data or more than one video/audio stream


@dataclass(frozen=True)
class VideoRendition:
    name: str  # "720" or "480"
    width: int
    height: int
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ProcessedVideo:
    renditions: list[VideoRendition]
    poster: bytes  # a JPEG of one upright frame
    duration_seconds: float
    width: int  # of the largest rendition
    height: int


def _unsupported(message: str = "This file is not a supported photo or video.") -> ApiError:
    return ApiError(415, "unsupported_media_type", message, {"file": "unsupported"})


def _corrupt() -> ApiError:
    return ApiError(400, "corrupt_media", "The video could not be read.", {"file": "corrupt"})


def _too_long(max_seconds: float) -> ApiError:
    return ApiError(
        400, "too_long", f"A video must be at most {max_seconds:g} seconds long.", {"file": "too_long"}
    )


def _container(data: bytes) -> tuple[str, str] | None:
    """(demuxer, format) from the first bytes, or None for anything we do not accept."""
    if data[4:8] == b"ftyp":
        return ("mov", "mov") if data[8:12] == b"qt  " else ("mov", "mp4")
    if data[4:8] in MOV_FIRST_ATOMS:
        return ("mov", "mov")
    if data[:6] in (b"GIF87a", b"GIF89a"):  # an animated GIF becomes a silent looping video
        return ("gif", "gif")
    if data[:4] == b"\x1a\x45\xdf\xa3":  # EBML: Matroska, of which we take the WebM profile only
        return ("matroska", "webm") if b"webm" in data[:64] else None
    return None


def _open(data: bytes, demuxer: str) -> Any:
    """An input container reading the bytes with the one demuxer named (never format probing)."""
    return av.open(io.BytesIO(data), format=demuxer)


def _upright_rotation(counterclockwise: float) -> int:
    """FFmpeg reports the display matrix as a counterclockwise angle; players turn clockwise."""
    return (-round(counterclockwise / 90) * 90) % 360


def probe_video(data: bytes, *, max_seconds: float, max_pixels: int) -> ProbedVideo:
    """What a video is, from its headers and first frame; refuses anything we would not play with a 4xx."""
    if not data:
        raise ApiError(400, "corrupt_media", "The file is empty.", {"file": "empty"})
    found = _container(data)
    if found is None:
        raise _unsupported()
    demuxer, container_format = found
    if demuxer == "mov" and _cut_off(data):
        # FFmpeg would play what is there; we refuse a file that was plainly cut short.
        raise _corrupt()
    try:
        with _open(data, demuxer) as container:
            return _probe(container, container_format, max_seconds=max_seconds, max_pixels=max_pixels)
    except av.FFmpegError as exc:
        raise _corrupt() from exc


def _probe(container: Any, container_format: str, *, max_seconds: float, max_pixels: int) -> ProbedVideo:
    if not container.streams.video:
        raise _unsupported("The file has no video in it.")
    stream = container.streams.video[0]
    codec = stream.codec_context.codec.canonical_name
    if codec not in ACCEPTED_VIDEO_CODECS:
        raise _unsupported("Videos must be H.264, HEVC, VP8, VP9 or AV1.")
    if stream.codec_context.width * stream.codec_context.height > max_pixels:
        raise _too_many_pixels(max_pixels)
    duration = _duration(container, stream)
    if duration > max_seconds:
        raise _too_long(max_seconds)
    first = next(container.decode(stream), None)
    if first is None:
        raise _corrupt()
    if first.width * first.height > max_pixels:
        raise _too_many_pixels(max_pixels)
    rotation = _upright_rotation(first.rotation)
    width, height = (first.height, first.width) if rotation in (90, 270) else (first.width, first.height)
    audio = container.streams.audio[0] if container.streams.audio else None
    fps = stream.average_rate or stream.guessed_rate or 0
    return ProbedVideo(
        format=container_format,
        codec=codec,
        width=width,
        height=height,
        duration_seconds=duration,
        fps=float(fps),
        has_audio=audio is not None,
        rotation=rotation,
        profile=stream.profile,
        pixel_format=stream.codec_context.pix_fmt,
        audio_codec=audio.codec_context.codec.canonical_name if audio is not None else None,
        other_streams=len(container.streams) > 1 + (audio is not None),
    )


def _too_many_pixels(max_pixels: int) -> ApiError:
    return ApiError(
        400,
        "too_many_pixels",
        f"The video has more than {max_pixels} pixels a frame.",
        {"file": "too_many_pixels"},
    )


def _duration(container: Any, stream: Any) -> float:
    if container.duration is not None:
        return float(container.duration / av.time_base)
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return 0.0  # unknown: the transcode still stops at the limit


def _top_level_atoms(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of the MP4's top-level atoms; an atom cut off by the end of the file ends
    where the file does (see _cut_off)."""
    atoms: list[tuple[bytes, int, int]] = []
    offset = 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        if size == 1 and offset + 16 <= len(data):
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        elif size == 0:
            size = len(data) - offset
        if size < 8:
            break
        atoms.append((kind, offset, min(offset + size, len(data))))
        offset += size
    return atoms


def _cut_off(data: bytes) -> bool:
    """Whether a QuickTime/MP4 file's top-level atoms run past its end (an interrupted upload)."""
    offset = 0
    while offset < len(data):
        if offset + 8 > len(data):
            return True
        size = int.from_bytes(data[offset : offset + 4], "big")
        if size == 1:
            if offset + 16 > len(data):
                return True
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        elif size == 0:
            return False  # the last atom, running to the end of the file
        if size < 8:
            return True
        offset += size
    return offset > len(data)


def _faststart_and_private(data: bytes) -> bool:
    """Whether the index (moov) comes before the media (mdat) and says nothing of where it was shot."""
    atoms = _top_level_atoms(data)
    kinds = [kind for kind, _, _ in atoms]
    if b"moov" not in kinds or b"mdat" not in kinds or kinds.index(b"moov") > kinds.index(b"mdat"):
        return False
    _, start, end = atoms[kinds.index(b"moov")]
    moov = data[start:end]
    return not any(marker in moov for marker in LOCATION_MARKERS)


def can_pass_through(data: bytes, probed: ProbedVideo) -> bool:
    """Whether the upload is already exactly what the 720 rendition would be, so it is served as it is."""
    return (
        probed.format == "mp4"
        and probed.codec == "h264"
        and probed.profile in PASS_THROUGH_PROFILES
        and probed.pixel_format == "yuv420p"
        and probed.audio_codec in (None, "aac")
        and not probed.other_streams
        and probed.rotation == 0
        and min(probed.width, probed.height) <= RENDITION_SPECS[0].short_side
        and 0 < probed.fps <= MAX_FPS
        and probed.duration_seconds > 0
        and len(data) * 8 / probed.duration_seconds <= PASS_THROUGH_MAX_BIT_RATE
        and _faststart_and_private(data)
    )


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _rendition_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    scale = min(1.0, short_side / min(width, height))
    return _even(width * scale), _even(height * scale)


def _target_fps(fps: float) -> Fraction | None:
    """Above 30 fps keep every nth frame (50 -> 25, 60 -> 30); None keeps the source's timing."""
    if fps <= MAX_FPS:
        return None
    step = math.ceil(fps / MAX_FPS - 1e-6)
    return Fraction(fps).limit_denominator(1001) / step


class _Encoder:
    """One MP4 rendition being written to a temporary file."""

    def __init__(
        self,
        path: Path,
        spec: RenditionSpec,
        size: tuple[int, int],
        rate: Fraction,
        time_base: Fraction,
        audio_layout: str | None,
    ) -> None:
        self.path, self.spec, self.width, self.height = path, spec, size[0], size[1]
        self.container: Any = av.open(str(path), "w", format="mp4", options={"movflags": "faststart"})
        self.video: Any = self.container.add_stream(
            "libx264",
            rate=rate,
            options={
                "preset": "veryfast",
                "profile": "high",
                "crf": "23",
                "maxrate": str(spec.max_bit_rate),
                "bufsize": str(spec.max_bit_rate * 2),
                "g": str(max(1, round(rate * 2))),
            },
        )
        self.video.width, self.video.height, self.video.pix_fmt = self.width, self.height, "yuv420p"
        self.video.time_base = time_base
        self.video.codec_context.time_base = time_base
        self.video.codec_context.thread_count = THREADS
        self.audio: Any = None
        if audio_layout is not None:
            self.audio = self.container.add_stream("aac", rate=AUDIO_SAMPLE_RATE, layout=audio_layout)
            self.audio.bit_rate = AUDIO_BIT_RATE

    def add_video(self, frame: Any) -> None:
        scaled = frame.reformat(width=self.width, height=self.height, format="yuv420p", interpolation="AREA")
        self.container.mux(self.video.encode(scaled))

    def add_audio(self, frame: Any) -> None:
        if self.audio is not None:
            self.container.mux(self.audio.encode(frame))

    def finish(self) -> VideoRendition:
        self.container.mux(self.video.encode(None))
        if self.audio is not None:
            self.container.mux(self.audio.encode(None))
        self.container.close()
        return VideoRendition(self.spec.name, self.width, self.height, "video/mp4", self.path.read_bytes())

    def abandon(self) -> None:
        with contextlib.suppress(av.FFmpegError):
            self.container.close()


def _upright_graph(stream: Any, rotation: int, fps: Fraction | None) -> tuple[Any, Any]:
    """A filter graph turning decoded frames upright and dropping frames above 30 fps."""
    graph = av.filter.Graph()
    nodes = [graph.add_buffer(template=stream)]
    if rotation == 90:
        nodes.append(graph.add("transpose", "clock"))
    elif rotation == 270:
        nodes.append(graph.add("transpose", "cclock"))
    elif rotation == 180:
        nodes += [graph.add("hflip"), graph.add("vflip")]
    if fps is not None:
        nodes.append(graph.add("fps", f"{fps.numerator}/{fps.denominator}"))
    sink = graph.add("buffersink")
    nodes.append(sink)
    graph.link_nodes(*nodes).configure()
    return graph, sink


def _filtered(graph: Any) -> list[Any]:
    frames = []
    while True:
        try:
            frames.append(graph.pull())
        except (av.BlockingIOError, av.EOFError):
            return frames


def _jpeg(frame: Any) -> bytes:
    rgb = frame.reformat(format="rgb24")
    plane = rgb.planes[0]
    raw, stride, row = bytes(plane), plane.line_size, rgb.width * 3
    pixels = b"".join(raw[y * stride : y * stride + row] for y in range(rgb.height))
    image = pyvips.Image.new_from_memory(pixels, rgb.width, rgb.height, 3, "uchar")
    return bytes(image.jpegsave_buffer(Q=POSTER_JPEG_QUALITY, keep="none"))


def transcode_video(data: bytes, *, max_seconds: float, max_pixels: int) -> ProcessedVideo:
    """Every rendition of an uploaded video and its poster frame; refuses bad input as probe_video does."""
    probed = probe_video(data, max_seconds=max_seconds, max_pixels=max_pixels)
    passed = can_pass_through(data, probed)
    short = min(probed.width, probed.height)
    specs = [
        spec
        for spec in RENDITION_SPECS
        if spec.name == "720" or short > spec.short_side
        if not (passed and spec.name == "720")
    ]
    try:
        encoded, poster = _transcode(data, probed, specs, max_seconds=max_seconds)
    except av.FFmpegError as exc:
        raise _corrupt() from exc
    renditions = [VideoRendition("720", probed.width, probed.height, "video/mp4", data)] if passed else []
    renditions += encoded
    renditions.sort(key=lambda r: -min(r.width, r.height))
    return ProcessedVideo(
        renditions=renditions,
        poster=poster,
        duration_seconds=probed.duration_seconds,
        width=renditions[0].width,
        height=renditions[0].height,
    )


def _transcode(
    data: bytes, probed: ProbedVideo, specs: list[RenditionSpec], *, max_seconds: float
) -> tuple[list[VideoRendition], bytes]:
    demuxer = {"webm": "matroska", "gif": "gif"}.get(probed.format, "mov")
    fps = _target_fps(probed.fps)
    poster_at = min(POSTER_SECONDS, probed.duration_seconds / 4)
    poster: bytes | None = None
    last_frame: Any = None
    with (
        tempfile.TemporaryDirectory(prefix="viewfinder-video-") as folder,
        _open(data, demuxer) as source,
    ):
        video = source.streams.video[0]
        video.thread_type = "AUTO"
        video.codec_context.thread_count = THREADS
        audio = source.streams.audio[0] if source.streams.audio and specs else None
        layout = None if audio is None else ("mono" if audio.codec_context.channels == 1 else "stereo")
        rate = fps or Fraction(probed.fps).limit_denominator(1001) or Fraction(MAX_FPS)
        time_base = 1 / fps if fps is not None else (video.time_base or Fraction(1, 90_000))
        encoders: list[_Encoder] = []
        try:
            for spec in specs:
                size = _rendition_size(probed.width, probed.height, spec.short_side)
                path = Path(folder) / f"{spec.name}.mp4"
                encoders.append(_Encoder(path, spec, size, rate, time_base, layout))
            graph, _ = _upright_graph(video, probed.rotation, fps)
            streams = [video] if audio is None else [video, audio]
            for packet in source.demux(*streams):
                if packet.stream is video:
                    for decoded in packet.decode():
                        graph.push(decoded)
                        for frame in _filtered(graph):
                            if frame.time is not None and frame.time > max_seconds + 1:
                                raise _too_long(max_seconds)
                            if poster is None and frame.time is not None and frame.time >= poster_at:
                                poster = _jpeg(frame)
                            last_frame = frame
                            for encoder in encoders:
                                encoder.add_video(frame)
                    if not encoders and poster is not None:
                        break  # passed through: only the poster was wanted
                else:
                    for decoded in packet.decode():
                        decoded.pts = None  # let the encoder's resampler time the samples
                        for encoder in encoders:
                            encoder.add_audio(decoded)
            graph.push(None)
            for frame in _filtered(graph):
                last_frame = frame
                for encoder in encoders:
                    encoder.add_video(frame)
            if last_frame is None:
                raise _corrupt()
            if poster is None:
                poster = _jpeg(last_frame)
            renditions = [encoder.finish() for encoder in encoders]
        except BaseException:
            for encoder in encoders:
                encoder.abandon()
            raise
    return renditions, poster
