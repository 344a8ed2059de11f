"""POST /v1/products/:idOrSlug/media on local storage: the happy path, what the API then serves."""

import io

import pytest
from PIL import Image

from catalog.media.models import ProductMedia
from catalog.media.storage import NAME_RE
from catalog.media.tests.support import jpeg_bytes, png_bytes, webp_bytes
from catalog.tests.factories import ProductFactory
from ecommerce.api.ids import public_id

pytestmark = pytest.mark.django_db


def test_upload_answers_201_processing_and_stores_a_clean_original(upload, product, media_files):
    response = upload(product, jpeg_bytes((400, 300), gps=True), alt="Front view")
    assert response.status_code == 201
    data = response.json()["data"]
    media = ProductMedia.objects.get()
    assert data == {
        "id": public_id("img", media.pk),
        "alt": "Front view",
        "position": 0,
        "width": 400,
        "height": 300,
        "status": "processing",
        "error": None,
        "url": f"/media/{media.file}",
        "renditions": [],
    }
    assert media_files() == [media.file]
    assert NAME_RE.fullmatch(media.file)


def test_renditions_job_makes_every_width_in_webp_and_jpeg(
    upload, run_jobs, product, api_client, media_files
):
    upload(product, jpeg_bytes((2000, 1500)))
    assert run_jobs() == 1
    media = ProductMedia.objects.get()
    assert media.status == "ready"
    body = api_client.get(f"/v1/products/{product.slug}").json()["data"]
    renditions = body["media"][0]["renditions"]
    assert [(r["width"], r["height"], r["format"]) for r in renditions] == [
        (160, 120, "jpeg"),
        (160, 120, "webp"),
        (480, 360, "jpeg"),
        (480, 360, "webp"),
        (960, 720, "jpeg"),
        (960, 720, "webp"),
        (1600, 1200, "jpeg"),
        (1600, 1200, "webp"),
    ]
    assert body["media"][0]["status"] == "ready"
    assert len(media_files()) == 9  # the original and eight renditions
    for rendition in renditions:
        name = rendition["url"].removeprefix("/media/")
        assert NAME_RE.fullmatch(name)
        with Image.open(f"{media_storage_root()}/{name}") as image:
            assert image.format == {"jpeg": "JPEG", "webp": "WEBP"}[rendition["format"]]
            assert image.size == (rendition["width"], rendition["height"])


def media_storage_root() -> str:
    from django.conf import settings

    return settings.MEDIA_ROOT


def test_images_lists_ready_media_at_largest_rendition_then_external_urls(ready_media, api_client):
    product = ProductFactory(images=["https://images.example.com/a.jpg"])
    media = ready_media(product, jpeg_bytes((1000, 800)))
    body = api_client.get(f"/v1/products/{product.slug}").json()["data"]
    largest = next(r for r in media.renditions if r["width"] == 1000 and r["format"] == "jpeg")
    assert body["images"] == [f"/media/{largest['file']}", "https://images.example.com/a.jpg"]


def test_processing_media_is_not_in_images_yet(upload, api_client, product):
    upload(product, jpeg_bytes())
    body = api_client.get(f"/v1/products/{product.slug}").json()["data"]
    assert body["images"] == []
    assert body["media"][0]["status"] == "processing"


def test_renditions_never_upscale_a_small_image(ready_media, product):
    media = ready_media(product, jpeg_bytes((120, 90)))
    assert {(r["width"], r["height"]) for r in media.renditions} == {(120, 90)}


def test_transparent_png_gets_png_renditions_besides_webp(ready_media, product):
    media = ready_media(product, png_bytes((500, 400), transparent=True), name="logo.png")
    assert {r["format"] for r in media.renditions} == {"png", "webp"}
    assert media.format == "png"


def test_opaque_png_gets_jpeg_renditions(ready_media, product):
    media = ready_media(product, png_bytes((500, 400)), name="flat.png")
    assert {r["format"] for r in media.renditions} == {"jpeg", "webp"}


def test_webp_upload_is_accepted(ready_media, product):
    media = ready_media(product, webp_bytes((640, 480)), name="x.webp")
    assert media.format == "webp"
    assert max(r["width"] for r in media.renditions) == 640


def test_type_comes_from_bytes_not_name_or_content_type(upload, product):
    response = upload(product, png_bytes(), name="photo.jpg", content_type="image/jpeg")
    assert response.status_code == 201
    assert ProductMedia.objects.get().format == "png"
    assert ProductMedia.objects.get().file.endswith(".png")


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.jpg", "evil<script>.jpg", "C:\\Windows\\x.jpg", "a" * 300 + ".jpg"]
)
def test_client_filename_never_reaches_the_storage_path(upload, product, media_files, name):
    assert upload(product, jpeg_bytes(), name=name).status_code == 201
    (stored,) = media_files()
    media = ProductMedia.objects.get()
    assert stored == media.file
    assert NAME_RE.fullmatch(stored)
    assert stored.startswith(f"products/{media.pk.hex}/")


def test_upload_by_slug_and_position_default_goes_last(upload, admin_client_api, product):
    upload(product, jpeg_bytes())
    upload(product, jpeg_bytes(color=(1, 2, 3)), position=7)
    response = admin_client_api.post(
        f"/v1/products/{product.slug}/media/",
        {"file": io.BytesIO(jpeg_bytes(color=(9, 9, 9)))},
        format="multipart",
    )
    assert response.status_code == 201
    assert [m.position for m in ProductMedia.objects.all()] == [0, 7, 8]


def test_media_are_listed_by_position(upload, api_client, product, admin_client_api):
    first = upload(product, jpeg_bytes(), alt="first", position=5).json()["data"]
    second = upload(product, jpeg_bytes(color=(5, 5, 5)), alt="second", position=1).json()["data"]
    body = api_client.get(f"/v1/products/{product.slug}").json()["data"]
    assert [m["id"] for m in body["media"]] == [second["id"], first["id"]]


def test_upload_invalidates_the_cached_product(upload, run_jobs, api_client, product):
    assert api_client.get(f"/v1/products/{product.slug}").json()["data"]["media"] == []
    assert api_client.get(f"/v1/products/{product.slug}")["X-Cache"] == "HIT"
    upload(product, jpeg_bytes())
    response = api_client.get(f"/v1/products/{product.slug}")
    assert response.json()["data"]["media"][0]["status"] == "processing"
    run_jobs()
    response = api_client.get(f"/v1/products/{product.slug}")
    assert response["X-Cache"] == "MISS"
    assert response.json()["data"]["media"][0]["status"] == "ready"
    list_body = api_client.get("/v1/products").json()["data"]
    assert list_body[0]["media"][0]["status"] == "ready"


def test_images_written_back_are_not_listed_twice(
    ready_media, api_client, admin_client_api, settings
):
    settings.MEDIA_URL = "https://cdn.example.com/media/"  # absolute, as in production
    product = ProductFactory(images=["https://images.example.com/a.jpg"])
    ready_media(product, jpeg_bytes((500, 400)))
    shown = api_client.get(f"/v1/products/{product.slug}").json()["data"]["images"]
    response = admin_client_api.patch(
        f"/v1/products/{product.slug}", {"images": shown}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["data"]["images"] == shown
