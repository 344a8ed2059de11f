"""PATCH and DELETE of media; files of deleted media and removed products go after commit."""

import pytest
from django.db import transaction

from catalog import services as catalog_services
from catalog.media import services
from catalog.media.models import ProductMedia
from catalog.media.tests.support import jpeg_bytes
from catalog.tests.factories import ProductFactory
from ecommerce.api.ids import public_id

pytestmark = pytest.mark.django_db


def _url(product, media) -> str:
    return f"/v1/products/{product.slug}/media/{public_id('img', media.pk)}"


def test_patch_changes_alt_and_position_and_the_product_shows_it(
    ready_media, product, admin_client_api, api_client
):
    media = ready_media(product, jpeg_bytes())
    api_client.get(f"/v1/products/{product.slug}")  # cached
    response = admin_client_api.patch(
        _url(product, media), {"alt": "Side view", "position": 3}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["data"]["alt"] == "Side view"
    assert response.json()["data"]["position"] == 3
    shown = api_client.get(f"/v1/products/{product.slug}").json()["data"]["media"][0]
    assert (shown["alt"], shown["position"]) == ("Side view", 3)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"position": -1}, "position"),
        ({"position": "x"}, "position"),
        ({"alt": "a" * 256}, "alt"),
        ({"status": "ready"}, "status"),
        ({"alt": 5}, "alt"),
    ],
)
def test_patch_refuses_bad_fields(ready_media, product, admin_client_api, body, field):
    media = ready_media(product, jpeg_bytes())
    response = admin_client_api.patch(_url(product, media), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_media_of_another_product_is_not_found(ready_media, product, admin_client_api):
    media = ready_media(product, jpeg_bytes())
    other = ProductFactory()
    for method in ("patch", "delete"):
        response = getattr(admin_client_api, method)(
            _url(other, media), {"alt": "x"}, format="json"
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert ProductMedia.objects.filter(pk=media.pk).exists()


@pytest.mark.parametrize("media_id", ["img_123", "prod_" + "0" * 32, "img_" + "0" * 32])
def test_malformed_or_unknown_media_id_is_not_found(product, admin_client_api, media_id):
    response = admin_client_api.delete(f"/v1/products/{product.slug}/media/{media_id}")
    assert response.status_code == 404


@pytest.mark.parametrize(("client_name", "status"), [("api_client", 401), ("customer_client", 403)])
def test_edits_are_admin_only(request, ready_media, product, client_name, status):
    media = ready_media(product, jpeg_bytes())
    client = request.getfixturevalue(client_name)
    assert client.patch(_url(product, media), {"alt": "x"}, format="json").status_code == status
    assert client.delete(_url(product, media)).status_code == status
    assert ProductMedia.objects.get(pk=media.pk).alt == ""


def test_delete_answers_204_and_removes_its_files_after_commit(
    ready_media, product, admin_client_api, media_files, django_capture_on_commit_callbacks
):
    media = ready_media(product, jpeg_bytes())
    kept = ready_media(product, jpeg_bytes(color=(0, 90, 0)))
    everything = sorted([*media.file_names(), *kept.file_names()])
    assert media_files() == everything
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client_api.delete(_url(product, media))
        assert response.status_code == 204
        # Not yet committed: the files are all still there.
        assert media_files() == everything
    for callback in callbacks:
        callback()
    assert media_files() == sorted(kept.file_names())
    assert not ProductMedia.objects.filter(pk=media.pk).exists()


def test_a_rolled_back_delete_keeps_the_files(ready_media, product, media_files):
    media = ready_media(product, jpeg_bytes())
    before = media_files()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.media_delete(media=media)
        raise RuntimeError("the request failed later")
    assert ProductMedia.objects.filter(pk=media.pk).exists()
    assert media_files() == before


def test_removing_a_product_deletes_its_media_and_files_after_commit(
    ready_media, product, admin_client_api, media_files, django_capture_on_commit_callbacks
):
    ready_media(product, jpeg_bytes())
    other = ProductFactory()
    kept = ready_media(other, jpeg_bytes(color=(0, 0, 90)))
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client_api.delete(f"/v1/products/{product.slug}").status_code == 204
    assert not ProductMedia.objects.filter(product=product).exists()
    assert media_files() == sorted(kept.file_names())


def test_admin_remove_action_and_hard_delete_take_files_too(
    ready_media, media_files, django_capture_on_commit_callbacks
):
    first, second = ProductFactory(), ProductFactory()
    ready_media(first, jpeg_bytes())
    ready_media(second, jpeg_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.products_remove(product_ids=[first.pk])
    with django_capture_on_commit_callbacks(execute=True):
        second.movements.all().delete()  # the ledger and variants protect a product
        second.variants.all().delete()
        second.delete()  # a cascade (shell, tests): the rows' files go as well
    assert media_files() == []
