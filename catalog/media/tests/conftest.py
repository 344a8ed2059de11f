"""Fixtures of the media tests: uploads, the local media directory, a real S3 server."""

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalog.media.models import ProductMedia
from catalog.models import Product
from catalog.tests.conftest import product  # noqa: F401 - the catalog tests' fixture, shared
from ecommerce.api.ids import public_id
from tests.processes import S3Server, free_port


@pytest.fixture
def upload(admin_client_api, django_capture_on_commit_callbacks) -> Callable:
    """``upload(product, data, name="photo.jpg", content_type="image/jpeg", client=..., **fields)``.

    The request's commit callbacks run (its job is enqueued), as after a real commit.
    """

    def post(
        target: Product,
        data: bytes,
        *,
        name: str = "photo.jpg",
        content_type: str = "image/jpeg",
        client: APIClient | None = None,
        **fields,
    ):
        body = {"file": SimpleUploadedFile(name, data, content_type=content_type), **fields}
        with django_capture_on_commit_callbacks(execute=True):
            return (client or admin_client_api).post(
                f"/v1/products/{public_id('prod', target.pk)}/media", body, format="multipart"
            )

    return post


@pytest.fixture
def media_files(settings) -> Callable[[], list[str]]:
    """The names of every file in the local media directory, sorted."""

    def names() -> list[str]:
        root = Path(settings.MEDIA_ROOT)
        if not root.exists():
            return []
        return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())

    return names


@pytest.fixture
def ready_media(upload, run_jobs) -> Callable[..., ProductMedia]:
    """``ready_media(product, data)``: uploaded through the API, renditions made by a worker."""

    def make(target: Product, data: bytes, **fields) -> ProductMedia:
        response = upload(target, data, **fields)
        assert response.status_code == 201, response.json()
        run_jobs()
        media = ProductMedia.objects.get(pk=uuid.UUID(response.json()["data"]["id"][4:]))
        assert media.status == ProductMedia.Status.READY, media.error
        return media

    return make


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One moto S3 server per test process (an xdist worker), on a free port."""
    for attempt in range(5):
        server = S3Server(free_port())
        try:
            server.start()
            break
        except RuntimeError:
            if attempt == 4:
                raise
    try:
        yield server
    finally:
        server.stop()


class S3Bucket:
    def __init__(self, server: S3Server, name: str) -> None:
        self.server = server
        self.name = name
        self.client = server.client()

    def keys(self) -> list[str]:
        found = self.client.list_objects_v2(Bucket=self.name).get("Contents", [])
        return sorted(entry["Key"] for entry in found)

    def get(self, key: str) -> dict:
        return self.client.get_object(Bucket=self.name, Key=key)


@pytest.fixture
def s3_bucket(settings, s3_server) -> S3Bucket:
    """STORAGES["default"] on a fresh bucket of the S3 server, configured as production is."""
    bucket = S3Bucket(s3_server, f"media-{uuid.uuid4().hex[:12]}")
    bucket.client.create_bucket(Bucket=bucket.name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket.name,
                "endpoint_url": s3_server.endpoint_url,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "querystring_auth": False,
                "object_parameters": {"CacheControl": settings.MEDIA_CACHE_CONTROL},
                "file_overwrite": True,
            },
        },
    }
    settings.MEDIA_URL = f"https://cdn.example.com/{bucket.name}/"
    return bucket
