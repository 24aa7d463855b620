"""The photo pipeline: sniffing formats by content (and refusing the rest, bombs included), the eight
renditions (sizes, aspect clamping, crop boxes, progressive JPEG, upright pixels, no metadata at all),
blurhash and dominant colour, every accepted input format, what each filter does to the colours, and
the composer's turns and adjustments."""

from __future__ import annotations

import io
import math
import re
import time
from collections.abc import Callable
from itertools import product

import blurhash
import pytest
import pyvips
from PIL import Image, ImageChops, ImageCms, ImageStat

from tests.media.conftest import BLUE, GREEN, RED, colourful, encode, left_red_right_blue
from viewfinder.core.errors import ApiError
from viewfinder.mediakit.images import make_avatar
from viewfinder.mediakit.photos import (
    FILTERS,
    MAX_ASPECT,
    MIN_ASPECT,
    RENDITION_WIDTHS,
    THUMBNAIL_SIZE,
    Adjustments,
    CropBox,
    ProcessedPhoto,
    Rendition,
    process_photo,
    sniff,
)

MAX_PIXELS = 50_000_000
NAMES = ("1080", "750", "640", "320", "thumb")
FORMATS = ("jpeg", "webp")
CONTENT_TYPES = {"jpeg": "image/jpeg", "webp": "image/webp"}
PILLOW_FORMATS = {"jpeg": "JPEG", "webp": "WEBP"}
REAL_FILTERS = ("clarendon", "gingham", "moon", "lark", "reyes", "juno", "slumber", "crema")


# Helpers ---------------------------------------------------------------------------------------------


def api_error(call: Callable[[], object]) -> ApiError:
    """The ApiError that `call` raises (failing the test if it raises nothing)."""
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


def rendition(photo: ProcessedPhoto, name: str, image_format: str = "jpeg") -> Rendition:
    [found] = [r for r in photo.renditions if r.name == name and r.format == image_format]
    return found


def decode(item: Rendition) -> Image.Image:
    image = Image.open(io.BytesIO(item.data))
    image.load()
    return image


def rgb(item: Rendition) -> Image.Image:
    return decode(item).convert("RGB")


def pixel(image: Image.Image, fx: float, fy: float) -> tuple[int, ...]:
    """The pixel at a fraction of the width and height."""
    value = image.getpixel(
        (min(int(image.width * fx), image.width - 1), min(int(image.height * fy), image.height - 1))
    )
    assert isinstance(value, tuple)
    return value


def close_to(
    colour: tuple[int, ...] | list[float], expected: tuple[int, int, int], tolerance: float = 40
) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour[:3], expected, strict=True))


def assert_uniformly(image: Image.Image, colour: tuple[int, int, int]) -> None:
    """Every sampled spot (edges and corners included) and the mean are the given colour."""
    spots = (0.02, 0.25, 0.5, 0.75, 0.98)
    for fx, fy in product(spots, spots):
        assert close_to(pixel(image, fx, fy), colour), (fx, fy, pixel(image, fx, fy))
    assert close_to(ImageStat.Stat(image).mean, colour, 25), ImageStat.Stat(image).mean


