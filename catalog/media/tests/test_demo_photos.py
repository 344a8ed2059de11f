"""seed_demo's photos: drawn locally, uploaded through the media service, added once."""

import io

import pytest
from django.core.management import call_command

from catalog.media.demo import demo_media_seed
from catalog.media.models import ProductMedia
from catalog.models import Product
from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_every_demo_product_one_photo_and_is_idempotent():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    count = Product.objects.in_catalog().count()
    assert ProductMedia.objects.count() == count
    assert f"{count} photo(s) added" in out.getvalue()
    assert not Product.objects.exclude(images=[]).exists()  # no external photo site

    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert ProductMedia.objects.count() == count
    assert "0 photo(s) added" in out.getvalue()


def test_demo_photos_get_renditions_like_any_upload(
    run_jobs, api_client, django_capture_on_commit_callbacks
):
    products = ProductFactory.create_batch(2)
    staff_photo = ProductFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert demo_media_seed(slugs=[p.slug for p in products]) == 2
    assert run_jobs() == 2
    for product in products:
        media = api_client.get(f"/v1/products/{product.slug}").json()["data"]["media"]
        assert [m["status"] for m in media] == ["ready"]
        assert {r["width"] for r in media[0]["renditions"]} == {160, 320}
    assert not ProductMedia.objects.filter(product=staff_photo).exists()
