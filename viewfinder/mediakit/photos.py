"""The photo pipeline: sniff by content, decode no more than needed, make safe renditions.

Every output is upright (EXIF orientation applied to the pixels), sRGB (through the embedded ICC
profile, or a CMYK press profile for CMYK without one), free of all metadata (EXIF, GPS, XMP, IPTC,
ICC), turned by the chosen quarter turns, within Instagram's aspect range (a video's poster keeps the
video's own), and baked with the chosen filter and adjustments.

Every function takes the photo as bytes or as the path of a file holding them: the web process and
the worker decode uploads from disk, so a large one is never held whole in memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import blurhash
import pillow_heif
import pyvips

from viewfinder.core.errors import ApiError, invalid

RENDITION_WIDTHS = (1080, 750, 640, 320)
"""Still widths, widest first. 750 is what a phone's full-width post needs (~410 CSS px at 1.75x to
2x): without it such a phone took the 1080, three times the bytes (issue 17)."""
THUMBNAIL_SIZE = 150
MIN_ASPECT = 4 / 5  # portrait limit
MAX_ASPECT = 1.91  # landscape limit
JPEG_QUALITY = 82
WEBP_QUALITY = 80

# Loaders accepted (without their _buffer or _source suffix), by what libvips finds in the bytes
# (never the name or the client's type).
LOADER_FORMATS = {
    "jpegload": "jpeg",
    "pngload": "png",
    "webpload": "webp",
    "heifload": "heif",
    "gifload": "gif",
}
# JPEG can decode at 1/2, 1/4 or 1/8 size directly, which is most of the speed of a big photo.
JPEG_SHRINK_FACTORS = (8, 4, 2)
# libvips's own CMYK press profile, for CMYK photos that carry none.
FALLBACK_CMYK_PROFILE = "cmyk"

PhotoSource = bytes | Path
"""A photo's bytes, or the path of a local file holding them."""


@dataclass(frozen=True)
class SniffedImage:
    format: str
    width: int
    height: int
    pages: int


ROTATIONS = (0, 90, 180, 270)
"""The turns a photo may be given, in degrees clockwise."""


@dataclass(frozen=True)
class CropBox:
    """A crop rectangle in fractions (0 to 1) of the upright image (turned, when it is turned)."""

    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class Rendition:
    name: str  # "1080", "750", "640", "320" or "thumb"
    format: str  # "jpeg" or "webp"
    width: int
    height: int
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ProcessedPhoto:
    width: int
    height: int
    blurhash: str
    dominant_color: str
    renditions: list[Rendition]


@dataclass(frozen=True)
class Filter:
    """A colour transform on sRGB values, applied in this order; neutral values change nothing."""

    saturation: float = 1.0  # 0 is monochrome
    contrast: float = 1.0  # around mid-grey
    brightness: float = 0.0  # added to every channel
    warmth: float = 0.0  # added to red, taken from blue
    fade: float = 0.0  # share of white mixed in: lifts the blacks


FILTERS: dict[str, Filter] = {
    "normal": Filter(),
    "clarendon": Filter(saturation=1.35, contrast=1.2),
    "gingham": Filter(saturation=0.9, contrast=0.85, fade=0.12),
    "moon": Filter(saturation=0.0, contrast=1.15),
    "lark": Filter(saturation=0.85, brightness=18),
    "reyes": Filter(saturation=0.7, contrast=0.8, brightness=14, fade=0.08),
    "juno": Filter(saturation=1.2, warmth=14),
    "slumber": Filter(saturation=0.55, brightness=-16, warmth=4),
    "crema": Filter(saturation=0.8, warmth=16, fade=0.05),
}


ADJUSTMENT_RANGES: dict[str, tuple[int, int]] = {
    "brightness": (-100, 100),
    "contrast": (-100, 100),
    "saturation": (-100, 100),
    "warmth": (-100, 100),
    "fade": (0, 100),
    "vignette": (0, 100),
}
"""The composer's adjustments and the integers each takes; 0 changes nothing."""
VIGNETTE_STRENGTH = 0.6  # how much a full vignette (100) darkens the corners


