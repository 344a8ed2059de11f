"""Redis caching of product reads: keys, TTLs, HIT/MISS, ETags, and invalidation."""

import uuid
from decimal import Decimal

import pytest
from django.db import transaction

from catalog import cache as product_cache
from catalog import services
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from ecommerce.api.ids import public_id
from tests.redis_server import redis_commands_sent

pytestmark = pytest.mark.django_db


def _detail(product: Product) -> str:
    return f"/v1/products/{public_id('prod', product.pk)}"


def _list_keys(redis) -> list[bytes]:
    return sorted(redis.scan_iter(match="products:list:*"))


def test_list_is_miss_then_hit_with_same_body_and_etag(api_client, product):
    first = api_client.get("/v1/products?category=electronics")
    second = api_client.get("/v1/products?category=electronics")
    assert first["X-Cache"] == "MISS"
    assert second["X-Cache"] == "HIT"
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]
    assert second["Content-Type"] == "application/json; charset=utf-8"


def test_list_entry_key_has_no_version_prefix_and_a_5_minute_ttl(api_client, product, redis):
    api_client.get("/v1/products")
    keys = _list_keys(redis)
    assert len(keys) == 1
    assert keys[0].startswith(b"products:list:")
    assert not redis.keys("*:1:*")
    assert 295 <= redis.ttl(keys[0]) <= 300


def test_detail_entry_is_product_uuid_with_a_10_minute_ttl(api_client, product, redis):
    assert api_client.get(_detail(product))["X-Cache"] == "MISS"
    key = f"product:{product.pk}"
    assert redis.exists(key)
    assert 595 <= redis.ttl(key) <= 600
    assert api_client.get(_detail(product))["X-Cache"] == "HIT"


def test_detail_by_slug_is_served_from_cache_too(api_client, product, django_assert_num_queries):
    api_client.get("/v1/products/wireless-mouse")
    with django_assert_num_queries(0):
        response = api_client.get("/v1/products/wireless-mouse")
    assert response["X-Cache"] == "HIT"
    assert response.json()["data"]["slug"] == "wireless-mouse"


def test_a_read_by_slug_costs_redis_no_more_than_a_read_by_id(api_client, product, monkeypatch):
    by_id, by_slug = _detail(product), "/v1/products/wireless-mouse"
    api_client.get(by_id)  # filled, with its slug hint

    with redis_commands_sent(monkeypatch) as id_trips:
        assert api_client.get(by_id)["X-Cache"] == "HIT"
    with redis_commands_sent(monkeypatch) as slug_trips:
        assert api_client.get(by_slug)["X-Cache"] == "HIT"

    # The rate-limit count and the entry, in one script.
    assert len(slug_trips) == len(id_trips) == 1


def test_a_slug_hint_that_is_not_a_uuid_is_a_miss(api_client, product, redis):
    redis.set("product:slug:wireless-mouse", "not-a-uuid")

    response = api_client.get("/v1/products/wireless-mouse")

    assert response.status_code == 200
    assert response["X-Cache"] == "MISS"
    assert response.json()["data"]["id"] == public_id("prod", product.pk)


def test_equivalent_queries_share_one_entry(api_client, product, redis):
    api_client.get("/v1/products?minPrice=5&search=Mouse")
    response = api_client.get("/v1/products?search=mouse&minPrice=5.00&page=1&utm=x")
    assert response["X-Cache"] == "HIT"
    assert len(_list_keys(redis)) == 1


def test_different_queries_have_different_entries(api_client, product, redis):
    api_client.get("/v1/products?page=1")
    api_client.get("/v1/products?page=2")
    api_client.get("/v1/products?sort=name")
    assert len(_list_keys(redis)) == 3


