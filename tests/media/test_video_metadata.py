"""Nothing of an uploaded video's metadata reaches anyone: not where it was shot, when, its title or
comments, whichever box carries them, whether the video is re-encoded or has its streams copied.

The samples are clips made with PyAV that carry each kind of metadata a phone or an editor writes:
container tags (ISO 6709 location as `loci` in MP4 and `©xyz` in QuickTime, `©nam`, `©cmt`, `©day`,
creation times in mvhd/tkhd/mdhd), Apple's `mdta` keys (com.apple.quicktime.location.ISO6709 ...),
stream tags, and boxes spliced in by hand: an XMP `uuid` box, a raw `©xyz` and `loci` in moov/udta.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image

from tests.media.test_videos import make_video, packets

GPS = "+48.8584+002.2945/"
TITLE = "Eiffel Tower at dawn"
COMMENT = "from the balcony of room 512"
CREATION_TIME = "1987-06-01T05:42:00Z"
SECRETS = [
    GPS.encode(),
    b"48.8584",
    b"2.2945",
    TITLE.encode(),
    b"Eiffel",
    COMMENT.encode(),
    b"balcony",
    b"1987",
]
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
    f' exif:GPSLatitude="48,51.504N" exif:GPSLongitude="2,17.67E" dc:title="{TITLE}"'
    ' xmp:CreateDate="1987-06-01T05:42:00Z" xmlns:xmp="http://ns.adobe.com/xap/1.0/"/>'
    "</rdf:RDF></x:xmpmeta>"
).encode()
# Boxes that hold metadata, or are metadata; none may be in a served video.
METADATA_BOXES = {"udta", "meta", "uuid", "loci", "©xyz", "keys", "ilst", "©nam", "©cmt", "©day", "XMP_"}
CONTAINERS = {"moov", "trak", "mdia", "minf", "stbl", "edts", "dinf", "udta", "meta", "ilst"}


def box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def boxes(
    data: bytes, start: int = 0, end: int | None = None, path: str = ""
) -> Iterator[tuple[str, int, int]]:
    """(path, payload start, end) of every box, descending into the ones that hold boxes."""
    end = len(data) if end is None else end
    offset = start
    while offset + 8 <= end:
        size, kind = int.from_bytes(data[offset : offset + 4], "big"), data[offset + 4 : offset + 8]
        header = 8
        if size == 1:
            size, header = int.from_bytes(data[offset + 8 : offset + 16], "big"), 16
        elif size == 0:
            size = end - offset
        assert size >= header, f"malformed box at {offset}"
        name = kind.decode("latin-1")
        here = f"{path}/{name}"
        yield here, offset + header, offset + size
        if name in CONTAINERS:
            inner = offset + header + (4 if name == "meta" else 0)  # meta is a full box
            yield from boxes(data, inner, offset + size, here)
        offset += size


def splice_into_moov(data: bytes, *children: bytes) -> bytes:
    """The MP4 with boxes added to moov/udta (made if missing); moov must be the last box, so no
    offset into the media moves."""
    top = [(path, start, end) for path, start, end in boxes(data) if path.count("/") == 1]
    path, start, end = top[-1]
    assert path == "/moov", "moov must come last (a clip written without faststart)"
    moov = bytearray(data[start:end])
    udta = next(((s - start, e - start) for p, s, e in boxes(data) if p == "/moov/udta"), None)
    if udta is None:
        moov += box(b"udta", b"".join(children))
    else:
        udta_start, udta_end = udta
        moov[udta_end:udta_end] = b"".join(children)
        moov[udta_start - 8 : udta_start - 4] = (
            udta_end - udta_start + 8 + sum(map(len, children))
        ).to_bytes(4, "big")
    return data[: start - 8] + box(b"moov", bytes(moov))


def retagged(
    data: bytes,
    container_format: str,
    tags: dict[str, str],
    stream_tags: dict[str, str],
    options: dict[str, str] | None = None,
) -> bytes:
    """The clip's streams copied into a new file of the format, with these container and stream tags."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"tagged.{container_format}"
        with (
            av.open(io.BytesIO(data), "r") as source,
            av.open(str(path), "w", format=container_format, options=options or {}) as output,
        ):
            output.metadata.update(tags)
            streams = {}
            for stream in source.streams:
                copy = output.add_stream_from_template(stream)
                copy.metadata.update(stream_tags)
                streams[stream.index] = copy
            for packet in source.demux():
                if packet.dts is not None:
                    packet.stream = streams[packet.stream.index]
                    output.mux(packet)
        return path.read_bytes()


def xyz_box() -> bytes:
    """QuickTime's user-data location: a counted string with a language code."""
    text = GPS.encode()
    return box(b"\xa9xyz", len(text).to_bytes(2, "big") + b"\x15\xc7" + text)


def loci_box() -> bytes:
    """3GPP location: name, role, longitude, latitude, altitude (16.16 fixed), body, notes."""
    fixed = (int(2.2945 * 65536)).to_bytes(4, "big") + (int(48.8584 * 65536)).to_bytes(4, "big") + bytes(4)
    return box(b"loci", bytes(4) + b"\x15\xc7" + TITLE.encode() + b"\0" + b"\0" + fixed + b"Earth\0" + b"\0")


def xmp_box() -> bytes:
    return box(b"uuid", XMP_UUID + XMP)


COMMON_TAGS = {"title": TITLE, "comment": COMMENT, "creation_time": CREATION_TIME, "date": "1987"}