@dataclass(frozen=True)
class Adjustments:
    """The composer's adjustments, baked in after the named filter; all 0 changes nothing."""

    brightness: int = 0
    contrast: int = 0
    saturation: int = 0
    warmth: int = 0
    fade: int = 0
    vignette: int = 0

    def __post_init__(self) -> None:
        for name, (lowest, highest) in ADJUSTMENT_RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
                raise invalid("adjust", f"{name} must be a whole number from {lowest} to {highest}.")

    @classmethod
    def of(cls, values: dict[str, int] | None) -> Adjustments:
        """From the stored mapping (the non-zero values by name; None for none)."""
        unknown = set(values or {}) - set(ADJUSTMENT_RANGES)
        if unknown:
            raise invalid("adjust", f"Adjust only {', '.join(ADJUSTMENT_RANGES)}.")
        return cls(**(values or {}))

    def non_zero(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in ADJUSTMENT_RANGES if getattr(self, name)}

    def as_filter(self) -> Filter:
        """The colour part (all but the vignette) as a Filter, on the same 0-255 scale."""
        return Filter(
            saturation=1 + self.saturation / 100,
            contrast=1 + self.contrast / 200,
            brightness=self.brightness * 0.4,
            warmth=self.warmth * 0.3,
            fade=self.fade / 100 * 0.3,
        )


def _unsupported() -> ApiError:
    return ApiError(
        415, "unsupported_media_type", "This file is not a supported photo.", {"file": "unsupported"}
    )


def _corrupt() -> ApiError:
    return ApiError(400, "corrupt_media", "The photo could not be read.", {"file": "corrupt"})


