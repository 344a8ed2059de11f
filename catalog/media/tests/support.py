"""Images for the media tests, made with Pillow (or by hand where Pillow would refuse)."""

import io
import struct
import zlib

from PIL import Image, ImageCms

# EXIF tags
ORIENTATION = 0x0112
GPS_IFD = 0x8825
MAKE = 0x010F


def jpeg_bytes(
    size: tuple[int, int] = (400, 300),
    color: tuple[int, int, int] = (200, 30, 30),
    *,
    orientation: int | None = None,
    gps: bool = False,
    icc_profile: bytes | None = None,
    quality: int = 90,
) -> bytes:
    """A JPEG; with ``orientation`` and ``gps``, EXIF a camera would write."""
    image = Image.new("RGB", size, color)
    # A marker in the top-left corner, to see where orientation puts it.
    image.paste((0, 0, 255), (0, 0, size[0] // 4, size[1] // 4))
    exif = Image.Exif()
    exif[MAKE] = "TestCam"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (52.0, 22.0, 12.0), 3: "E", 4: (4.0, 53.0, 28.0)}
    params = {"quality": quality, "exif": exif.tobytes()}
    if icc_profile:
        params["icc_profile"] = icc_profile
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **params)
    return buffer.getvalue()


def png_bytes(size: tuple[int, int] = (300, 200), *, transparent: bool = False) -> bytes:
    image = Image.new("RGBA", size, (20, 160, 20, 255))
    if transparent:
        image.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def webp_bytes(size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 10, 200)).save(buffer, "WEBP")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (50, 50), 3).save(buffer, "GIF")
    return buffer.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def corrupt_png() -> bytes:
    """A PNG signature and header, then chunks of garbage (CRCs that do not match)."""
    good = png_bytes()
    return good[:33] + bytes((byte * 7 + 13) % 256 for byte in good[33:])


def truncated_jpeg() -> bytes:
    data = jpeg_bytes((800, 600))
    return data[: len(data) // 2]


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b'<image href="http://127.0.0.1:1/ssrf.png"/></svg>'
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def swapped_primaries_profile() -> bytes:
    """An RGB ICC profile like sRGB but with the red and green primaries swapped.

    Pixels tagged with it that say (255, 0, 0) are green: converting them to
    sRGB must change them, which shows that the profile was applied.
    """
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack(">I", profile[128:132])
    tags = {}
    for index in range(count):
        offset = 132 + index * 12
        signature, data_offset, size = struct.unpack(">4sII", profile[offset : offset + 12])
        tags[signature] = (offset, data_offset, size)
    red, green = tags[b"rXYZ"], tags[b"gXYZ"]
    # Point each tag at the other's data.
    struct.pack_into(">4sII", profile, red[0], b"rXYZ", green[1], green[2])
    struct.pack_into(">4sII", profile, green[0], b"gXYZ", red[1], red[2])
    profile[84:100] = bytes(16)  # the profile id (an MD5) no longer matches: none
    return bytes(profile)
