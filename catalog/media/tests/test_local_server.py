"""The embedded default: the app serves MEDIA_URL itself, with the headers a CDN would keep."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from catalog.media.tests.support import jpeg_bytes, webp_bytes

pytestmark = pytest.mark.django_db

IMMUTABLE = "public, max-age=31536000, immutable"
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def test_every_file_is_served_with_its_type_and_cache_forever(ready_media, product):
    media = ready_media(product, jpeg_bytes((700, 500)))
    client = Client()
    for rendition in [{"file": media.file, "format": "jpeg"}, *media.renditions]:
        response = client.get(f"/media/{rendition['file']}")
        assert response.status_code == 200
        assert response["Content-Type"] == CONTENT_TYPES[rendition["format"]]
        assert response["Cache-Control"] == IMMUTABLE
        assert response["X-Content-Type-Options"] == "nosniff"
        body = b"".join(response.streaming_content)
        assert body == Path(settings.MEDIA_ROOT, rendition["file"]).read_bytes()


def test_webp_is_served_as_webp(ready_media, product):
    media = ready_media(product, webp_bytes(), name="a.webp")
    response = Client().get(f"/media/{media.file}")
    assert response["Content-Type"] == "image/webp"


def test_head_answers_without_a_body(ready_media, product):
    media = ready_media(product, jpeg_bytes())
    response = Client().head(f"/media/{media.file}")
    assert response.status_code == 200
    assert response["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize(
    "path",
    [
        "/media/products/../../settings.py",
        "/media/products/%2e%2e/%2e%2e/manage.py",
        "/media/products/abc/def.jpg",
        "/media/products/" + "0" * 32 + "/" + "0" * 20 + ".jpg",  # well-formed, absent
        "/media/db.sqlite3",
    ],
)
def test_anything_but_a_stored_media_name_is_not_found(path):
    assert Client().get(path).status_code == 404


def test_writes_are_not_allowed(ready_media, product):
    media = ready_media(product, jpeg_bytes())
    assert Client().post(f"/media/{media.file}").status_code == 405
