"""Sample images for the media tests, made during the run with Pillow, pillow_heif and pyvips.

Every sample is built from code (no binary fixtures), once per test session, and returned as bytes.
"""

from __future__ import annotations

import io
from typing import Any

import pillow_heif
import pytest
import pyvips
from PIL import ExifTags, Image, ImageCms

RED = (255, 0, 0)
GREEN = (0, 160, 0)
BLUE = (0, 0, 255)

XMP_PACKET = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Snapper 3000"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def encode(image: Image.Image, image_format: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def srgb_icc_profile() -> bytes:
    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def camera_exif(orientation: int = 1) -> Image.Exif:
    """EXIF a phone would write: orientation, camera make and model, and where the photo was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Snapper 3000"
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 30.0, 26.0),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
    }
    return exif


def left_red_right_blue(size: tuple[int, int] = (1200, 900)) -> Image.Image:
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def stripes(size: tuple[int, int], colours: tuple[tuple[int, int, int], ...], *, across: bool) -> Image.Image:
    """Equal stripes of the given colours, left to right when `across`, else top to bottom."""
    image = Image.new("RGB", size)
    count = len(colours)
    for i, colour in enumerate(colours):
        if across:
            box = (size[0] * i // count, 0, size[0] * (i + 1) // count, size[1])
        else:
            box = (0, size[1] * i // count, size[0], size[1] * (i + 1) // count)
        image.paste(colour, box)
    return image


def colourful(size: tuple[int, int] = (1200, 900)) -> Image.Image:
    """Every hue across, dark (near black) at the top to bright at the bottom, moderately saturated.

    Leaves room for a filter to move brightness, contrast, saturation and warmth either way.
    """
    hue = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(size)
    value = Image.linear_gradient("L").resize(size).point(lambda v: 16 + v * 235 // 255)
    saturation = Image.new("L", size, 150)
    return Image.merge("HSV", (hue, saturation, value)).convert("RGB")


@pytest.fixture(scope="session")
def camera_jpeg() -> bytes:
    """A 1200x900 JPEG stored sideways (EXIF orientation 6), left half red and right half blue, with GPS,
    camera details, XMP and an ICC profile: upright it is 900x1200 with red on top."""
    return encode(
        left_red_right_blue((1200, 900)),
        "JPEG",
        quality=95,
        subsampling=0,
        exif=camera_exif(orientation=6),
        xmp=XMP_PACKET,
        icc_profile=srgb_icc_profile(),
    )


@pytest.fixture(scope="session")
def colourful_jpeg() -> bytes:
    """A 1200x900 (4:3) JPEG full of colours, with GPS in its EXIF (orientation 1)."""
    return encode(colourful((1200, 900)), "JPEG", quality=92, exif=camera_exif(orientation=1))


@pytest.fixture(scope="session")
def small_colourful_jpeg() -> bytes:
    """A 480x360 version of the colourful photo, for the filter checks."""
    return encode(colourful((480, 360)), "JPEG", quality=95, subsampling=0)


@pytest.fixture(scope="session")
def split_png() -> bytes:
    """A lossless 1200x900 left-red/right-blue PNG, so crops show exactly which part was kept."""
    return encode(left_red_right_blue((1200, 900)), "PNG")


@pytest.fixture(scope="session")
def mostly_red_jpeg() -> bytes:
    """600x600: red, with a blue strip along the right fifth."""
    image = Image.new("RGB", (600, 600), RED)
    image.paste(BLUE, (480, 0, 600, 600))
    return encode(image, "JPEG", quality=92)


@pytest.fixture(scope="session")
def tall_jpeg() -> bytes:
    """1000x3000 (1:3): red, green and blue thirds from top to bottom."""
    return encode(stripes((1000, 3000), (RED, GREEN, BLUE), across=False), "JPEG", quality=90)


@pytest.fixture(scope="session")
def wide_jpeg() -> bytes:
    """3000x1000 (3:1): red, green and blue thirds from left to right."""
    return encode(stripes((3000, 1000), (RED, GREEN, BLUE), across=True), "JPEG", quality=90)


@pytest.fixture(scope="session")
def small_jpeg() -> bytes:
    """500x400, smaller than every rendition width but the smallest."""
    return encode(colourful((500, 400)), "JPEG", quality=90)


@pytest.fixture(scope="session")
def alpha_png() -> bytes:
    """600x400 RGBA PNG: left half fully transparent, right half opaque blue."""
    image = Image.new("RGBA", (600, 400), (0, 0, 0, 0))
    image.paste((*BLUE, 255), (300, 0, 600, 400))
    return encode(image, "PNG")


@pytest.fixture(scope="session")
def webp_photo() -> bytes:
    """600x400 lossy WebP, left red and right blue, carrying EXIF (with GPS), XMP and an ICC profile."""
    return encode(
        left_red_right_blue((600, 400)),
        "WEBP",
        quality=90,
        exif=camera_exif(),
        xmp=XMP_PACKET,
        icc_profile=srgb_icc_profile(),
    )


@pytest.fixture(scope="session")
def heic_photo() -> bytes:
    """600x400 HEIC (HEVC), left red and right blue, as an iPhone would send."""
    pillow_heif.register_heif_opener()
    return encode(left_red_right_blue((600, 400)), "HEIF", quality=90, exif=camera_exif())


@pytest.fixture(scope="session")
def avif_photo() -> bytes:
    """600x400 AVIF (AV1), left red and right blue, encoded by libvips."""
    image = pyvips.Image.new_from_buffer(encode(left_red_right_blue((600, 400)), "PNG"), "")
    return bytes(image.heifsave_buffer(compression="av1", Q=80, effort=0))


@pytest.fixture(scope="session")
def gif_photo() -> bytes:
    """600x400 still GIF, left red and right blue."""
    return encode(left_red_right_blue((600, 400)), "GIF")


@pytest.fixture(scope="session")
def animated_gif() -> bytes:
    """A 3-frame 200x100 GIF."""
    frames = [Image.new("RGB", (200, 100), colour) for colour in (RED, GREEN, BLUE)]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


@pytest.fixture(scope="session")
def tiff_photo() -> bytes:
    return encode(left_red_right_blue((200, 100)), "TIFF")


@pytest.fixture(scope="session")
def truncated_jpeg() -> bytes:
    """The first 60% of a 1200x900 JPEG: a valid header, then the picture data stops."""
    whole = encode(colourful((1200, 900)), "JPEG", quality=90)
    return whole[: len(whole) * 6 // 10]


@pytest.fixture(scope="session")
def svg_bytes() -> bytes:
    return (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="400" height="300">'
        b'<rect width="400" height="300" fill="red"/></svg>'
    )


@pytest.fixture(scope="session")
def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    )


@pytest.fixture(scope="session")
def text_bytes() -> bytes:
    return b"Hello! This is a holiday photo, honest.\n" * 20


@pytest.fixture(scope="session")
def png_bomb() -> bytes:
    """A small (~50 KB) valid one-bit PNG that decodes to 20000x20000 pixels (400 million)."""
    return bytes(pyvips.Image.black(20000, 20000, bands=1).pngsave_buffer(bitdepth=1, compression=9))
