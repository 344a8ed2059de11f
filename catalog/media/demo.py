"""Demo photos for ``seed_demo``: drawn here with Pillow, uploaded through ``media_create``.

No network: ``make run`` shows real thumbnails offline, made by the same
checks, storage and renditions job as a staff upload.
"""

import functools
import hashlib
import io
from collections.abc import Iterable

from django.db import transaction
from PIL import Image, ImageDraw, ImageFont

from catalog.media.services import media_create
from catalog.models import Product

# Small: enough for thumbnails and a product page, quick to render on first `make run`.
SIZE = 320


def demo_media_seed(*, slugs: Iterable[str]) -> int:
    """Give each of these products in the catalog without media one drawn photo.

    Idempotent: a product that has media (a photo from an earlier run, or one
    staff uploaded) is left alone. Returns how many photos were added.
    """
    products = Product.objects.in_catalog().filter(slug__in=list(slugs), media__isnull=True)
    added = 0
    # One commit for all the rows (SQLite pays an fsync per commit); the
    # renditions jobs run once it is done.
    with transaction.atomic():
        for product in products.order_by("slug"):
            media_create(product=product, data=demo_photo(product), alt=product.name)
            added += 1
    return added


@functools.cache
def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=SIZE // 4)


def demo_photo(product: Product) -> bytes:
    """A JPEG with the product's initials on a colour of its own (stable per slug)."""
    digest = hashlib.sha256(product.slug.encode()).digest()
    background = tuple(60 + byte % 150 for byte in digest[:3])
    accent = tuple(255 - channel // 2 for channel in background)
    image = Image.new("RGB", (SIZE, SIZE), background)
    draw = ImageDraw.Draw(image)
    inset = SIZE // 6 + digest[3] % (SIZE // 8)
    if digest[4] % 2:
        draw.ellipse((inset, inset, SIZE - inset, SIZE - inset), fill=accent)
    else:
        draw.rounded_rectangle(
            (inset, inset, SIZE - inset, SIZE - inset), radius=SIZE // 10, fill=accent
        )
    initials = "".join(word[0] for word in product.name.split()[-2:]).upper()
    font = _font()
    draw.text((SIZE / 2, SIZE / 2), initials, fill=background, font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
