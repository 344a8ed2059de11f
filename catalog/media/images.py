"""Everything Pillow does to a product image.

- The type comes from the bytes (JPEG, PNG, WebP signatures), never from the
  file name or ``Content-Type``. Pillow's own identification is not enough on
  its own: it answers "cannot identify" both for a file that is no image we
  take (415) and for a JPEG or PNG whose header is broken (400).
- Decompression bombs: ``Image.MAX_IMAGE_PIXELS`` is ``MEDIA_MAX_PIXELS``;
  Pillow raises ``DecompressionBombError`` past twice that and warns past it,
  and an image over it is refused here before any pixel is decoded.
- The whole image is decoded on upload, so a truncated or corrupt file is
  refused then (400), not discovered by the renditions job.
- The stored original and every rendition: EXIF orientation applied
  (``ImageOps.exif_transpose``), converted to sRGB through its ICC profile
  (``ImageCms``), and written without any metadata (no EXIF, GPS, XMP, ICC or
  text chunks): Pillow writes only what it is given, and it is given nothing.
"""

import io
import logging
import struct
import warnings
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from catalog.media.errors import ImageInvalid, ImageTypeUnsupported

logger = logging.getLogger(__name__)

# Rendition widths (never upscaled) and their encodings.
RENDITION_WIDTHS = (160, 480, 960, 1600)
_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# Errors Pillow raises on broken or truncated data, by plugin.
_DECODE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    struct.error,
    ImageCms.PyCMSError,
)


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    format: str  # jpeg, png or webp
    width: int
    height: int


def image_format_sniff(head: bytes) -> str | None:
    """``jpeg``, ``png`` or ``webp`` from the first bytes of a file; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def image_original_prepare(data: bytes) -> EncodedImage:
    """Check an upload and re-encode it as the stored original.

    Raises ImageTypeUnsupported (415) when the bytes are not JPEG, PNG or WebP,
    ImageInvalid (400) when they are but cannot be decoded whole (corrupt,
    truncated) or the image has more than ``MEDIA_MAX_PIXELS`` pixels.
    """
    image_format = image_format_sniff(data[:16])
    if image_format is None:
        raise ImageTypeUnsupported()
    image = _decode(data, image_format)
    try:
        image = _normalise(image)
    except _DECODE_ERRORS as exc:
        raise ImageInvalid("The image could not be decoded.") from exc
    return _encode(image, image_format, quality=90)


def image_renditions_make(original: bytes) -> list[EncodedImage]:
    """Web-sized copies of a stored original: each width as WebP, plus JPEG (PNG with alpha).

    Widths are ``RENDITION_WIDTHS`` up to the image's own width (never
    upscaled; an image narrower than the smallest gets one rendition at its
    own width). Each is resized from the next larger one, which costs a
    fraction of resizing the original every time. A JPEG original is decoded
    at a reduced scale where libjpeg can (``draft``), which keeps a
    12-megapixel photo's memory to a quarter.
    """
    image_format = image_format_sniff(original[:16])
    if image_format is None:
        raise ImageInvalid("The stored original is not an image.")
    image = Image.open(io.BytesIO(original), formats=[_PILLOW_FORMATS[image_format]])
    full_width, full_height = image.size
    widths = sorted({min(width, full_width) for width in RENDITION_WIDTHS}, reverse=True)
    if image_format == "jpeg":
        image.draft("RGB", (widths[0], max(1, round(full_height * widths[0] / full_width))))
    image.load()
    image = _normalise(image)
    fallback = "png" if image.mode == "RGBA" else "jpeg"
    renditions = []
    for width in widths:
        height = max(1, round(full_height * width / full_width))
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        renditions.append(_encode(image, "webp", quality=80))
        renditions.append(_encode(image, fallback, quality=82))
    return sorted(renditions, key=lambda rendition: (rendition.width, rendition.format))


def _decode(data: bytes, image_format: str) -> Image.Image:
    max_pixels = settings.MEDIA_MAX_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    too_large = ImageInvalid(
        f"The image has more than {max_pixels} pixels.", reason="image_too_large"
    )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse there too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[image_format]])
            if image.width * image.height > max_pixels:
                raise too_large
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_large from exc
    except _DECODE_ERRORS as exc:
        raise ImageInvalid("The image is corrupt or truncated.") from exc
    return image


def _normalise(image: Image.Image) -> Image.Image:
    """Orientation applied, sRGB, 8-bit RGB or RGBA (RGBA only with real transparency)."""
    icc_profile = image.info.get("icc_profile")
    # In place: a 12-megapixel photo is 36 MB a copy, and an upright one needs none.
    ImageOps.exif_transpose(image, in_place=True)
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit greyscale PNG: scale to 8 bits (a plain convert would clip to white).
        image = image.point(lambda value: value / 256).convert("L")
    mode = "RGBA" if _has_transparency(image) else "RGB"
    if image.mode not in ("RGB", "RGBA", "CMYK"):
        image = image.convert("RGBA" if mode == "RGBA" else "RGB")
    if icc_profile:
        image = _to_srgb(image, icc_profile, mode)
    if image.mode != mode:
        image = image.convert(mode)
    # Nothing of the source's metadata travels with the pixels.
    image.info = {}
    return image


def _to_srgb(image: Image.Image, icc_profile: bytes, mode: str) -> Image.Image:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return cast(  # None only with inPlace=True
            Image.Image,
            ImageCms.profileToProfile(
                image,
                source,
                _SRGB,
                renderingIntent=ImageCms.Intent.PERCEPTUAL,
                outputMode=mode if image.mode != "CMYK" else "RGB",
            ),
        )
    except ImageCms.PyCMSError as exc:
        # A profile that does not fit the pixels (a grey profile on RGB data) or
        # is broken: the pixels are taken as sRGB, as a browser would.
        logger.info("Ignoring an unusable ICC profile: %s", exc)
        return image


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        alpha = image.getchannel("A")
    elif "transparency" in image.info:
        alpha = image.convert("RGBA").getchannel("A")
    else:
        return False
    lowest, _ = alpha.getextrema()
    return lowest < 255  # type: ignore[operator]  # one band: an int


def _encode(image: Image.Image, image_format: str, *, quality: int) -> EncodedImage:
    buffer = io.BytesIO()
    if image_format == "jpeg":
        source = image.convert("RGB") if image.mode != "RGB" else image
        source.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    elif image_format == "webp":
        image.save(buffer, "WEBP", quality=quality, method=4)
    else:
        image.save(buffer, "PNG", compress_level=6)
    return EncodedImage(
        data=buffer.getvalue(), format=image_format, width=image.width, height=image.height
    )