def jpeg_header_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every JPEG segment before the picture data: where metadata would live."""
    assert data[:2] == b"\xff\xd8"
    segments = []
    pos = 2
    while pos < len(data):
        assert data[pos] == 0xFF, f"not a marker at {pos}"
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: the compressed picture follows
            break
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        segments.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    return segments


def webp_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WEBP"
    chunks = []
    pos = 12
    while pos + 8 <= len(data):
        fourcc = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        chunks.append((fourcc, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return chunks


def aspect(item: Rendition) -> float:
    return item.width / item.height


# Colour measurements, all on a 0..255 scale (chroma on CIELAB's).

SRGB_TO_LAB = ImageCms.buildTransform(
    ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), "RGB", "LAB"
)


def luminance(image: Image.Image) -> float:
    return float(ImageStat.Stat(image.convert("L")).mean[0])


def contrast(image: Image.Image) -> float:
    return float(ImageStat.Stat(image.convert("L")).stddev[0])


def saturation(image: Image.Image) -> float:
    """Mean CIELAB chroma (colourfulness). HSV saturation would not do: darkening alone raises it."""
    lab = ImageCms.applyTransform(image, SRGB_TO_LAB)
    assert lab is not None
    _, a, b = (band.tobytes() for band in lab.split())  # a* and b* are stored offset by 128
    return sum(math.hypot(x - 128, y - 128) for x, y in zip(a, b, strict=True)) / len(a)


def warmth(image: Image.Image) -> float:
    red, _, blue = ImageStat.Stat(image).mean
    return float(red - blue)


def blacks(image: Image.Image) -> float:
    """The luminance of the darkest 2% of pixels."""
    histogram = image.convert("L").histogram()
    wanted = image.width * image.height * 0.02
    seen = 0
    for level, count in enumerate(histogram):
        seen += count
        if seen >= wanted:
            return float(level)
    return 255.0


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


# Shared results --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def camera_photo(camera_jpeg: bytes) -> ProcessedPhoto:
    return process_photo(camera_jpeg, max_pixels=MAX_PIXELS)


@pytest.fixture(scope="module")
def colourful_photo(colourful_jpeg: bytes) -> ProcessedPhoto:
    return process_photo(colourful_jpeg, max_pixels=MAX_PIXELS)


# sniff -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "image_format", "width", "height"),
    [
        ("colourful_jpeg", "jpeg", 1200, 900),
        ("split_png", "png", 1200, 900),
        ("webp_photo", "webp", 600, 400),
        ("heic_photo", "heic", 600, 400),
        ("avif_photo", "avif", 600, 400),
        ("gif_photo", "gif", 600, 400),
    ],
)
def test_sniff_names_the_format_and_size_from_the_bytes(request, sample, image_format, width, height):
    # sniff takes only bytes: no file name or client Content-Type can make a PNG pass as a JPEG.
    found = sniff(request.getfixturevalue(sample), max_pixels=MAX_PIXELS)

    assert (found.format, found.width, found.height, found.pages) == (image_format, width, height, 1)


def test_sniff_counts_the_frames_of_an_animated_gif(animated_gif):
    found = sniff(animated_gif, max_pixels=MAX_PIXELS)

    assert (found.format, found.width, found.height, found.pages) == ("gif", 200, 100, 3)


@pytest.mark.parametrize("sample", ["svg_bytes", "pdf_bytes", "text_bytes", "tiff_photo"])
def test_sniff_refuses_what_is_not_a_photo_as_unsupported(request, sample):
    error = api_error(lambda: sniff(request.getfixturevalue(sample), max_pixels=MAX_PIXELS))

    assert (error.status_code, error.code) == (415, "unsupported_media_type")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, id="png-signature-then-garbage"),
        pytest.param(
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", id="jpeg-header-only"
        ),
    ],
)
def test_sniff_refuses_a_broken_image_as_corrupt(data):
    error = api_error(lambda: sniff(data, max_pixels=MAX_PIXELS))

    assert (error.status_code, error.code) == (400, "corrupt_media")


def test_decompression_bomb_is_refused_from_its_header_in_well_under_a_second(png_bomb):
    started = time.perf_counter()
    sniffed = api_error(lambda: sniff(png_bomb, max_pixels=MAX_PIXELS))
    processed = api_error(lambda: process_photo(png_bomb, max_pixels=MAX_PIXELS))
    elapsed = time.perf_counter() - started

    assert (sniffed.status_code, sniffed.code) == (400, "too_many_pixels")
    assert (processed.status_code, processed.code) == (400, "too_many_pixels")
    assert elapsed < 1.0


def test_pixel_limit_allows_exactly_max_pixels(colourful_jpeg):
    assert sniff(colourful_jpeg, max_pixels=1200 * 900).width == 1200

    error = api_error(lambda: sniff(colourful_jpeg, max_pixels=1200 * 900 - 1))
    assert (error.status_code, error.code) == (400, "too_many_pixels")


# process_photo: renditions ---------------------------------------------------------------------------


def test_constants_match_instagram_sizes():
    assert RENDITION_WIDTHS == (1080, 750, 640, 320)
    assert THUMBNAIL_SIZE == 150
    assert abs(MIN_ASPECT - 4 / 5) < 1e-9
    assert abs(MAX_ASPECT - 1.91) < 1e-9
    assert set(FILTERS) == {"normal", *REAL_FILTERS}


def test_every_photo_gets_eight_decodable_renditions_in_jpeg_and_webp(colourful_photo):
    assert sorted((r.name, r.format) for r in colourful_photo.renditions) == sorted(product(NAMES, FORMATS))
    for item in colourful_photo.renditions:
        assert item.content_type == CONTENT_TYPES[item.format]
        image = decode(item)
        assert image.format == PILLOW_FORMATS[item.format]
        assert image.size == (item.width, item.height)
        assert image.mode == "RGB"


def test_a_4_3_photo_is_resized_to_each_width_keeping_its_shape(colourful_photo):
    sizes = {(r.name, r.format): (r.width, r.height) for r in colourful_photo.renditions}

    assert sizes == {
        **{("1080", f): (1080, 810) for f in FORMATS},
        **{("750", f): (750, 563) for f in FORMATS},
        **{("640", f): (640, 480) for f in FORMATS},
        **{("320", f): (320, 240) for f in FORMATS},
        **{("thumb", f): (150, 150) for f in FORMATS},
    }
    assert (colourful_photo.width, colourful_photo.height) == (1080, 810)


def test_a_small_photo_is_never_upscaled(small_jpeg):
    photo = process_photo(small_jpeg, max_pixels=MAX_PIXELS)

    sizes = {(r.name, r.format): (r.width, r.height) for r in photo.renditions}
    for image_format in FORMATS:
        assert sizes["1080", image_format] == (500, 400)
        assert sizes["750", image_format] == (500, 400)
        assert sizes["640", image_format] == (500, 400)
        assert sizes["320", image_format] == (320, 256)
        assert sizes["thumb", image_format] == (150, 150)
    assert (photo.width, photo.height) == (500, 400)


@pytest.mark.parametrize(
    ("sample", "limit", "kept_edges"),
    [
        # 1:3 red/green/blue from top to bottom, cropped around the middle to 4:5.
        ("tall_jpeg", MIN_ASPECT, ((0.5, 0.01), (0.5, 0.99))),
        # 3:1 red/green/blue from left to right, cropped around the middle to 1.91:1.
        ("wide_jpeg", MAX_ASPECT, ((0.01, 0.5), (0.99, 0.5))),
    ],
)
def test_photo_beyond_instagram_aspect_limits_is_centre_cropped_to_the_limit(
    request, sample, limit, kept_edges
):
    photo = process_photo(request.getfixturevalue(sample), max_pixels=MAX_PIXELS)

    for item in photo.renditions:
        if item.name == "thumb":
            assert (item.width, item.height) == (150, 150)
        else:
            assert aspect(item) == pytest.approx(limit, rel=0.01), (item.name, item.width, item.height)
            assert item.width == min(int(item.name), 1000 if sample == "tall_jpeg" else 3000)
    image = rgb(rendition(photo, "1080"))
    # The middle stripe is in the centre, and a sliver of both outer stripes is kept, evenly.
    assert close_to(pixel(image, 0.5, 0.5), GREEN)
    first, last = kept_edges
    assert close_to(pixel(image, *first), RED)
    assert close_to(pixel(image, *last), BLUE)


@pytest.mark.parametrize(
    ("sample", "crop", "colour"),
    [
        pytest.param("split_png", CropBox(0.0, 0.0, 0.5, 1.0), RED, id="left-half"),
        pytest.param("split_png", CropBox(0.5, 0.0, 0.5, 1.0), BLUE, id="right-half"),
        # The camera photo is stored sideways; upright, its red half is on top.
        pytest.param("camera_jpeg", CropBox(0.0, 0.0, 1.0, 0.5), RED, id="upright-top-half"),
        pytest.param("camera_jpeg", CropBox(0.0, 0.5, 1.0, 0.5), BLUE, id="upright-bottom-half"),
    ],
)
def test_crop_box_keeps_only_the_chosen_part_of_the_upright_photo(request, sample, crop, colour):
    photo = process_photo(request.getfixturevalue(sample), max_pixels=MAX_PIXELS, crop=crop)

    for item in photo.renditions:
        assert_uniformly(rgb(item), colour)


def test_crop_box_result_is_still_clamped_to_the_aspect_limits(split_png):
    # The left half of a 1200x900 photo is 600x900 (2:3), taller than 4:5.
    photo = process_photo(split_png, max_pixels=MAX_PIXELS, crop=CropBox(0.0, 0.0, 0.5, 1.0))

    assert (photo.width, photo.height) == (600, 750)
    for item in photo.renditions:
        if item.name != "thumb":
            assert aspect(item) == pytest.approx(MIN_ASPECT, rel=0.01)


def test_jpeg_renditions_are_progressive(camera_photo):
    for item in camera_photo.renditions:
        if item.format == "jpeg":
            info = decode(item).info
            assert info.get("progressive") or info.get("progression"), (item.name, info)


@pytest.mark.parametrize("sample", ["camera_jpeg", "colourful_jpeg", "webp_photo", "heic_photo"])
def test_no_metadata_survives_in_any_rendition(request, sample):
    # Every sample carries GPS in its EXIF; the camera JPEG and WebP also carry XMP and an ICC profile.
    photo = process_photo(request.getfixturevalue(sample), max_pixels=MAX_PIXELS)

    for item in photo.renditions:
        image = decode(item)
        assert len(image.getexif()) == 0, item.name
        assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp"} & set(image.info), (
            item.name,
            image.info,
        )
        for marker in (b"Exif", b"http://ns.adobe.com/xap", b"<x:xmpmeta"):
            assert marker not in item.data, (item.name, item.format, marker)
        if item.format == "jpeg":
            segments = jpeg_header_segments(item.data)
            # APP1 is EXIF/XMP, APP2 ICC, APP13 IPTC; COM is a free-text comment.
            assert not [m for m, _ in segments if 0xE1 <= m <= 0xEF or m == 0xFE], item.name
            header = b"".join(payload for _, payload in segments)
        else:
            chunks = webp_chunks(item.data)
            assert {fourcc for fourcc, _ in chunks} <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}, item.name
            for fourcc, payload in chunks:
                if fourcc == b"VP8X":
                    assert payload[0] & 0b0010_1100 == 0, "VP8X flags ICC, EXIF or XMP"
            header = b"".join(fourcc for fourcc, _ in chunks)
        for marker in (b"Exif", b"GPS", b"xap", b"ICC", b"PhoneCo", b"Snapper"):
            assert marker not in header, (item.name, item.format, marker)


def test_sideways_camera_photo_comes_out_upright(camera_photo):
    # Stored 1200x900 with orientation 6 (turn 90 degrees clockwise): upright it is portrait, red on top.
    assert camera_photo.height > camera_photo.width
    for item in camera_photo.renditions:
        image = rgb(item)
        if item.name != "thumb":
            assert item.height > item.width
        for fx in (0.1, 0.5, 0.9):
            assert close_to(pixel(image, fx, 0.1), RED), (item.name, item.format, fx)
            assert close_to(pixel(image, fx, 0.9), BLUE), (item.name, item.format, fx)


# Blurhash and dominant colour ------------------------------------------------------------------------


def test_blurhash_is_a_valid_4_by_3_hash_of_the_photos_colour():
    colour = (40, 150, 160)
    image = Image.new("RGB", (400, 300), colour)
    image.paste((50, 160, 170), (200, 0, 400, 300))  # nearly uniform: averages agree in any colour space
    photo = process_photo(encode(image, "JPEG", quality=95), max_pixels=MAX_PIXELS)

    assert blurhash.components(photo.blurhash) == (4, 3)
    decoded = blurhash.decode(photo.blurhash, 4, 3)
    assert len(decoded) == 3
    assert all(len(row) == 4 for row in decoded)
    pixels = [p for row in decoded for p in row]
    average = [sum(p[i] for p in pixels) / len(pixels) for i in range(3)]
    actual = ImageStat.Stat(rgb(rendition(photo, "320"))).mean
    assert close_to(average, (round(actual[0]), round(actual[1]), round(actual[2])), 20), (average, actual)


def test_blurhash_is_of_the_upright_photo(camera_photo):
    top, *_, bottom = blurhash.decode(camera_photo.blurhash, 4, 3)

    assert all(red > blue + 30 for red, _, blue in top), top
    assert all(blue > red + 30 for red, _, blue in bottom), bottom


def test_dominant_colour_of_a_mostly_red_photo_is_red(mostly_red_jpeg):
    photo = process_photo(mostly_red_jpeg, max_pixels=MAX_PIXELS)

    assert re.fullmatch(r"#[0-9a-f]{6}", photo.dominant_color), photo.dominant_color
    red, green, blue = (int(photo.dominant_color[i : i + 2], 16) for i in (1, 3, 5))
    assert red > 150, photo.dominant_color
    assert red - max(green, blue) > 100, photo.dominant_color


# Other inputs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", ["heic_photo", "avif_photo", "webp_photo", "gif_photo"])
def test_phone_and_web_formats_are_processed_with_their_colours(request, sample):
    photo = process_photo(request.getfixturevalue(sample), max_pixels=MAX_PIXELS)

    assert len(photo.renditions) == 2 * len(NAMES)
    assert (photo.width, photo.height) == (600, 400)
    for item in photo.renditions:
        image = rgb(item)
        assert image.size == (item.width, item.height)
        assert close_to(pixel(image, 0.1, 0.5), RED), (item.name, item.format)
        assert close_to(pixel(image, 0.9, 0.5), BLUE), (item.name, item.format)


def test_png_with_transparency_is_flattened(alpha_png):
    photo = process_photo(alpha_png, max_pixels=MAX_PIXELS)

    assert len(photo.renditions) == 2 * len(NAMES)
    assert (photo.width, photo.height) == (600, 400)
    for item in photo.renditions:
        image = decode(item)
        if item.format == "jpeg":
            assert image.mode == "RGB"
        # The transparent half became one solid colour; the opaque half is still blue.
        left = image.convert("RGB").crop((0, 0, image.width * 4 // 10, image.height))
        assert max(ImageStat.Stat(left).stddev) < 3, (item.name, item.format)
        assert close_to(pixel(image.convert("RGB"), 0.9, 0.5), BLUE)


def test_truncated_jpeg_is_refused_as_corrupt(truncated_jpeg):
    error = api_error(lambda: process_photo(truncated_jpeg, max_pixels=MAX_PIXELS))

    assert (error.status_code, error.code) == (400, "corrupt_media")


def test_unknown_filter_is_refused_naming_the_field(colourful_jpeg):
    error = api_error(lambda: process_photo(colourful_jpeg, max_pixels=MAX_PIXELS, filter_name="sepia-ish"))

    assert error.status_code == 400
    assert "filter" in error.fields


@pytest.mark.parametrize("sample", ["svg_bytes", "text_bytes"])
def test_process_photo_refuses_what_is_not_a_photo(request, sample):
    error = api_error(lambda: process_photo(request.getfixturevalue(sample), max_pixels=MAX_PIXELS))

    assert (error.status_code, error.code) == (415, "unsupported_media_type")


# Filters ---------------------------------------------------------------------------------------------

UP, DOWN = 1, -1
MEASURES: dict[str, Callable[[Image.Image], float]] = {
    "luminance": luminance,
    "contrast": contrast,
    "saturation": saturation,
    "warmth": warmth,
    "blacks": blacks,
}
EXPECTED_EFFECTS = {
    "clarendon": {"contrast": UP, "saturation": UP},
    "gingham": {"contrast": DOWN, "blacks": UP},
    "moon": {"contrast": UP},
    "lark": {"luminance": UP, "saturation": DOWN},
    "reyes": {"contrast": DOWN, "saturation": DOWN, "luminance": UP},
    "juno": {"warmth": UP, "saturation": UP},
    "slumber": {"luminance": DOWN, "saturation": DOWN},
    "crema": {"warmth": UP, "saturation": DOWN},
}
MARGIN = 2.0  # levels out of 255: well above what JPEG noise moves an average of ~77,000 pixels


@pytest.fixture(scope="module")
def normal_filtered(small_colourful_jpeg: bytes) -> Image.Image:
    return rgb(rendition(process_photo(small_colourful_jpeg, max_pixels=MAX_PIXELS), "320"))


def test_normal_filter_keeps_the_source_colours(small_colourful_jpeg, normal_filtered):
    source = colourful((480, 360)).resize(normal_filtered.size, Image.Resampling.LANCZOS)

    assert mean_difference(normal_filtered, source) < 5
    assert close_to(ImageStat.Stat(normal_filtered).mean, tuple(ImageStat.Stat(source).mean), 3)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", REAL_FILTERS)
def test_filter_changes_the_colours_the_way_its_name_promises(small_colourful_jpeg, normal_filtered, name):
    photo = process_photo(small_colourful_jpeg, max_pixels=MAX_PIXELS, filter_name=name)
    filtered = rgb(rendition(photo, "320"))

    assert filtered.size == normal_filtered.size
    assert mean_difference(filtered, normal_filtered) > 4, "looks the same as normal"
    for measure, direction in EXPECTED_EFFECTS[name].items():
        before = MEASURES[measure](normal_filtered)
        after = MEASURES[measure](filtered)
        assert (after - before) * direction > MARGIN, f"{measure}: normal {before:.1f}, {name} {after:.1f}"


def test_moon_is_black_and_white_in_every_rendition(small_colourful_jpeg):
    photo = process_photo(small_colourful_jpeg, max_pixels=MAX_PIXELS, filter_name="moon")

    for item in photo.renditions:
        red, green, blue = rgb(item).split()
        for a, b in ((red, green), (green, blue), (red, blue)):
            _, most = ImageChops.difference(a, b).getextrema()
            assert isinstance(most, int)
            assert most <= 2, (item.name, item.format, most)


# Turns -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def landscape_png() -> bytes:
    """A lossless 300x200 photo: left half red, right half blue."""
    return encode(left_red_right_blue((300, 200)), "PNG")


@pytest.mark.parametrize(
    ("rotation", "size", "first", "last"),
    [
        # Turned clockwise, the left (red) half goes to the top; 200x300 is clamped to 4:5.
        (90, (200, 250), ((0.5, 0.1), RED), ((0.5, 0.9), BLUE)),
        (180, (300, 200), ((0.1, 0.5), BLUE), ((0.9, 0.5), RED)),
        (270, (200, 250), ((0.5, 0.1), BLUE), ((0.5, 0.9), RED)),
    ],
)
def test_a_turn_is_clockwise_and_a_quarter_turn_makes_a_landscape_photo_portrait(
    landscape_png, rotation, size, first, last
):
    photo = process_photo(landscape_png, max_pixels=MAX_PIXELS, rotation=rotation)

    assert (photo.width, photo.height) == size
    for item in photo.renditions:
        image = rgb(item)
        assert (image.width, image.height) == (item.width, item.height)
        for (fx, fy), colour in (first, last):
            assert close_to(pixel(image, fx, fy), colour), (item.name, rotation, fx, fy)


@pytest.mark.parametrize(
    ("rotation", "crop", "size", "colour"),
    [
        (90, CropBox(0.0, 0.0, 1.0, 0.5), (200, 150), RED),  # the top half of the portrait photo
        (90, CropBox(0.0, 0.5, 1.0, 0.5), (200, 150), BLUE),
        (270, CropBox(0.0, 0.0, 1.0, 0.5), (200, 150), BLUE),
        (180, CropBox(0.0, 0.0, 0.5, 1.0), (150, 188), BLUE),  # 150x200 clamped to 4:5
        (90, CropBox(0.25, 0.0, 0.5, 0.4), (100, 120), RED),
    ],
)
def test_the_crop_is_in_fractions_of_the_turned_photo(landscape_png, rotation, crop, size, colour):
    photo = process_photo(landscape_png, max_pixels=MAX_PIXELS, rotation=rotation, crop=crop)

    assert (photo.width, photo.height) == size
    for item in photo.renditions:
        assert_uniformly(rgb(item), colour)


def test_a_turn_applies_to_the_upright_photo_after_its_exif_orientation(camera_jpeg):
    # Upright, the sideways camera photo is 900x1200 with red on top; turned clockwise, red is on the right.
    photo = process_photo(camera_jpeg, max_pixels=MAX_PIXELS, rotation=90)

    assert (photo.width, photo.height) == (1080, 810)
    image = rgb(rendition(photo, "1080"))
    assert close_to(pixel(image, 0.1, 0.5), BLUE)
    assert close_to(pixel(image, 0.9, 0.5), RED)


@pytest.mark.parametrize("rotation", [45, -90, 360, 1])
def test_a_turn_other_than_a_quarter_is_refused_naming_the_field(landscape_png, rotation):
    error = api_error(lambda: process_photo(landscape_png, max_pixels=MAX_PIXELS, rotation=rotation))

    assert error.status_code == 400
    assert "rotate" in error.fields


# Adjustments -----------------------------------------------------------------------------------------

ADJUSTMENT_EFFECTS = [
    ({"brightness": 60}, "luminance", UP),
    ({"brightness": -60}, "luminance", DOWN),
    ({"contrast": 80}, "contrast", UP),
    ({"contrast": -80}, "contrast", DOWN),
    ({"saturation": 80}, "saturation", UP),
    ({"saturation": -60}, "saturation", DOWN),
    ({"warmth": 60}, "warmth", UP),
    ({"warmth": -60}, "warmth", DOWN),
    ({"fade": 80}, "blacks", UP),
]


@pytest.mark.parametrize(
    ("values", "measure", "direction"),
    ADJUSTMENT_EFFECTS,
    ids=[f"{next(iter(v))}={next(iter(v.values()))}" for v, _, _ in ADJUSTMENT_EFFECTS],
)
def test_each_adjustment_moves_the_colours_its_way(
    small_colourful_jpeg, normal_filtered, values, measure, direction
):
    photo = process_photo(small_colourful_jpeg, max_pixels=MAX_PIXELS, adjustments=Adjustments(**values))
    adjusted = rgb(rendition(photo, "320"))

    assert adjusted.size == normal_filtered.size
    before, after = MEASURES[measure](normal_filtered), MEASURES[measure](adjusted)
    assert (after - before) * direction > MARGIN, f"{measure}: normal {before:.1f}, {values} {after:.1f}"


def test_saturation_minus_100_is_grey_in_every_rendition(small_colourful_jpeg):
    photo = process_photo(
        small_colourful_jpeg, max_pixels=MAX_PIXELS, adjustments=Adjustments(saturation=-100)
    )

    for item in photo.renditions:
        red, green, blue = rgb(item).split()
        for a, b in ((red, green), (green, blue), (red, blue)):
            _, most = ImageChops.difference(a, b).getextrema()
            assert isinstance(most, int)
            assert most <= 2, (item.name, item.format, most)


def test_a_vignette_darkens_the_corners_more_than_the_centre():
    grey = encode(Image.new("RGB", (400, 300), (180, 180, 180)), "PNG")

    plain = rgb(rendition(process_photo(grey, max_pixels=MAX_PIXELS), "320"))
    photo = process_photo(grey, max_pixels=MAX_PIXELS, adjustments=Adjustments(vignette=100))
    vignetted = rgb(rendition(photo, "320"))

    assert close_to(pixel(plain, 0.01, 0.01), (180, 180, 180), 3)
    assert close_to(pixel(vignetted, 0.5, 0.5), (180, 180, 180), 3)  # r = 0: untouched
    for corner in ((0.01, 0.01), (0.99, 0.01), (0.01, 0.99), (0.99, 0.99)):
        # r ~ 1 in a corner: darkened by ~60 %.
        assert close_to(pixel(vignetted, *corner), (76, 76, 76), 10), (corner, pixel(vignetted, *corner))
    # An ellipse of the photo's shape (as the composer's preview draws it): r² = 1/2 in the middle
    # of every edge.
    for edge in ((0.5, 0.01), (0.01, 0.5)):
        assert pixel(vignetted, *edge)[0] == pytest.approx(180 * (1 - 0.6 / 2), abs=5), edge


def test_adjustments_come_after_the_named_filter(small_colourful_jpeg):
    juno = rgb(
        rendition(process_photo(small_colourful_jpeg, max_pixels=MAX_PIXELS, filter_name="juno"), "320")
    )
    photo = process_photo(
        small_colourful_jpeg,
        max_pixels=MAX_PIXELS,
        filter_name="juno",
        adjustments=Adjustments(brightness=50),
    )
    brighter_juno = rgb(rendition(photo, "320"))

    assert luminance(brighter_juno) - luminance(juno) > 10
    assert warmth(brighter_juno) - warmth(juno) > -MARGIN  # still juno's warmth


def test_no_turn_and_zero_adjustments_change_no_byte(small_colourful_jpeg):
    plain = process_photo(small_colourful_jpeg, max_pixels=MAX_PIXELS, filter_name="crema")

    for adjustments in (None, Adjustments(), Adjustments(brightness=0, vignette=0)):
        same = process_photo(
            small_colourful_jpeg,
            max_pixels=MAX_PIXELS,
            filter_name="crema",
            rotation=0,
            adjustments=adjustments,
        )
        assert same == plain


@pytest.mark.parametrize(
    "values",
    [
        {"brightness": 101},
        {"contrast": -101},
        {"fade": -1},
        {"vignette": 101},
        {"warmth": 1.5},
        {"sharpness": 5},
    ],
)
def test_adjustments_out_of_range_or_unknown_are_refused_naming_the_field(values):
    error = api_error(lambda: Adjustments.of(values))

    assert error.status_code == 400
    assert "adjust" in error.fields


# CMYK ------------------------------------------------------------------------------------------------


SRGB = ImageCms.createProfile("sRGB")
CMYK_COLOURS = ((200, 80, 40), (40, 120, 190), (90, 160, 60), (230, 220, 90))


def cmyk_jpeg(*, with_profile: bool) -> tuple[bytes, bytes]:
    """A 1600x1200 CMYK JPEG (as a print workflow or a scanner writes, inverted with the Adobe marker)
    of four coloured quarters, converted from sRGB through libvips's CMYK press profile; with that
    profile embedded, or without any. Also returns the profile."""
    quarters = Image.new("RGB", (1600, 1200))
    for index, colour in enumerate(CMYK_COLOURS):
        quarters.paste(
            colour, ((index % 2) * 800, (index // 2) * 600, (index % 2 + 1) * 800, (index // 2 + 1) * 600)
        )
    image = pyvips.Image.new_from_buffer(encode(quarters, "PNG"), "")
    cmyk = image.icc_transform("cmyk", input_profile="srgb", intent="perceptual")
    profile = bytes(cmyk.get("icc-profile-data"))
    return bytes(cmyk.jpegsave_buffer(Q=95, keep="icc" if with_profile else "none")), profile


def quarter_means(image: Image.Image) -> list[tuple[float, ...]]:
    """The mean colour of the middle of each quarter, in the order of CMYK_COLOURS."""
    width, height = image.size
    means = []
    for index in range(4):
        left, top = (index % 2) * width // 2, (index // 2) * height // 2
        box = (left + width // 8, top + height // 8, left + width * 3 // 8, top + height * 3 // 8)
        means.append(tuple(ImageStat.Stat(image.convert("RGB").crop(box)).mean))
    return means


def expected_srgb(data: bytes, profile: bytes) -> list[tuple[float, ...]]:
    """What a colour-managed viewer shows: the CMYK pixels through the profile into sRGB (LittleCMS)."""
    source = Image.open(io.BytesIO(data))
    assert source.mode == "CMYK"
    converted = ImageCms.profileToProfile(
        source, ImageCms.ImageCmsProfile(io.BytesIO(profile)), SRGB,
        renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="RGB",
    )  # fmt: skip
    assert converted is not None
    return quarter_means(converted)


@pytest.mark.parametrize("with_profile", [True, False], ids=["embedded-profile", "no-profile"])
def test_cmyk_photos_keep_their_colours_in_srgb(with_profile):
    data, profile = cmyk_jpeg(with_profile=with_profile)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    assert bool(Image.open(io.BytesIO(data)).info.get("icc_profile")) == with_profile
    expected = expected_srgb(data, profile)

    photo = process_photo(data, max_pixels=MAX_PIXELS)

    for name in ("1080", "320"):
        for image_format in FORMATS:
            found = quarter_means(decode(rendition(photo, name, image_format)))
            for wanted, got, original in zip(expected, found, CMYK_COLOURS, strict=True):
                assert max(abs(w - g) for w, g in zip(wanted, got, strict=True)) < 6, (name, wanted, got)
                # And close to the sRGB colour it was made from (a round trip through ink).
                assert max(abs(o - g) for o, g in zip(original, got, strict=True)) < 40, (original, got)
    avatar = Image.open(io.BytesIO(make_avatar(data, MAX_PIXELS))).convert("RGB")
    assert avatar.mode == "RGB"
    # The avatar's centre square spans all four quarters; its middle rows hold the top two.
    top_left = ImageStat.Stat(avatar.crop((40, 40, 120, 120))).mean
    assert max(abs(w - g) for w, g in zip(expected[0], top_left, strict=True)) < 8
