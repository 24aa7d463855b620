"""The video pipeline: sniff the container by content, probe it, make upright H.264 MP4 renditions.

Every output is an MP4 (H.264 High, AAC audio when the source has sound) with its index at the
front (faststart), upright (the source's rotation applied to the pixels, none written), at most
30 frames a second, even-sized, never upscaled and bitrate-capped. An upload that is already all of
that is copied stream by stream into a new file rather than encoded again (cheap), never served as
it came: every output is a file FFmpeg wrote from the audio and video alone, so nothing of the
upload's metadata survives (GPS in `loci`, `©xyz` or Apple's `mdta` keys, dates, titles, comments,
XMP `uuid` boxes, metadata tracks): no container or stream metadata is written, creation times are
zero, and the empty `udta` box FFmpeg's MP4 muxer always writes is blanked into `free` space.
A poster frame (a JPEG of an upright frame, the video's own shape) comes with it, for the photo
pipeline to render.

Only the demuxers we accept are ever opened (mov/mp4 and WebM), chosen from the file's first bytes,
so a playlist or an unusual container never reaches FFmpeg's format probing. Frames are streamed:
decoded, filtered and encoded one at a time, never all held at once; the upload is read from, and
the renditions written to, files on disk.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

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
# An upload already within what the 720 rendition would be has its streams copied, not encoded again.
STREAM_COPY_PROFILES = frozenset({"High", "Main"})
STREAM_COPY_MAX_BIT_RATE = RENDITION_SPECS[0].max_bit_rate + 250_000
MOV_FIRST_ATOMS = (b"ftyp", b"moov", b"wide", b"free", b"mdat", b"skip")
# How every MP4 is written: index first, and bit-exact (no "encoder" tag naming the library).
MP4_OPTIONS = {"movflags": "faststart", "fflags": "+bitexact"}
# Boxes that hold metadata rather than media; none may be left in an output.
METADATA_BOXES = frozenset({b"udta", b"meta", b"uuid"})
# Boxes holding other boxes that metadata could sit in (ISO/IEC 14496-12).
CONTAINER_BOXES = frozenset(
    {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"mvex", b"moof", b"traf"}
)
HEAD_BYTES = 64
"""How many first bytes name the container."""

VideoSource = bytes | Path
"""A video's bytes, or the path of a local file holding them."""


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
    path: Path  # the MP4, in the folder given to transcode_video

    @property
    def data(self) -> bytes:
        """The whole file (tests and small clips; the worker stores it from the file in chunks)."""
        return self.path.read_bytes()


@dataclass(frozen=True)
class ProcessedVideo:
    renditions: list[VideoRendition]
    poster: bytes  # a JPEG of one upright frame, the video's shape
    duration_seconds: float
    width: int  # of the largest rendition
    height: int
    stream_copied: bool = False  # the 720 rendition is the upload's own streams in a new file


def _unsupported(message: str = "This file is not a supported photo or video.") -> ApiError:
    return ApiError(415, "unsupported_media_type", message, {"file": "unsupported"})


def _corrupt() -> ApiError:
    return ApiError(400, "corrupt_media", "The video could not be read.", {"file": "corrupt"})


def _too_long(max_seconds: float) -> ApiError:
    return ApiError(
        400, "too_long", f"A video must be at most {max_seconds:g} seconds long.", {"file": "too_long"}
    )


def container_of(head: bytes) -> tuple[str, str] | None:
    """(demuxer, format) from the first bytes (HEAD_BYTES suffice), or None for anything we do not
    accept."""
    if head[4:8] == b"ftyp":
        return ("mov", "mov") if head[8:12] == b"qt  " else ("mov", "mp4")
    if head[4:8] in MOV_FIRST_ATOMS:
        return ("mov", "mov")
    if head[:6] in (b"GIF87a", b"GIF89a"):  # an animated GIF becomes a silent looping video
        return ("gif", "gif")
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML: Matroska, of which we take the WebM profile only
        return ("matroska", "webm") if b"webm" in head[:HEAD_BYTES] else None
    return None


@contextlib.contextmanager
def _reading(source: VideoSource) -> Iterator[IO[bytes]]:
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    else:
        with source.open("rb") as handle:
            yield handle


def _size(source: VideoSource) -> int:
    return len(source) if isinstance(source, bytes) else source.stat().st_size