def test_matching_if_none_match_is_304_without_body(api_client, product):
    etag = api_client.get(_detail(product))["ETag"]
    response = api_client.get(_detail(product), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert "Content-Type" not in response
    assert response["ETag"] == etag
    listing = api_client.get("/v1/products")
    assert api_client.get("/v1/products", HTTP_IF_NONE_MATCH=listing["ETag"]).status_code == 304


def test_if_none_match_also_matches_on_a_miss_and_weakly(api_client, product, redis):
    etag = api_client.get(_detail(product))["ETag"]
    redis.delete(f"product:{product.pk}")
    response = api_client.get(_detail(product), HTTP_IF_NONE_MATCH=f'"other", W/{etag}')
    assert response.status_code == 304
    assert response["X-Cache"] == "MISS"


def test_stale_etag_gets_the_new_body(api_client, admin_client_api, product):
    etag = api_client.get(_detail(product))["ETag"]
    admin_client_api.patch(_detail(product), {"price": 12}, format="json")
    response = api_client.get(_detail(product), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response.json()["data"]["price"] == 12


def _warm(api_client, product) -> None:
    api_client.get(_detail(product))
    api_client.get("/v1/products")
    api_client.get("/v1/products?category=electronics")


def test_api_update_invalidates_product_and_every_list(
    api_client, admin_client_api, product, redis
):
    _warm(api_client, product)
    assert redis.exists(f"product:{product.pk}")
    assert len(_list_keys(redis)) == 2

    admin_client_api.patch(_detail(product), {"stock": 0}, format="json")

    assert not redis.exists(f"product:{product.pk}")
    assert _list_keys(redis) == []
    listing = api_client.get("/v1/products?category=electronics")
    assert listing["X-Cache"] == "MISS"
    assert listing.json()["data"][0]["stock"] == 0


def test_api_create_shows_on_the_next_list_read(api_client, admin_client_api, product):
    api_client.get("/v1/products?category=electronics")
    created = admin_client_api.post(
        "/v1/products", {"name": "Trackball", "price": 50, "category": "electronics"}, format="json"
    )
    listing = api_client.get("/v1/products?category=electronics")
    assert listing["X-Cache"] == "MISS"
    assert created.json()["data"]["id"] in [item["id"] for item in listing.json()["data"]]


def test_api_delete_invalidates(api_client, admin_client_api, product, redis):
    _warm(api_client, product)
    admin_client_api.delete(_detail(product))
    assert not redis.exists(f"product:{product.pk}")
    assert _list_keys(redis) == []
    assert api_client.get(_detail(product)).status_code == 404
    assert api_client.get("/v1/products").json()["data"] == []


def test_slug_change_does_not_serve_the_old_slug_from_cache(api_client, admin_client_api, product):
    api_client.get("/v1/products/wireless-mouse")
    admin_client_api.patch(_detail(product), {"slug": "silent-mouse"}, format="json")
    api_client.get("/v1/products/silent-mouse")  # refills product:<uuid>
    assert api_client.get("/v1/products/wireless-mouse").status_code == 404


def test_stock_change_inside_an_order_transaction_invalidates(api_client, product, redis):
    """catalog.stock calls product_cache_invalidate right after the decrement."""
    _warm(api_client, product)
    with transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stock=3)
        product_cache.product_cache_invalidate(product_ids=[product.pk])
        assert not redis.exists(f"product:{product.pk}")
    assert api_client.get(_detail(product)).json()["data"]["stock"] == 3


def test_invalidation_runs_again_on_commit(product, redis, django_capture_on_commit_callbacks):
    key = f"product:{product.pk}"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        product_cache.product_cache_invalidate(product_ids=[product.pk])
        # A reader that rendered pre-commit data stores it before the commit...
        redis.set(key, b"stale", ex=600)
    # ...and the second invalidation at commit removes it.
    assert len(callbacks) == 1
    assert not redis.exists(key)


def test_fill_is_refused_after_an_invalidation_it_did_not_see(product, redis):
    """A reader computed a page from pre-commit data; the write's invalidation
    happened before it stored the result: the stale page must not land."""
    key = product_cache.product_list_cache_key({"page": 1})
    read = product_cache.product_list_cache_read(key=key)
    assert read.entry is None
    product_cache.product_cache_invalidate(product_ids=[product.pk])
    stale = product_cache.ListPage.of(b"{}", [product.pk])
    assert product_cache.product_list_cache_fill(key=key, page=stale, token=read.token) is False
    assert not redis.exists(key)
    fresh = product_cache.product_list_cache_read(key=key)
    assert product_cache.product_list_cache_fill(key=key, page=stale, token=fresh.token)
    assert redis.exists(key)


def test_invalidate_accepts_any_iterable_and_no_ids(product, redis, api_client):
    api_client.get("/v1/products")
    product_cache.product_cache_invalidate(product_ids=iter([]))
    assert _list_keys(redis) == []
    product_cache.product_cache_invalidate(product_ids={product.pk: product}.keys())


def test_cache_prefix_is_applied_to_raw_keys(api_client, product, redis, settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "KEY_PREFIX": "shop"},
    }
    api_client.get(_detail(product))
    assert redis.exists(f"shop:product:{product.pk}")
    assert api_client.get(_detail(product))["X-Cache"] == "HIT"
    services.product_update(product=product, data={"stock": 1})
    assert not redis.exists(f"shop:product:{product.pk}")


@pytest.fixture
def locmem_cache(settings):
    """The cache of a laptop without REDIS_URL."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "ecommerce.cache.keys.make_key",
        },
    }


@pytest.fixture
def redis_down(settings):
    """Point the cache at a port where no Redis listens."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:6392/0"},
    }


