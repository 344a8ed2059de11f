"""What is stored: orientation applied, sRGB, no metadata (checked by opening it with Pillow)."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from catalog.media.tests.support import GPS_IFD, jpeg_bytes, swapped_primaries_profile

pytestmark = pytest.mark.django_db


def _stored(name: str) -> Image.Image:
    return Image.open(io.BytesIO(Path(settings.MEDIA_ROOT, name).read_bytes()))


def _every_file(media) -> list[str]:
    return media.file_names()


def test_upload_with_gps_exif_stores_files_without_any_metadata(ready_media, product):
    source = jpeg_bytes((800, 600), gps=True, orientation=1)
    with Image.open(io.BytesIO(source)) as original:
        assert original.getexif().get_ifd(GPS_IFD)  # the source has GPS, to begin with
    media = ready_media(product, source)
    for name in _every_file(media):
        with _stored(name) as image:
            assert "exif" not in image.info, name
            exif = image.getexif()
            assert len(exif) == 0, name
            assert not exif.get_ifd(GPS_IFD), name
            assert "icc_profile" not in image.info, name
            assert "xmp" not in image.info, name
            assert not getattr(image, "applist", []) or all(
                marker != "APP1" for marker, _ in image.applist
            ), name


@pytest.mark.parametrize(
    ("orientation", "size"), [(6, (300, 400)), (8, (300, 400)), (3, (400, 300))]
)
def test_exif_orientation_is_applied(ready_media, product, orientation, size):
    # A 400 x 300 photo whose camera says "rotate": stored as it is to be seen.
    media = ready_media(product, jpeg_bytes((400, 300), orientation=orientation))
    assert (media.width, media.height) == size
    with _stored(media.file) as image:
        assert image.size == size
        assert image.getexif().get(0x0112) is None
    largest = max(media.renditions, key=lambda r: (r["width"], r["format"]))
    assert (largest["width"], largest["height"]) == size


def test_marker_corner_follows_orientation(ready_media, product):
    # Orientation 6: the camera's top-left corner (blue marker) ends top-right.
    media = ready_media(product, jpeg_bytes((400, 300), orientation=6))
    with _stored(media.file) as image:
        rgb = image.convert("RGB")
        top_right = rgb.getpixel((image.width - 10, 10))
        top_left = rgb.getpixel((10, 10))
    assert top_right[2] > 200 and top_right[0] < 60  # blue
    assert top_left[0] > 150  # red background


def test_colours_are_converted_to_srgb_through_the_icc_profile(ready_media, product):
    # Pure "red" in a profile whose red primary is sRGB's green: it is green.
    source = jpeg_bytes((400, 300), color=(255, 0, 0), icc_profile=swapped_primaries_profile())
    media = ready_media(product, source)
    for name in _every_file(media):
        with _stored(name) as image:
            r, g, b = image.convert("RGB").getpixel((image.width - 5, image.height - 5))
            assert g > 200 and r < 60, (name, (r, g, b))
            assert "icc_profile" not in image.info
