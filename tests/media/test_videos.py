"""Videos: probed by content, turned into upright faststart H.264/AAC MP4s with a poster, or refused.

Every sample is encoded during the run with PyAV: tiny frames, a second or two long. Each frame is
red on its left half and blue on its right, so a rendition shows which way up it came out.
"""

from __future__ import annotations

import io
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.helpers import assert_error
from viewfinder.accounts.models import User
from viewfinder.core.errors import ApiError
from viewfinder.media import services
from viewfinder.media.models import MediaItem
from viewfinder.mediakit.storage import storage_from_settings
from viewfinder.mediakit.videos import probe_video, transcode_video

LIMITS: dict[str, Any] = {"max_seconds": 600, "max_pixels": 100_000_000}
AUDIO_RATE = 48_000


def red_left_blue_right(width: int, height: int) -> Any:
    picture = av.VideoFrame(width, height, "rgb24")
    plane = picture.planes[0]
    row = bytes((255, 0, 0)) * (width // 2) + bytes((0, 0, 255)) * (width - width // 2)
    plane.update((row + bytes(plane.line_size - len(row))) * height)
    return picture


def make_video(
    container_format: str,
    codec: str,
    size: tuple[int, int],
    *,
    seconds: float = 1.0,
    fps: int = 30,
    audio: str | None = "aac",
    rotation: int | None = None,
    faststart: bool = False,
    video_options: dict[str, str] | None = None,
) -> bytes:
    """A clip of the red-left, blue-right picture, with silent audio unless `audio` is None.

    `rotation` is written as the stream's display matrix (counterclockwise degrees, as phones do).
    """
    width, height = size
    picture = red_left_blue_right(width, height)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"clip.{container_format}"
        options = {"movflags": "faststart"} if faststart else {}
        with av.open(str(path), "w", format=container_format, options=options) as output:
            video: Any = output.add_stream(codec, rate=fps, options=video_options or {})
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            if rotation is not None:
                video.set_display_rotation(rotation)
            sound: Any = output.add_stream(audio, rate=AUDIO_RATE) if audio else None
            for index in range(round(seconds * fps)):
                frame = picture.reformat(format="yuv420p")
                frame.pts = index
                output.mux(video.encode(frame))
            output.mux(video.encode(None))
            if sound is not None:
                samples = 0
                while samples < seconds * AUDIO_RATE:
                    chunk = av.AudioFrame(format="fltp", layout="stereo", samples=960)
                    for plane in chunk.planes:
                        plane.update(bytes(plane.buffer_size))
                    chunk.sample_rate, chunk.pts = AUDIO_RATE, samples
                    samples += chunk.samples
                    output.mux(sound.encode(chunk))
                output.mux(sound.encode(None))
        return path.read_bytes()


@pytest.fixture(scope="module")
def plain_mp4() -> bytes:
    """640x360 H.264 High + AAC, 2 s, index at the front: already what the 720 rendition would be."""
    return make_video("mp4", "libx264", (640, 360), seconds=2, faststart=True)


@pytest.fixture(scope="module")
def rotated_mov() -> bytes:
    """960x540 H.264 + AAC stored sideways, with a display matrix turning it 90 degrees counterclockwise."""
    return make_video("mov", "libx264", (960, 540), seconds=2, rotation=90)


def open_video(data: bytes) -> Any:
    return av.open(io.BytesIO(data))


def first_frame(data: bytes) -> Any:
    with open_video(data) as container:
        return next(container.decode(video=0))


def colour_at(frame: Any, x: int, y: int) -> tuple[int, int, int]:
    rgb = frame.reformat(format="rgb24")
    plane = rgb.planes[0]
    offset = y * plane.line_size + x * 3
    red, green, blue = bytes(plane)[offset : offset + 3]
    return red, green, blue


def reddish(colour: tuple[int, ...]) -> bool:
    return colour[0] > 180 and colour[2] < 80


def bluish(colour: tuple[int, ...]) -> bool:
    return colour[2] > 180 and colour[0] < 80


def moov_before_mdat(data: bytes) -> bool:
    """Whether the MP4's index comes before its media, so playback starts before the download ends."""
    return 0 <= data.find(b"moov") < data.find(b"mdat")


def refused(data: bytes, **limits: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        probe_video(data, **{**LIMITS, **limits})
    return caught.value


def packets(data: bytes) -> list[tuple[str, int | None, bytes]]:
    """Every packet of every stream: (kind, pts, bytes)."""
    with open_video(data) as container:
        return [(p.stream.type, p.pts, bytes(p)) for p in container.demux() if p.size]


def test_an_upright_small_h264_mp4_has_its_streams_copied_into_a_new_file(plain_mp4, tmp_path):
    probed = probe_video(plain_mp4, **LIMITS)
    video = transcode_video(plain_mp4, folder=tmp_path, **LIMITS)

    assert (probed.format, probed.codec, probed.width, probed.height) == ("mp4", "h264", 640, 360)
    assert probed.has_audio
    assert probed.rotation == 0
    assert video.stream_copied
    assert [r.name for r in video.renditions] == ["720"]
    # Not the uploaded file, but its very frames and sound, not encoded again.
    assert video.renditions[0].data != plain_mp4
    assert packets(video.renditions[0].data) == packets(plain_mp4)
    assert moov_before_mdat(video.renditions[0].data)
    assert video.renditions[0].content_type == "video/mp4"
    assert (video.width, video.height) == (640, 360)
    assert video.duration_seconds == pytest.approx(2, abs=0.1)
    poster = Image.open(io.BytesIO(video.poster))
    assert (poster.format, poster.size) == ("JPEG", (640, 360))


def test_a_sideways_mov_comes_out_upright_faststart_h264_high_with_aac(rotated_mov, tmp_path):
    probed = probe_video(rotated_mov, **LIMITS)
    video = transcode_video(rotated_mov, folder=tmp_path, **LIMITS)

    assert (probed.format, probed.width, probed.height) == ("mov", 540, 960)
    assert [(r.name, r.width, r.height) for r in video.renditions] == [("720", 540, 960), ("480", 480, 854)]
    for rendition in video.renditions:
        assert moov_before_mdat(rendition.data)
        with open_video(rendition.data) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert stream.profile == "High"
            assert [a.codec_context.name for a in container.streams.audio] == ["aac"]
        frame = first_frame(rendition.data)
        # Upright pixels, no rotation left for the player: turned counterclockwise, the red left
        # half of the stored frame is now the bottom.
        assert frame.rotation == 0
        assert (frame.width, frame.height) == (rendition.width, rendition.height)
        assert bluish(colour_at(frame, frame.width // 2, frame.height // 8))
        assert reddish(colour_at(frame, frame.width // 2, frame.height * 7 // 8))
    poster = Image.open(io.BytesIO(video.poster)).convert("RGB")
    assert poster.size == (540, 960)
    assert bluish(poster.getpixel((270, 100)))  # type: ignore[arg-type]
    assert reddish(poster.getpixel((270, 860)))  # type: ignore[arg-type]


@pytest.mark.skipif(
    "libx265" not in av.codecs_available, reason="this PyAV has no HEVC encoder to make a sample"
)
def test_an_hevc_mp4_is_transcoded_to_h264(tmp_path):
    hevc = make_video(
        "mp4", "libx265", (320, 240), audio=None, video_options={"x265-params": "log-level=error"}
    )

    assert probe_video(hevc, **LIMITS).codec == "hevc"
    video = transcode_video(hevc, folder=tmp_path, **LIMITS)

    assert [(r.name, r.width, r.height) for r in video.renditions] == [("720", 320, 240)]
    with open_video(video.renditions[0].data) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert not container.streams.audio  # no sound in, none out


def test_a_webm_becomes_an_mp4_with_aac(tmp_path):
    webm = make_video("webm", "libvpx-vp9", (320, 240), audio="libopus")

    probed = probe_video(webm, **LIMITS)
    video = transcode_video(webm, folder=tmp_path, **LIMITS)

    assert (probed.format, probed.codec, probed.audio_codec) == ("webm", "vp9", "opus")
    data = video.renditions[0].data
    assert moov_before_mdat(data)
    with open_video(data) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert [a.codec_context.name for a in container.streams.audio] == ["aac"]


def test_a_50_fps_clip_is_kept_at_no_more_than_30_fps(tmp_path):
    fast = make_video("mp4", "libx264", (320, 240), fps=50, faststart=True)

    video = transcode_video(fast, folder=tmp_path, **LIMITS)

    with open_video(video.renditions[0].data) as container:
        stream = container.streams.video[0]
        assert stream.average_rate is not None
        assert stream.average_rate <= 30
        frames = sum(1 for _ in container.decode(stream))
    assert 20 <= frames <= 30  # one second at 25 fps, not 50 frames
    assert video.duration_seconds == pytest.approx(1, abs=0.1)


def test_a_video_longer_than_the_limit_is_refused(plain_mp4):
    error = refused(plain_mp4, max_seconds=1)

    assert (error.status_code, error.code) == (400, "too_long")
    assert "file" in error.fields


def test_files_that_are_not_videos_we_play_are_refused():
    assert refused(b"Just some notes, renamed to holiday.mp4\n" * 10).status_code == 415
    mkv = make_video("matroska", "libx264", (64, 64), seconds=0.2, audio=None)
    assert refused(mkv).code == "unsupported_media_type"
    mpeg4 = make_video("mp4", "mpeg4", (64, 64), seconds=0.2, audio=None)
    assert refused(mpeg4).code == "unsupported_media_type"
    assert refused(b"").code == "corrupt_media"


def test_a_frame_over_the_pixel_limit_is_refused(plain_mp4):
    error = refused(plain_mp4, max_pixels=640 * 360 - 1)
    assert (error.status_code, error.code) == (400, "too_many_pixels")


def upload(api, data: bytes, name: str = "clip.mov", **fields: str):
    return api.post("/media", files={"file": (name, data, "video/quicktime")}, data=fields)


def stored_files(settings) -> list[str]:
    """Every key in the test's media storage (a directory or a bucket), sorted."""
    return storage_from_settings(settings).list_keys()


def fetch(api, url: str) -> bytes:
    response = api.client.get(url.removeprefix("https://testserver.local"))
    assert response.status_code == 200
    return bytes(response.content)


def test_an_uploaded_mov_becomes_a_ready_video_with_a_poster(alice, settings, rotated_mov):
    response = upload(alice, rotated_mov)

    assert response.status_code == 202, response.text
    item = response.json()
    assert (item["kind"], item["state"]) == ("video", "ready")
    assert (item["width"], item["height"]) == (540, 960)
    assert item["duration_ms"] == pytest.approx(2000, abs=100)
    assert item["blurhash"]
    assert item["dominant_color"].startswith("#")
    by_name = {(r["name"], r["format"]): r for r in item["renditions"]}
    assert set(by_name) == {("720", "mp4"), ("480", "mp4")} | {
        (f"poster-{size}", kind)
        for size in ("1080", "750", "640", "320", "thumb")
        for kind in ("jpeg", "webp")
    }
    playable = fetch(alice, by_name[("720", "mp4")]["url"])
    frame = first_frame(playable)
    assert (frame.width, frame.height) == (540, 960)
    poster = Image.open(io.BytesIO(fetch(alice, by_name[("poster-640", "jpeg")]["url"])))
    assert poster.format == "JPEG"
    assert not [path for path in stored_files(settings) if path.startswith("uploads/")]
    assert alice.get(f"/media/{item['id']}").json()["duration_ms"] == item["duration_ms"]


def test_an_mp4_that_needs_no_work_keeps_one_720_rendition_and_photos_have_no_duration(
    alice, plain_mp4, small_jpeg
):
    item = upload(alice, plain_mp4, name="clip.mp4").json()

    assert (item["kind"], item["state"]) == ("video", "ready")
    rendition = next(r for r in item["renditions"] if r["format"] == "mp4")
    assert rendition["name"] == "720"
    assert packets(fetch(alice, rendition["url"])) == packets(plain_mp4)
    photo = alice.post("/media", files={"file": ("photo.jpg", small_jpeg, "image/jpeg")}).json()
    assert (photo["kind"], photo["duration_ms"]) == ("photo", None)


def test_filters_crops_turns_and_adjustments_are_refused_for_videos(alice, settings, plain_mp4):
    assert_error(upload(alice, plain_mp4, filter="juno"), 400, "validation_error", ["filter"])
    assert_error(upload(alice, plain_mp4, crop="0,0,1,1"), 400, "validation_error", ["crop"])
    assert_error(upload(alice, plain_mp4, rotate="90"), 400, "validation_error", ["rotate"])
    assert_error(upload(alice, plain_mp4, adjust="warmth=-20"), 400, "validation_error", ["adjust"])
    assert stored_files(settings) == []
    # No turn and nothing adjusted is what every video has.
    unchanged = upload(alice, plain_mp4, rotate="0", adjust="warmth=0")
    assert unchanged.status_code == 202, unchanged.text
    assert (unchanged.json()["kind"], unchanged.json()["rotation"]) == ("video", 0)


async def test_refused_videos_leave_no_rows_and_no_files(app, alice, db, settings, plain_mp4):
    whole = make_video("mp4", "libx264", (320, 240), audio=None)  # index at the end
    truncated = whole[: len(whole) * 6 // 10]
    assert_error(upload(alice, truncated, name="clip.mp4"), 400, "corrupt_media", ["file"])
    assert_error(upload(alice, b"not a video at all\n" * 50, name="clip.mp4"), 415, "unsupported_media_type")
    user = await db.get(User, int(alice.me["profile"]["id"]))
    assert user is not None
    storage = storage_from_settings(settings)
    with pytest.raises(ApiError) as too_long:
        await services.record_upload(
            db,
            storage,
            user,
            plain_mp4,
            filter_name="normal",
            crop=None,
            max_bytes=10**8,
            max_pixels=10**8,
            video_max_seconds=1,
        )
    assert too_long.value.code == "too_long"
    with pytest.raises(ApiError) as too_large:
        await services.record_upload(
            db,
            storage,
            user,
            plain_mp4,
            filter_name="normal",
            crop=None,
            max_bytes=10**8,
            max_pixels=10**8,
            video_max_bytes=len(plain_mp4) - 1,
        )
    assert (too_large.value.status_code, too_large.value.code) == (413, "too_large")

    assert await db.scalar(select(func.count()).select_from(MediaItem)) == 0
    assert stored_files(settings) == []


def test_the_frame_rate_is_kept_when_it_is_30_or_less(plain_mp4, tmp_path):
    rotated = make_video("mov", "libx264", (320, 240), fps=24, rotation=180, audio=None)

    video = transcode_video(rotated, folder=tmp_path, **LIMITS)

    with open_video(video.renditions[0].data) as container:
        assert container.streams.video[0].average_rate == Fraction(24)
    frame = first_frame(video.renditions[0].data)
    # Turned half a turn: the red half is now on the right.
    assert bluish(colour_at(frame, 40, 120))
    assert reddish(colour_at(frame, 280, 120))


def test_a_video_cut_off_after_its_index_is_refused_not_served_as_it_is(alice, settings, plain_mp4):
    cut = plain_mp4[: len(plain_mp4) * 9 // 10]  # index at the front, so FFmpeg alone would play it

    assert refused(cut).code == "corrupt_media"
    assert_error(upload(alice, cut, name="clip.mp4"), 400, "corrupt_media", ["file"])
    assert stored_files(settings) == []


def test_a_4k_50_fps_clip_becomes_720p_at_no_more_than_30_fps(tmp_path):
    clip = make_video("mp4", "libx264", (3840, 2160), seconds=0.5, fps=50, audio=None,
                      video_options={"preset": "ultrafast"})  # fmt: skip

    processed = transcode_video(clip, folder=tmp_path, max_seconds=600, max_pixels=100_000_000)

    largest = processed.renditions[0]
    assert (largest.name, largest.width, largest.height) == ("720", 1280, 720)
    with av.open(io.BytesIO(largest.data), mode="r") as container:
        stream = container.streams.video[0]
        assert stream.average_rate is not None
        assert float(stream.average_rate) <= 30


@pytest.mark.parametrize(
    ("size", "video_size", "posters"),
    [
        # A phone's portrait video: a 9:16 poster, never a 4:5 crop of it.
        ((1080, 1920), (720, 1280), {"1080": (1080, 1920), "640": (640, 1138), "320": (320, 569)}),
        # Wider than the 1.91:1 photos are cropped to: the poster stays 2:1.
        ((640, 320), (640, 320), {"1080": (640, 320), "640": (640, 320), "320": (320, 160)}),
    ],
)
def test_a_posters_shape_is_its_videos(alice, size, video_size, posters):
    clip = make_video("mp4", "libx264", size, seconds=0.5, fps=10, audio=None, faststart=True,
                      video_options={"preset": "ultrafast"})  # fmt: skip

    item = upload(alice, clip, name="clip.mp4").json()

    assert item["state"] == "ready", item
    assert (item["width"], item["height"]) == video_size
    by_name = {(r["name"], r["format"]): r for r in item["renditions"]}
    for name, (width, height) in {**posters, "thumb": (150, 150)}.items():
        for image_format in ("jpeg", "webp"):
            rendition = by_name[(f"poster-{name}", image_format)]
            assert (rendition["width"], rendition["height"]) == (width, height), name
            poster = Image.open(io.BytesIO(fetch(alice, rendition["url"])))
            assert poster.size == (width, height)
    largest = by_name[("poster-1080", "jpeg")]
    assert largest["width"] / largest["height"] == pytest.approx(video_size[0] / video_size[1], rel=0.01)
    # The poster is the video's picture: red on the left, blue on the right.
    picture = Image.open(io.BytesIO(fetch(alice, largest["url"]))).convert("RGB")
    assert reddish(picture.getpixel((picture.width // 8, picture.height // 2)))  # type: ignore[arg-type]
    assert bluish(picture.getpixel((picture.width * 7 // 8, picture.height // 2)))  # type: ignore[arg-type]