def _open(source: VideoSource, demuxer: str) -> Any:
    """An input container reading the video with the one demuxer named (never format probing)."""
    return av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source), format=demuxer)


def _upright_rotation(counterclockwise: float) -> int:
    """FFmpeg reports the display matrix as a counterclockwise angle; players turn clockwise."""
    return (-round(counterclockwise / 90) * 90) % 360


def probe_video(source: VideoSource, *, max_seconds: float, max_pixels: int) -> ProbedVideo:
    """What a video is, from its headers and first frame; refuses anything we would not play with a 4xx."""
    with _reading(source) as handle:
        head = handle.read(HEAD_BYTES)
        if not head:
            raise ApiError(400, "corrupt_media", "The file is empty.", {"file": "empty"})
        found = container_of(head)
        if found is None:
            raise _unsupported()
        demuxer, container_format = found
        if demuxer == "mov" and _cut_off(handle):
            # FFmpeg would play what is there; we refuse a file that was plainly cut short.
            raise _corrupt()
    try:
        with _open(source, demuxer) as container:
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


def _cut_off(handle: IO[bytes]) -> bool:
    """Whether a QuickTime/MP4 file's top-level atoms run past its end (an interrupted upload).
    Reads only the atoms' headers, seeking from one to the next."""
    length = handle.seek(0, io.SEEK_END)
    offset = 0
    while offset < length:
        if offset + 8 > length:
            return True
        handle.seek(offset)
        header = handle.read(16)
        size = int.from_bytes(header[:4], "big")
        if size == 1:
            if offset + 16 > length:
                return True
            size = int.from_bytes(header[8:16], "big")
        elif size == 0:
            return False  # the last atom, running to the end of the file
        if size < 8:
            return True
        offset += size
    return offset > length


def can_copy_streams(size: int, probed: ProbedVideo) -> bool:
    """Whether the upload's streams are already exactly what the 720 rendition would be, so they are
    copied into a new file rather than encoded again."""
    return (
        probed.format == "mp4"
        and probed.codec == "h264"
        and probed.profile in STREAM_COPY_PROFILES
        and probed.pixel_format == "yuv420p"
        and probed.audio_codec in (None, "aac")
        and not probed.other_streams
        and probed.rotation == 0
        and min(probed.width, probed.height) <= RENDITION_SPECS[0].short_side
        and 0 < probed.fps <= MAX_FPS
        and probed.duration_seconds > 0
        and size * 8 / probed.duration_seconds <= STREAM_COPY_MAX_BIT_RATE
    )


