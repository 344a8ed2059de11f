"""Media on S3-compatible object storage: a real S3 server (moto's), django-storages' backend."""

import io
import json
import os
import subprocess
import sys
import urllib.request

import pytest
from PIL import Image

from catalog.media.models import ProductMedia
from catalog.media.tests.support import GPS_IFD, jpeg_bytes, png_bytes, truncated_jpeg
from ecommerce.api.ids import public_id

pytestmark = pytest.mark.django_db

IMMUTABLE = "public, max-age=31536000, immutable"
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def test_upload_lands_in_the_bucket_with_content_type_and_cache_headers(
    s3_bucket, ready_media, product, api_client
):
    media = ready_media(product, jpeg_bytes((1200, 900), gps=True))
    assert s3_bucket.keys() == sorted(media.file_names())
    for key in media.file_names():
        found = s3_bucket.get(key)
        assert found["ContentType"] == CONTENT_TYPES[key.rsplit(".", 1)[1]], key
        assert found["CacheControl"] == IMMUTABLE, key
        with Image.open(io.BytesIO(found["Body"].read())) as image:
            assert image.format.lower() in {"jpeg", "webp"}
            assert len(image.getexif()) == 0
            assert not image.getexif().get_ifd(GPS_IFD)
            assert "icc_profile" not in image.info
    body = api_client.get(f"/v1/products/{product.slug}").json()["data"]
    served = body["media"][0]
    assert served["url"] == f"https://cdn.example.com/{s3_bucket.name}/{media.file}"
    assert all(
        r["url"].startswith(f"https://cdn.example.com/{s3_bucket.name}/products/")
        for r in served["renditions"]
    )
    largest = max((r for r in media.renditions if r["format"] == "jpeg"), key=lambda r: r["width"])
    assert body["images"] == [f"https://cdn.example.com/{s3_bucket.name}/{largest['file']}"]


def test_the_bucket_serves_objects_over_http_with_their_headers(s3_bucket, ready_media, product):
    # What a CDN in front of the bucket gets from its origin: objects readable by
    # anyone (a bucket policy, as the README's CDN example sets), over plain HTTP.
    s3_bucket.client.put_bucket_policy(
        Bucket=s3_bucket.name,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{s3_bucket.name}/*",
                    }
                ],
            }
        ),
    )
    media = ready_media(product, png_bytes((700, 500), transparent=True), name="logo.png")
    for rendition in media.renditions:
        url = f"{s3_bucket.server.endpoint_url}/{s3_bucket.name}/{rendition['file']}"
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            data = response.read()
            assert response.headers["Content-Type"] == f"image/{rendition['format']}"
            assert response.headers["Cache-Control"] == IMMUTABLE
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (rendition["width"], rendition["height"])
            if rendition["format"] == "png":
                assert image.mode == "RGBA"


def test_delete_removes_the_objects_after_commit(
    s3_bucket, ready_media, product, admin_client_api, django_capture_on_commit_callbacks
):
    media = ready_media(product, jpeg_bytes())
    assert s3_bucket.keys()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_api.delete(
            f"/v1/products/{product.slug}/media/{public_id('img', media.pk)}"
        )
    assert response.status_code == 204
    assert s3_bucket.keys() == []


def test_a_refused_upload_puts_nothing_in_the_bucket(s3_bucket, upload, product):
    response = upload(product, truncated_jpeg())
    assert response.status_code == 400
    assert s3_bucket.keys() == []
    assert ProductMedia.objects.count() == 0


def test_settings_build_the_same_s3_storage_from_the_environment(s3_bucket, settings):
    """The production settings block, read in a fresh process, configures what these tests use."""
    env = {
        **os.environ,
        "MEDIA_S3_BUCKET": s3_bucket.name,
        "MEDIA_S3_ENDPOINT_URL": s3_bucket.server.endpoint_url,
        "MEDIA_S3_REGION": "us-east-1",
        "MEDIA_S3_ACCESS_KEY_ID": "testing",
        "MEDIA_S3_SECRET_ACCESS_KEY": "testing",
        "MEDIA_URL": f"https://cdn.example.com/{s3_bucket.name}",
    }
    env.pop("MEDIA_S3_ACL", None)
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({'storage': settings.STORAGES['default'], 'url': settings.MEDIA_URL}))"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    configured = json.loads(out.stdout.strip().splitlines()[-1])
    assert configured["url"] == settings.MEDIA_URL
    expected = settings.STORAGES["default"]
    assert configured["storage"]["BACKEND"] == expected["BACKEND"]
    assert configured["storage"]["OPTIONS"] == {**expected["OPTIONS"], "default_acl": None}
