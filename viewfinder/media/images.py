"""Image checks and renditions with libvips: sniff by content, shrink on load, strip metadata."""

from __future__ import annotations

import pyvips

from viewfinder.core.errors import ApiError

# Loaders we accept, named by what libvips found in the bytes (never the file name or the
# client's Content-Type). SVG, PDF, TIFF and the rest are refused: they are not photos and
# some can reach outside the file.
PHOTO_LOADERS = {
    "jpegload_buffer": "jpeg",
    "pngload_buffer": "png",
    "webpload_buffer": "webp",
    "heifload_buffer": "heif",
    "gifload_buffer": "gif",
}
AVATAR_SIZE = 320


def sniff_image(data: bytes, max_pixels: int) -> tuple[str, int, int]:
    """The format, width and height of an image, read from its header alone.

    Raises a 4xx ApiError for anything that is not an accepted photo format or is too big.
    """
    if not data:
        raise ApiError(400, "corrupt_media", "The file is empty.", {"file": "empty"})
    try:
        header = pyvips.Image.new_from_buffer(data, "", access="sequential")
        loader = str(header.get("vips-loader"))
    except pyvips.Error as exc:
        raise ApiError(
            415, "unsupported_media_type", "This file is not a supported image.", {"file": "unsupported"}
        ) from exc
    image_format = PHOTO_LOADERS.get(loader)
    if image_format is None:
        raise ApiError(
            415, "unsupported_media_type", "This file is not a supported image.", {"file": "unsupported"}
        )
    if header.width * header.height > max_pixels:
        raise ApiError(
            400,
            "too_many_pixels",
            f"The image has more than {max_pixels} pixels.",
            {"file": "too_many_pixels"},
        )
    return image_format, header.width, header.height


def make_avatar(data: bytes, max_pixels: int) -> bytes:
    """A square, upright, sRGB, metadata-free progressive JPEG avatar."""
    sniff_image(data, max_pixels)
    try:
        # thumbnail_buffer shrinks on load, applies EXIF orientation and crops to the square.
        # fail_on=truncated: libvips otherwise pads a cut-off file with grey and carries on.
        image = pyvips.Image.thumbnail_buffer(
            data,
            AVATAR_SIZE,
            height=AVATAR_SIZE,
            crop="centre",
            output_profile="srgb",
            option_string="fail_on=truncated",
        )
        if image.hasalpha():
            image = image.flatten(background=[255, 255, 255])
        if image.bands > 3:
            image = image.extract_band(0, n=3)
        return bytes(image.jpegsave_buffer(Q=85, interlace=True, keep="none"))
    except pyvips.Error as exc:
        raise ApiError(400, "corrupt_media", "The image could not be read.", {"file": "corrupt"}) from exc
