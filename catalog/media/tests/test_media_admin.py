"""Staff put photos on a product in the admin: the inline, its thumbnails, the list column."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import AdminFactory
from catalog.media.models import ProductMedia
from catalog.media.tests.support import SVG, jpeg_bytes, png_bytes
from catalog.tests.factories import ProductFactory
from catalog.tests.test_product_admin import change_form

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/product/"


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(AdminFactory(email="root@example.com", is_superuser=True))
    return client


def _change_url(product) -> str:
    return f"/admin/catalog/product/{product.pk}/change/"


def _product_form(product, **extra) -> dict:
    """The product's change page as it renders, with ``extra`` (media rows) added."""
    return {**change_form(product), **extra}


def _media_errors(response) -> list:
    """The photo inline's form errors (the variants inline comes first on the page)."""
    formsets = [inline.formset for inline in response.context["inline_admin_formsets"]]
    return next(f for f in formsets if f.model is ProductMedia).errors


def _new_rows(*rows: dict, initial: int = 0) -> dict:
    data = {"media-TOTAL_FORMS": str(initial + len(rows)), "media-INITIAL_FORMS": str(initial)}
    for index, row in enumerate(rows, start=initial):
        for key, value in row.items():
            data[f"media-{index}-{key}"] = value
    return data


def test_staff_upload_several_photos_on_the_product_page(
    staff, product, run_jobs, api_client, django_capture_on_commit_callbacks
):
    page = staff.get(_change_url(product))
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content
    form = _product_form(
        product,
        **_new_rows(
            {"upload": SimpleUploadedFile("front.jpg", jpeg_bytes((900, 600))), "alt": "Front"},
            {
                "upload": SimpleUploadedFile("logo.png", png_bytes(transparent=True)),
                "alt": "Logo",
                "position": "5",
            },
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(_change_url(product), form)
    assert response.status_code == 302, _media_errors(response)
    assert [(m.alt, m.position, m.status) for m in ProductMedia.objects.all()] == [
        ("Front", 0, "processing"),
        ("Logo", 5, "processing"),
    ]
    assert run_jobs() == 2
    media = api_client.get(f"/v1/products/{product.slug}").json()["data"]["media"]
    assert [(m["alt"], m["status"]) for m in media] == [("Front", "ready"), ("Logo", "ready")]

    # The product page and the list show thumbnails (the smallest rendition).
    front = ProductMedia.objects.get(alt="Front")
    thumbnail = next(r for r in front.renditions if r["width"] == 160 and r["format"] == "jpeg")
    assert f'src="/media/{thumbnail["file"]}"'.encode() in staff.get(_change_url(product)).content
    assert f'src="/media/{thumbnail["file"]}"'.encode() in staff.get(CHANGELIST).content


def test_staff_edit_alt_and_delete_through_the_inline(
    staff, product, ready_media, media_files, django_capture_on_commit_callbacks
):
    first = ready_media(product, jpeg_bytes(), alt="old")
    second = ready_media(product, jpeg_bytes(color=(3, 3, 3)))
    form = _product_form(
        product,
        **{
            "media-TOTAL_FORMS": "2",
            "media-INITIAL_FORMS": "2",
            "media-0-id": str(first.pk),
            "media-0-product": str(product.pk),
            "media-0-alt": "new alt",
            "media-0-position": "4",
            "media-1-id": str(second.pk),
            "media-1-product": str(product.pk),
            "media-1-alt": "",
            "media-1-position": str(second.position),
            "media-1-DELETE": "on",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(_change_url(product), form)
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.alt, first.position) == ("new alt", 4)
    assert not ProductMedia.objects.filter(pk=second.pk).exists()
    assert media_files() == sorted(first.file_names())


def test_a_bad_file_in_the_admin_is_a_form_error_and_stores_nothing(staff, product, media_files):
    form = _product_form(
        product, **_new_rows({"upload": SimpleUploadedFile("x.jpg", SVG), "alt": "svg"})
    )
    response = staff.post(_change_url(product), form)
    assert response.status_code == 200
    errors = _media_errors(response)
    assert "JPEG, PNG and WebP" in str(errors)
    assert ProductMedia.objects.count() == 0
    assert media_files() == []


def test_a_row_with_alt_text_but_no_file_asks_for_one(staff, product):
    response = staff.post(_change_url(product), _product_form(product, **_new_rows({"alt": "x"})))
    assert response.status_code == 200
    assert "Choose an image file." in str(_media_errors(response))


def test_product_list_thumbnails_cost_one_query_whatever_the_page(staff, ready_media):
    for product in ProductFactory.create_batch(3):
        ready_media(product, jpeg_bytes((200, 100)))
    staff.get(CHANGELIST)  # warm whatever the first request loads
    with CaptureQueriesContext(connection) as three:
        staff.get(CHANGELIST)
    for product in ProductFactory.create_batch(6):
        ready_media(product, jpeg_bytes((200, 100)))
    with CaptureQueriesContext(connection) as nine:
        response = staff.get(CHANGELIST)
    assert len(nine.captured_queries) == len(three.captured_queries)
    assert response.content.count(b'src="/media/products/') == 9
