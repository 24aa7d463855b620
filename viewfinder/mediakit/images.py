"""Avatars: the photo pipeline's checks and decoding, made into one small square."""

from __future__ import annotations

import pyvips

from viewfinder.core.errors import ApiError
from viewfinder.mediakit.photos import load_upright, sniff, to_srgb

AVATAR_SIZE = 320


def make_avatar(data: bytes, max_pixels: int) -> bytes:
    """A square, upright, sRGB, metadata-free progressive JPEG avatar from any accepted photo."""
    sniffed = sniff(data, max_pixels=max_pixels)
    try:
        image = to_srgb(load_upright(data, sniffed))
        square = image.thumbnail_image(AVATAR_SIZE, height=AVATAR_SIZE, crop="centre", size="force")
        return bytes(square.jpegsave_buffer(Q=85, interlace=True, keep="none"))
    except pyvips.Error as exc:
        raise ApiError(400, "corrupt_media", "The image could not be read.", {"file": "corrupt"}) from exc
