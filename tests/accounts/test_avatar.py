"""Avatars: upload (JPEG, PNG, WebP) to an upright, metadata-free 320x320 JPEG; refusals of
anything else leave the old avatar and storage untouched; replacing and removing clean up."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import pillow_heif
import pytest
from PIL import ExifTags, Image

from tests.helpers import assert_error, dedicated_api
from viewfinder.mediakit.storage import storage_from_settings

RED = (255, 0, 0)
BLUE = (0, 0, 255)
GREEN = (0, 160, 0)


def close_to(pixel, colour, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def left_red_right_blue(size=(800, 600)) -> Image.Image:
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def camera_jpeg() -> bytes:
    """An 800x600 JPEG, stored sideways (EXIF orientation 6), with GPS and camera details."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Snapper 3000"
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 30.0, 26.0),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
    }
    out = io.BytesIO()
    left_red_right_blue().save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def solid_jpeg(colour, size=(200, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def transparent_left_png() -> bytes:
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    image.paste((*BLUE, 255), (200, 0, 400, 400))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    left_red_right_blue((500, 500)).save(out, "WEBP", quality=90)
    return out.getvalue()


def png_bomb(side: int = 20000) -> bytes:
    """A valid ~50 KB one-bit PNG that decodes to side x side pixels (400 million by default)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" * (1 + side // 8)  # filter byte, then one bit per pixel
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def upload(api, data: bytes, filename: str = "me.jpg", content_type: str = "image/jpeg"):
    return api.put("/accounts/me/avatar", files={"data": (filename, data, content_type)})


def fetch(api, url: str):
    """GET a media URL through the test client (by path: the host is the public one)."""
    return api.client.get(urlparse(url).path)


def stored_files(settings) -> list[Path]:
    """Every key in the test's media storage (a directory or a bucket), sorted."""
    return [Path(key) for key in storage_from_settings(settings).list_keys()]


def opened(response) -> Image.Image:
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def test_jpeg_avatar_is_upright_square_and_stripped_of_metadata(alice, settings):
    response = upload(alice, camera_jpeg())

    assert response.status_code == 200, response.text
    url = response.json()["profile"]["avatar_url"]
    assert url.startswith(settings.resolved_media_base_url + "/")
    avatar = opened(fetch(alice, url))
    assert avatar.format == "JPEG"
    assert avatar.size == (320, 320)
    assert avatar.mode == "RGB"
    assert len(avatar.getexif()) == 0
    assert "exif" not in avatar.info
    assert b"PhoneCo" not in fetch(alice, url).content
    # Orientation 6 means "rotate 90 degrees clockwise to view": the stored left (red) half is
    # the top, the right (blue) half the bottom. Unrotated it would be red left, blue right;
    # turned the wrong way, blue on top.
    assert close_to(avatar.getpixel((20, 40)), RED)
    assert close_to(avatar.getpixel((300, 40)), RED)
    assert close_to(avatar.getpixel((20, 280)), BLUE)
    assert close_to(avatar.getpixel((300, 280)), BLUE)


def test_avatar_shows_on_the_public_profile(alice, anon):
    url = upload(alice, camera_jpeg()).json()["profile"]["avatar_url"]
    assert anon.get("/users/alice").json()["avatar_url"] == url
    assert alice.get("/accounts/me").json()["profile"]["avatar_url"] == url
    assert fetch(anon, url).status_code == 200


def test_png_with_transparency_is_flattened_onto_white(alice):
    response = upload(alice, transparent_left_png(), "me.png", "image/png")
    assert response.status_code == 200, response.text
    avatar = opened(fetch(alice, response.json()["profile"]["avatar_url"]))
    assert avatar.size == (320, 320)
    assert close_to(avatar.getpixel((40, 160)), (255, 255, 255))
    assert close_to(avatar.getpixel((280, 160)), BLUE)


def test_webp_avatar_is_accepted(alice):
    response = upload(alice, webp(), "me.webp", "image/webp")
    assert response.status_code == 200, response.text
    avatar = opened(fetch(alice, response.json()["profile"]["avatar_url"]))
    assert avatar.size == (320, 320)
    assert close_to(avatar.getpixel((40, 160)), RED)
    assert close_to(avatar.getpixel((280, 160)), BLUE)


def test_format_is_read_from_the_content_not_the_name_or_type(alice):
    response = upload(alice, transparent_left_png(), "holiday.gif", "application/octet-stream")
    assert response.status_code == 200, response.text


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100"/></svg>'
)


def truncated_jpeg() -> bytes:
    whole = camera_jpeg()
    return whole[: len(whole) // 2]


BAD_UPLOADS: dict[str, tuple[Callable[[], bytes], str, str, int, str]] = {
    "svg": (lambda: SVG, "me.svg", "image/svg+xml", 415, "unsupported_media_type"),
    "text-named-jpg": (
        lambda: b"Just some words, not a picture.\n" * 20,
        "me.jpg",
        "image/jpeg",
        415,
        "unsupported_media_type",
    ),
    "empty": (lambda: b"", "me.jpg", "image/jpeg", 400, "corrupt_media"),
    "truncated-jpeg": (truncated_jpeg, "me.jpg", "image/jpeg", 400, "corrupt_media"),
    "decompression-bomb": (png_bomb, "me.png", "image/png", 400, "too_many_pixels"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_refused_upload_keeps_the_old_avatar_and_stores_nothing(alice, settings, case):
    make_data, filename, content_type, status, code = BAD_UPLOADS[case]
    data = make_data()
    before = upload(alice, solid_jpeg(GREEN)).json()["profile"]["avatar_url"]
    files_before = stored_files(settings)

    response = upload(alice, data, filename, content_type)

    assert_error(response, status, code, ["file"])
    assert alice.get("/accounts/me").json()["profile"]["avatar_url"] == before
    assert stored_files(settings) == files_before
    assert close_to(opened(fetch(alice, before)).getpixel((160, 160)), GREEN)


def test_refused_first_upload_leaves_no_avatar(alice, settings):
    assert_error(upload(alice, SVG, "me.svg", "image/svg+xml"), 415, "unsupported_media_type")
    assert alice.get("/accounts/me").json()["profile"]["avatar_url"] is None
    assert stored_files(settings) == []


def test_replacing_the_avatar_deletes_the_old_file(alice, settings):
    old = upload(alice, solid_jpeg(GREEN)).json()["profile"]["avatar_url"]
    new = upload(alice, solid_jpeg(BLUE)).json()["profile"]["avatar_url"]

    assert new != old
    assert len(stored_files(settings)) == 1
    assert_error(fetch(alice, old), 404, "not_found")
    assert close_to(opened(fetch(alice, new)).getpixel((160, 160)), BLUE)


def test_uploading_the_same_picture_again_keeps_it(alice, settings):
    first = upload(alice, solid_jpeg(GREEN)).json()["profile"]["avatar_url"]
    second = upload(alice, solid_jpeg(GREEN)).json()["profile"]["avatar_url"]
    assert first == second
    assert fetch(alice, first).status_code == 200
    assert len(stored_files(settings)) == 1


def test_deleting_the_avatar_removes_the_file(alice, anon, settings):
    url = upload(alice, solid_jpeg(GREEN)).json()["profile"]["avatar_url"]

    response = alice.delete("/accounts/me/avatar")

    assert response.status_code == 200
    assert response.json()["profile"]["avatar_url"] is None
    assert anon.get("/users/alice").json()["avatar_url"] is None
    assert stored_files(settings) == []
    assert_error(fetch(alice, url), 404, "not_found")


def test_each_account_keeps_its_own_avatar(alice, bob, settings):
    alices = upload(alice, solid_jpeg(GREEN)).json()["profile"]["avatar_url"]
    upload(bob, solid_jpeg(GREEN))
    bob.delete("/accounts/me/avatar")
    assert fetch(alice, alices).status_code == 200
    assert alice.get("/accounts/me").json()["profile"]["avatar_url"] == alices


def test_avatar_upload_requires_authentication(anon, settings):
    assert_error(upload(anon, solid_jpeg(GREEN)), 401, "not_authenticated")
    assert_error(anon.delete("/accounts/me/avatar"), 401, "not_authenticated")
    assert stored_files(settings) == []


def test_avatar_larger_than_the_limit_is_refused(settings):
    big = io.BytesIO()
    Image.effect_noise((200, 200), 80).convert("RGB").save(big, "JPEG", quality=95)
    assert len(big.getvalue()) > 1000
    with dedicated_api(settings, avatar_max_bytes=1000) as api:
        api.signup("alice")
        assert_error(upload(api, big.getvalue()), 413, "too_large")
        assert api.get("/accounts/me").json()["profile"]["avatar_url"] is None
        assert stored_files(settings) == []
        small = solid_jpeg(GREEN, (16, 16))
        assert len(small) <= 1000
        assert upload(api, small).status_code == 200


def test_an_iphone_heic_avatar_is_accepted(alice):
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 30)).save(out, "HEIF")

    response = upload(alice, out.getvalue(), filename="IMG_0001.HEIC", content_type="image/heic")

    assert response.status_code == 200, response.text
    avatar = opened(fetch(alice, response.json()["profile"]["avatar_url"]))
    assert avatar.size == (320, 320)
    assert close_to(avatar.getpixel((160, 160)), (200, 30, 30))