def looks_like_a_photo(head: bytes) -> bool:
    """Whether the first bytes are the signature of a format we accept (so a failure is damage)."""
    return (
        head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a"))
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        or (head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis"))
    )


def _head(source: PhotoSource, size: int = 16) -> bytes:
    if isinstance(source, bytes):
        return source[:size]
    with source.open("rb") as handle:
        return handle.read(size)


def _load(source: PhotoSource, **options: object) -> pyvips.Image:
    """A lazily decoded image. Only a photo's own signature lets a file reach libvips's loaders
    (they pick one by content): nothing else (SVG, PDF, a text file) is ever parsed."""
    if not looks_like_a_photo(_head(source)):
        raise _unsupported()
    if isinstance(source, bytes):
        return pyvips.Image.new_from_buffer(source, "", **options)
    return pyvips.Image.new_from_file(str(source), **options)


def sniff(source: PhotoSource, *, max_pixels: int) -> SniffedImage:
    """The photo's format and size from its header alone; refuses anything else with a 4xx."""
    if not _head(source, 1):
        raise ApiError(400, "corrupt_media", "The file is empty.", {"file": "empty"})
    try:
        header = _load(source, access="sequential")
        loader = str(header.get("vips-loader")).removesuffix("_buffer").removesuffix("_source")
    except pyvips.Error as exc:
        raise _corrupt() from exc
    image_format = LOADER_FORMATS.get(loader)
    if image_format is None:
        raise _unsupported()
    if image_format == "heif":
        compression = header.get("heif-compression") if header.get_typeof("heif-compression") else ""
        image_format = "avif" if compression == "av1" else "heic"
    pages = int(header.get("n-pages")) if header.get_typeof("n-pages") else 1
    if header.width * header.height > max_pixels:
        raise ApiError(
            400,
            "too_many_pixels",
            f"The photo has more than {max_pixels} pixels.",
            {"file": "too_many_pixels"},
        )
    return SniffedImage(image_format, header.width, header.height, pages)


def load_upright(source: PhotoSource, sniffed: SniffedImage) -> pyvips.Image:
    """Decode upright, shrinking on load where the format allows it."""
    if sniffed.format == "heic":
        # libvips here has no HEVC decoder; libheif (pillow-heif) applies the HEIF transforms itself.
        try:
            heif = pillow_heif.open_heif(
                source if isinstance(source, bytes) else str(source), convert_hdr_to_8bit=True
            )
            picture = heif.to_pillow().convert("RGB")
        except (ValueError, RuntimeError) as exc:
            raise _corrupt() from exc
        return pyvips.Image.new_from_memory(picture.tobytes(), picture.width, picture.height, 3, "uchar")
    options: dict[str, object] = {"fail_on": "truncated"}
    if sniffed.format == "jpeg":
        short_side = min(sniffed.width, sniffed.height)
        for factor in JPEG_SHRINK_FACTORS:
            if short_side // factor >= RENDITION_WIDTHS[0]:
                options["shrink"] = factor
                break
    return _load(source, **options).autorot()


def _crop_to_aspect(
    image: pyvips.Image, crop: CropBox | None, *, clamp: bool = True, turned: bool = False
) -> pyvips.Image:
    """The crop box, then the middle of it within the aspect limits (unless not `clamp`).

    `turned`: the picture is turned a quarter afterwards, so the limits apply to its height over its
    width (the crop is already in this picture's own fractions: see `_unturned_crop`)."""
    left, top, width, height = 0, 0, image.width, image.height
    if crop is not None:
        left = round(min(max(crop.left, 0.0), 1.0) * image.width)
        top = round(min(max(crop.top, 0.0), 1.0) * image.height)
        width = max(1, min(round(crop.width * image.width), image.width - left))
        height = max(1, min(round(crop.height * image.height), image.height - top))
    if clamp:
        if turned:
            top, left, height, width = _within_aspect(top, left, height, width)
        else:
            left, top, width, height = _within_aspect(left, top, width, height)
    if (left, top, width, height) == (0, 0, image.width, image.height):
        return image
    return image.crop(left, top, width, height)


def _within_aspect(left: int, top: int, width: int, height: int) -> tuple[int, int, int, int]:
    """The middle of a box, as wide or as tall as the aspect limits allow."""
    if width / height > MAX_ASPECT:
        new_width = max(1, round(height * MAX_ASPECT))
        left += (width - new_width) // 2
        width = new_width
    elif width / height < MIN_ASPECT:
        new_height = max(1, round(width / MIN_ASPECT))
        top += (height - new_height) // 2
        height = new_height
    return left, top, width, height


def _unturned_crop(crop: CropBox, rotation: int) -> CropBox:
    """A crop given in fractions of the photo turned `rotation` degrees clockwise, in fractions of
    the upright photo: the pipeline crops and shrinks before it turns, so it turns few pixels."""
    if rotation == 90:
        return CropBox(crop.top, 1 - crop.left - crop.width, crop.height, crop.width)
    if rotation == 180:
        return CropBox(1 - crop.left - crop.width, 1 - crop.top - crop.height, crop.width, crop.height)
    if rotation == 270:
        return CropBox(1 - crop.top - crop.height, crop.left, crop.height, crop.width)
    return crop


def to_srgb(image: pyvips.Image) -> pyvips.Image:
    """Three-band 8-bit sRGB, alpha flattened onto white.

    Colours go through the embedded ICC profile. CMYK (print files, often from a scanner or a
    layout program) is never taken channel by channel: without a profile of its own, or with one
    that cannot be used, it goes through a CMYK press profile."""
    cmyk = image.interpretation == "cmyk"
    if image.get_typeof("icc-profile-data"):
        # A broken or mismatched embedded profile falls back to the input profile given here.
        fallback = FALLBACK_CMYK_PROFILE if cmyk else "srgb"
        image = image.icc_transform("srgb", embedded=True, intent="perceptual", input_profile=fallback)
    elif cmyk:
        image = image.icc_transform("srgb", input_profile=FALLBACK_CMYK_PROFILE, intent="perceptual")
    elif image.interpretation not in ("srgb", "b-w"):
        image = image.colourspace("srgb")
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    if image.bands == 1:
        image = image.bandjoin([image, image])
    elif image.bands > 3:
        image = image.extract_band(0, n=3)
    if image.format != "uchar":
        image = image.cast("uchar")
    return image.copy(interpretation="srgb")


def _clamp_cast(pixels: pyvips.Image) -> pyvips.Image:
    return (pixels > 255).ifthenelse(255, (pixels < 0).ifthenelse(0, pixels)).cast("uchar")


def _encode(name: str, image: pyvips.Image) -> list[Rendition]:
    jpeg = image.jpegsave_buffer(Q=JPEG_QUALITY, interlace=True, optimize_coding=True, keep="none")
    webp = image.webpsave_buffer(Q=WEBP_QUALITY, keep="none")
    return [
        Rendition(name, "jpeg", image.width, image.height, "image/jpeg", bytes(jpeg)),
        Rendition(name, "webp", image.width, image.height, "image/webp", bytes(webp)),
    ]


def _pixels(image: pyvips.Image) -> list[list[list[int]]]:
    raw = image.write_to_memory()
    width = image.width
    return [
        [list(raw[(y * width + x) * 3 : (y * width + x) * 3 + 3]) for x in range(width)]
        for y in range(image.height)
    ]


def _dominant_color(rows: list[list[list[int]]]) -> str:
    """The average of the most common colour bucket (4 bits a channel) of a small copy."""
    buckets: Counter[tuple[int, int, int]] = Counter()
    members: dict[tuple[int, int, int], list[list[int]]] = {}
    for row in rows:
        for pixel in row:
            key = (pixel[0] >> 4, pixel[1] >> 4, pixel[2] >> 4)
            buckets[key] += 1
            members.setdefault(key, []).append(pixel)
    chosen = members[buckets.most_common(1)[0][0]]
    red, green, blue = (round(sum(p[i] for p in chosen) / len(chosen)) for i in range(3))
    return f"#{red:02x}{green:02x}{blue:02x}"


def process_photo(
    source: PhotoSource,
    *,
    max_pixels: int,
    filter_name: str = "normal",
    crop: CropBox | None = None,
    rotation: int = 0,
    adjustments: Adjustments | None = None,
    keep_aspect: bool = False,
) -> ProcessedPhoto:
    """Every rendition of an uploaded photo, with its blurhash and dominant colour.

    The upright photo is turned `rotation` degrees clockwise, then cropped (`crop` is in fractions
    of the turned photo), then given the named filter and then the adjustments.
    keep_aspect leaves the picture's own shape alone (a video's poster must match its video) instead
    of cropping it into the 4:5 to 1.91:1 range photos are shown in."""
    spec = FILTERS.get(filter_name)
    if spec is None:
        raise invalid("filter", f"Unknown filter; choose one of {', '.join(FILTERS)}.")
    if rotation not in ROTATIONS:
        raise invalid("rotate", "Turn the photo by 0, 90, 180 or 270 degrees clockwise.")
    adjusted = adjustments if adjustments is not None and adjustments != Adjustments() else None
    turned = rotation in (90, 270)
    sniffed = sniff(source, max_pixels=max_pixels)
    try:
        upright = load_upright(source, sniffed)
        box = _unturned_crop(crop, rotation) if crop is not None else None
        image = to_srgb(_crop_to_aspect(upright, box, clamp=not keep_aspect, turned=turned))
        width_after_turn = image.height if turned else image.width
        image = image.resize(min(1.0, RENDITION_WIDTHS[0] / width_after_turn), kernel="lanczos3")
        if rotation:
            image = image.rot(f"d{rotation}")
        if spec != FILTERS["normal"] or adjusted is not None:
            image = _clamp_cast(_adjusted(image, spec, adjusted))
        # Keep the decoded, filtered base in memory: every rendition is made from it.
        base = image.copy_memory()
        renditions: list[Rendition] = []
        for width in RENDITION_WIDTHS:
            scaled = base if width >= base.width else base.resize(width / base.width, kernel="lanczos3")
            renditions += _encode(str(width), scaled)
        thumb = base.thumbnail_image(THUMBNAIL_SIZE, height=THUMBNAIL_SIZE, crop="centre")
        renditions += _encode("thumb", thumb)
        small = base.thumbnail_image(32, height=32, size="down")
    except pyvips.Error as exc:
        raise _corrupt() from exc
    rows = _pixels(small)
    return ProcessedPhoto(
        width=base.width,
        height=base.height,
        blurhash=blurhash.encode(rows, components_x=4, components_y=3),
        dominant_color=_dominant_color(rows),
        renditions=renditions,
    )


def _adjusted(image: pyvips.Image, spec: Filter, adjustments: Adjustments | None) -> pyvips.Image:
    """The named filter, then the adjustments, on floats (clamped once, by the caller)."""
    pixels = _filtered(image, spec) if spec != FILTERS["normal"] else image
    if adjustments is None:
        return pixels
    pixels = _filtered(pixels, adjustments.as_filter())
    if adjustments.vignette:
        pixels = _vignetted(pixels, adjustments.vignette / 100 * VIGNETTE_STRENGTH)
    return pixels


def _vignetted(pixels: pyvips.Image, strength: float) -> pyvips.Image:
    """Darkened by 1 - strength * r², r 0 in the centre and 1 on the ellipse of the picture's shape
    through its corners (CSS's farthest-corner ellipse, which the composer previews with)."""
    width, height = pixels.width, pixels.height
    # Each pixel centre's offset from the picture's centre, -1 to 1 across and down.
    offsets = pyvips.Image.xyz(width, height).linear([2 / width, 2 / height], [1 / width - 1, 1 / height - 1])
    squared_radius = (offsets * offsets).bandmean()  # (dx² + dy²) / 2: 1 in the corners
    return pixels * squared_radius.linear(-strength, 1)


def _filtered(image: pyvips.Image, spec: Filter) -> pyvips.Image:
    pixels = image.cast("float")
    if spec.saturation != 1.0:
        luma = pixels.recomb([[0.299, 0.587, 0.114]])
        pixels = luma + (pixels - luma) * spec.saturation
    if spec.contrast != 1.0:
        pixels = (pixels - 128) * spec.contrast + 128
    if spec.brightness:
        pixels = pixels + spec.brightness
    if spec.warmth:
        pixels = pixels + [spec.warmth, 0, -spec.warmth]  # noqa: RUF005 (per-band add, not a list)
    if spec.fade:
        pixels = pixels * (1 - spec.fade) + 255 * spec.fade
    return pixels