def test_reads_and_writes_work_when_redis_is_down(
    api_client, admin_client_api, product, redis_down, caplog
):
    assert api_client.get("/v1/products").status_code == 200
    detail = api_client.get(_detail(product))
    assert detail.status_code == 200
    assert detail["X-Cache"] == "MISS"
    response = admin_client_api.patch(_detail(product), {"stock": 2}, format="json")
    assert response.status_code == 200
    product_cache.product_cache_invalidate(product_ids=[product.pk])
    assert "Product cache" in caplog.text


def test_locmem_cache_hits_and_invalidates(api_client, product, locmem_cache):
    assert api_client.get(_detail(product))["X-Cache"] == "MISS"
    assert api_client.get(_detail(product))["X-Cache"] == "HIT"
    assert api_client.get("/v1/products")["X-Cache"] == "MISS"
    assert api_client.get("/v1/products")["X-Cache"] == "HIT"
    services.product_update(product=product, data={"price": Decimal("3.00")})
    assert api_client.get(_detail(product))["X-Cache"] == "MISS"
    listing = api_client.get("/v1/products")
    assert listing["X-Cache"] == "MISS"
    assert listing.json()["data"][0]["price"] == 3.0


def test_locmem_fill_after_unseen_invalidation_is_never_served(db, locmem_cache):
    key = product_cache.product_list_cache_key({"page": 1})
    read = product_cache.product_list_cache_read(key=key)
    product_cache.product_cache_invalidate(product_ids=[uuid.uuid4()])
    stale = product_cache.ListPage.of(b"{}", [])
    product_cache.product_list_cache_fill(key=key, page=stale, token=read.token)
    assert product_cache.product_list_cache_read(key=key).entry is None


def test_bulk_stock_set_invalidates(api_client, product, redis):
    other = ProductFactory()
    _warm(api_client, product)
    api_client.get(_detail(other))
    services.products_stock_set(product_ids=[product.pk, other.pk], stock=0)
    assert not redis.exists(f"product:{product.pk}", f"product:{other.pk}")
    assert _list_keys(redis) == []


@pytest.mark.django_db(transaction=True)
def test_read_during_an_open_write_transaction_is_not_served_after_commit(redis):
    """A reader sees pre-commit data while the write is open and caches it; the
    commit's invalidation removes it, so the first read after the commit is fresh."""
    import threading

    from rest_framework.test import APIClient

    product = ProductFactory(stock=10, category="race")
    results = {}

    def read(name: str) -> None:
        response = APIClient().get("/v1/products?category=race")
        results[name] = (response["X-Cache"], response.json()["data"][0]["stock"])

    with transaction.atomic():
        services.products_stock_set(product_ids=[product.pk], stock=1)
        reader = threading.Thread(target=read, args=("during",))
        reader.start()
        reader.join()
        assert results["during"] == ("MISS", 10)  # pre-commit data, and it was cached
        assert len(_list_keys(redis)) == 1
    read("after")
    assert results["after"] == ("MISS", 1)


def test_list_entry_missed_by_invalidation_is_still_never_served(api_client, product, redis):
    """Even if the index of list keys is lost (evicted), a list entry filled
    before a write is a miss after it."""
    api_client.get("/v1/products")
    redis.delete("products:list-index")
    services.product_update(product=product, data={"stock": 4})
    assert len(_list_keys(redis)) == 1  # left behind...
    listing = api_client.get("/v1/products")
    assert listing["X-Cache"] == "MISS"  # ...but not served
    assert listing.json()["data"][0]["stock"] == 4


# --- Redis outages ----------------------------------------------------------------------


def test_a_write_whose_invalidation_redis_missed_shows_once_redis_answers(
    api_client, product, own_redis
):
    api_client.get(_detail(product))
    api_client.get("/v1/products")
    assert api_client.get(_detail(product))["X-Cache"] == "HIT"

    with own_redis.frozen():
        services.product_update(product=product, data={"price": Decimal("12.34")})

    detail = api_client.get(_detail(product))
    listing = api_client.get("/v1/products")
    assert detail["X-Cache"] == "MISS"
    assert detail.json()["data"]["price"] == 12.34
    assert listing["X-Cache"] == "MISS"
    assert listing.json()["data"][0]["price"] == 12.34
    # Entries refill under the new epoch and hit again.
    assert api_client.get(_detail(product))["X-Cache"] == "HIT"


def test_entries_are_not_trusted_while_the_epoch_cannot_be_bumped(
    api_client, product, own_redis, settings
):
    api_client.get(_detail(product))
    with own_redis.frozen():
        services.product_update(product=product, data={"stock": 3})
    settings.REDIS_FAILURE_BACKOFF = 3600  # the breaker stays open: Redis is refused

    response = api_client.get(_detail(product))

    assert response["X-Cache"] == "MISS"
    assert response.json()["data"]["stock"] == 3