def _boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, start, header length, end) of the boxes between start and end, one level deep."""
    offset = start
    while offset + 8 <= end:
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = bytes(data[offset + 4 : offset + 8])
        header = 8
        if size == 1 and offset + 16 <= end:
            size, header = int.from_bytes(data[offset + 8 : offset + 16], "big"), 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            return
        yield kind, offset, header, offset + size
        offset += size


def _blank_metadata(box: bytearray, start: int, end: int) -> None:
    """Turn every metadata box under start..end into `free` space of the same size (so no offset
    into the file moves) with nothing left in it."""
    for kind, offset, header, stop in _boxes(box, start, end):
        if kind in METADATA_BOXES:
            box[offset + 4 : offset + 8] = b"free"
            box[offset + header : stop] = bytes(stop - offset - header)
        elif kind in CONTAINER_BOXES:
            _blank_metadata(box, offset + header, stop)


def scrub_mp4(path: Path) -> None:
    """Blank the metadata boxes FFmpeg's MP4 muxer writes even when it has no metadata to write
    (an empty `udta/meta/hdlr/ilst`), and any other, in place. Only the top-level boxes and the
    index (moov, small) are read."""
    with path.open("r+b") as handle:
        length = handle.seek(0, io.SEEK_END)
        offset = 0
        while offset + 8 <= length:
            handle.seek(offset)
            header = handle.read(16)
            size, kind, header_length = int.from_bytes(header[:4], "big"), header[4:8], 8
            if size == 1:
                size, header_length = int.from_bytes(header[8:16], "big"), 16
            elif size == 0:
                size = length - offset
            if size < header_length:
                raise ValueError(f"malformed box at {offset} in {path}")
            if kind in METADATA_BOXES:
                handle.seek(offset + 4)
                handle.write(b"free")
                handle.seek(offset + header_length)
                handle.write(bytes(size - header_length))
            elif kind in CONTAINER_BOXES:
                handle.seek(offset)
                box = bytearray(handle.read(size))
                _blank_metadata(box, header_length, size)
                handle.seek(offset)
                handle.write(box)
            offset += size


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
    """One MP4 rendition being written to a file."""

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
        self.container: Any = av.open(str(path), "w", format="mp4", options=MP4_OPTIONS)
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
        scrub_mp4(self.path)
        return VideoRendition(self.spec.name, self.width, self.height, "video/mp4", self.path)

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


def transcode_video(
    source: VideoSource, *, folder: Path, max_seconds: float, max_pixels: int
) -> ProcessedVideo:
    """Every rendition of an uploaded video, written as MP4 files into `folder` (the caller's to
    remove), and its poster frame; refuses bad input as probe_video does."""
    probed = probe_video(source, max_seconds=max_seconds, max_pixels=max_pixels)
    copied = can_copy_streams(_size(source), probed)
    short = min(probed.width, probed.height)
    specs = [
        spec
        for spec in RENDITION_SPECS
        if spec.name == "720" or short > spec.short_side
        if not (copied and spec.name == "720")
    ]
    try:
        renditions, poster = _transcode(source, probed, specs, folder, max_seconds=max_seconds)
        if copied:
            path = folder / "720-copy.mp4"
            _copy_streams(source, _demuxer(probed), path)
            renditions.append(VideoRendition("720", probed.width, probed.height, "video/mp4", path))
    except av.FFmpegError as exc:
        raise _corrupt() from exc
    renditions.sort(key=lambda r: -min(r.width, r.height))
    return ProcessedVideo(
        renditions=renditions,
        poster=poster,
        duration_seconds=probed.duration_seconds,
        width=renditions[0].width,
        height=renditions[0].height,
        stream_copied=copied,
    )


def _demuxer(probed: ProbedVideo) -> str:
    return {"webm": "matroska", "gif": "gif"}.get(probed.format, "mov")


def _copy_streams(source: VideoSource, demuxer: str, path: Path) -> None:
    """The first video stream and the first audio stream, packets copied as they are into a new MP4
    that carries nothing else: no container or stream metadata, no other track, no box of the
    upload's."""
    with (
        _open(source, demuxer) as upload,
        av.open(str(path), "w", format="mp4", options=MP4_OPTIONS) as output,
    ):
        inputs = [upload.streams.video[0], *upload.streams.audio[:1]]
        outputs = {}
        for stream in inputs:
            copy = output.add_stream_from_template(stream)
            copy.metadata.clear()
            outputs[stream.index] = copy
        output.metadata.clear()
        for packet in upload.demux(*inputs):
            if packet.dts is None:  # the flush packet each stream ends with
                continue
            packet.stream = outputs[packet.stream.index]
            output.mux(packet)
    scrub_mp4(path)


def _transcode(
    source: VideoSource, probed: ProbedVideo, specs: list[RenditionSpec], folder: Path, *, max_seconds: float
) -> tuple[list[VideoRendition], bytes]:
    demuxer = _demuxer(probed)
    fps = _target_fps(probed.fps)
    poster_at = min(POSTER_SECONDS, probed.duration_seconds / 4)
    poster: bytes | None = None
    last_frame: Any = None
    with _open(source, demuxer) as upload:
        video = upload.streams.video[0]
        video.thread_type = "AUTO"
        video.codec_context.thread_count = THREADS
        audio = upload.streams.audio[0] if upload.streams.audio and specs else None
        layout = None if audio is None else ("mono" if audio.codec_context.channels == 1 else "stereo")
        rate = fps or Fraction(probed.fps).limit_denominator(1001) or Fraction(MAX_FPS)
        time_base = 1 / fps if fps is not None else (video.time_base or Fraction(1, 90_000))
        encoders: list[_Encoder] = []
        try:
            for spec in specs:
                size = _rendition_size(probed.width, probed.height, spec.short_side)
                path = folder / f"{spec.name}.mp4"
                encoders.append(_Encoder(path, spec, size, rate, time_base, layout))
            graph, _ = _upright_graph(video, probed.rotation, fps)
            streams = [video] if audio is None else [video, audio]
            for packet in upload.demux(*streams):
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
                        break  # streams copied: only the poster was wanted
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