@pytest.fixture(scope="module")
def tagged_mp4() -> bytes:
    """640x360 H.264 + AAC MP4, small enough to have its streams copied rather than encoded again:
    tagged with location (`loci`), title, comment, date and creation time, per stream too, with a
    raw `©xyz` and `loci` spliced into moov/udta and an XMP `uuid` box at the end."""
    clip = make_video("mp4", "libx264", (640, 360), seconds=1)
    tagged = retagged(clip, "mp4", {**COMMON_TAGS, "location": GPS}, {"title": TITLE, "comment": COMMENT})
    return splice_into_moov(tagged, xyz_box(), loci_box()) + xmp_box()


@pytest.fixture(scope="module")
def apple_mp4() -> bytes:
    """The same clip as an iPhone tags it: Apple's `mdta` keys in moov/meta (keys + ilst)."""
    clip = make_video("mp4", "libx264", (640, 360), seconds=1)
    tags = {
        "com.apple.quicktime.location.ISO6709": GPS,
        "com.apple.quicktime.creationdate": "1987-06-01T07:42:00+0200",
        "com.apple.quicktime.title": TITLE,
        "com.apple.quicktime.comment": COMMENT,
    }
    return retagged(clip, "mp4", tags, {}, {"movflags": "use_metadata_tags"})


@pytest.fixture(scope="module")
def tagged_mov() -> bytes:
    """A QuickTime movie, sideways (so it is encoded again), with `©xyz` location, title, comment,
    creation time and an XMP `uuid` box."""
    clip = make_video("mov", "libx264", (480, 272), seconds=1, rotation=90)
    tagged = retagged(clip, "mov", {**COMMON_TAGS, "location": GPS}, {"title": TITLE})
    return tagged + xmp_box()


def upload(api: Any, data: bytes, name: str) -> dict[str, Any]:
    response = api.post("/media", files={"file": (name, data, "video/mp4")})
    assert response.status_code == 202, response.text
    item: dict[str, Any] = response.json()
    assert item["state"] == "ready", item
    return item


def fetch(api: Any, url: str) -> bytes:
    response = api.client.get(url.removeprefix("https://testserver.local"))
    assert response.status_code == 200
    return bytes(response.content)


def box_names(data: bytes) -> set[str]:
    return {path.rsplit("/", 1)[1] for path, _, _ in boxes(data)}


def creation_times(data: bytes) -> list[int]:
    """The creation and modification times of mvhd and every tkhd and mdhd (seconds since 1904)."""
    times = []
    for path, start, _ in boxes(data):
        if path.endswith(("/mvhd", "/tkhd", "/mdhd")):
            wide = data[start] == 1  # version 1: 64-bit times
            size = 8 if wide else 4
            times += [
                int.from_bytes(data[start + 4 + i * size : start + 4 + (i + 1) * size], "big") for i in (0, 1)
            ]
    return times


def assert_no_secrets(data: bytes) -> None:
    for secret in SECRETS:
        assert secret not in data, f"{secret!r} is in a served file"


def test_the_samples_do_carry_every_kind_of_metadata(tagged_mp4, apple_mp4, tagged_mov):
    """The check below means something only if the uploads carry all of it."""
    assert {"loci", "©xyz", "uuid", "udta", "meta", "ilst", "©nam", "©cmt", "©day"} <= box_names(tagged_mp4)
    assert {"keys", "meta", "ilst"} <= box_names(apple_mp4)
    assert b"com.apple.quicktime.location.ISO6709" in apple_mp4
    assert {"©xyz", "uuid", "©nam", "©cmt"} <= box_names(tagged_mov)
    for sample in (tagged_mp4, apple_mp4, tagged_mov):
        assert all(secret in sample for secret in (GPS.encode(), TITLE.encode(), COMMENT.encode(), b"1987"))
    assert any(creation_times(tagged_mp4))
    assert any(creation_times(tagged_mov))


@pytest.mark.parametrize(
    ("sample", "copied"), [("tagged_mp4", True), ("apple_mp4", True), ("tagged_mov", False)]
)
def test_no_served_rendition_carries_any_of_the_uploads_metadata(alice, request, sample, copied):
    item = upload(alice, request.getfixturevalue(sample), f"{sample}.mp4")

    videos = [r for r in item["renditions"] if r["format"] == "mp4"]
    stills = [r for r in item["renditions"] if r["format"] != "mp4"]
    assert [r["name"] for r in videos] == ["720"]
    assert len(stills) == 10  # the poster's five sizes, JPEG and WebP
    for rendition in videos:
        data = fetch(alice, rendition["url"])
        # Copied: the very same frames and sound, in a new file; else encoded again.
        assert (packets(data) == packets(request.getfixturevalue(sample))) == copied
        assert_no_secrets(data)
        assert not box_names(data) & METADATA_BOXES, sorted(box_names(data) & METADATA_BOXES)
        assert creation_times(data)
        assert not any(creation_times(data))  # creation and modification times
        with av.open(io.BytesIO(data)) as container:
            assert not {"title", "comment", "location", "creation_time", "date"} & set(container.metadata)
            for stream in container.streams:
                assert not {"title", "comment", "creation_time"} & set(stream.metadata)
            assert [s.type for s in container.streams] == ["video", "audio"]
            assert container.streams.video[0].codec_context.name == "h264"
        assert data.find(b"moov") < data.find(b"mdat")  # still faststart after blanking
    for rendition in stills:
        data = fetch(alice, rendition["url"])
        assert_no_secrets(data)
        assert b"Exif" not in data
        assert b"ns.adobe.com" not in data
        assert not Image.open(io.BytesIO(data)).getexif()
