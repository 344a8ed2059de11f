"""Product reads with media: one prefetch query for any number of products and media."""

import pytest

from catalog.media.tests.support import jpeg_bytes
from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_list_with_media_is_three_queries_whatever_the_page_size(
    ready_media, api_client, django_assert_num_queries
):
    products = ProductFactory.create_batch(6)
    for product in products:
        ready_media(product, jpeg_bytes((200, 150)))
        ready_media(product, jpeg_bytes((200, 150), color=(1, 1, 1)))
    with django_assert_num_queries(5):  # COUNT, page, variants, options, media
        body = api_client.get("/v1/products?limit=100").json()
    assert all(len(item["media"]) == 2 for item in body["data"])
    assert all(len(item["images"]) == 2 for item in body["data"])


def test_detail_with_media_is_five_queries_and_a_hit_none(
    ready_media, api_client, product, django_assert_num_queries
):
    ready_media(product, jpeg_bytes((200, 150)))
    # The slug's id first, so that the product's version is read before its rows
    # (catalog.cache refuses a fill a write landed before), then product, media,
    # variants, options.
    with django_assert_num_queries(5):
        assert api_client.get(f"/v1/products/{product.slug}")["X-Cache"] == "MISS"
    with django_assert_num_queries(0):
        assert api_client.get(f"/v1/products/{product.slug}")["X-Cache"] == "HIT"


def test_reads_never_touch_pillow_or_the_storage(ready_media, api_client, product, monkeypatch):
    ready_media(product, jpeg_bytes((200, 150)))

    def forbidden(*args, **kwargs):
        raise AssertionError("a product read touched Pillow or the storage backend")

    from django.core.files.storage import storages
    from PIL import Image

    # The media storage only: static files (WhiteNoise's finders) use the same class.
    for name in ("open", "exists", "url", "size", "listdir", "path", "save"):
        monkeypatch.setattr(storages["default"], name, forbidden)
    monkeypatch.setattr(Image, "open", forbidden)
    monkeypatch.setattr(Image, "new", forbidden)
    assert api_client.get(f"/v1/products/{product.slug}").status_code == 200
    assert api_client.get("/v1/products").status_code == 200
