"""The product cache while orders flow: an order's stock change drops only what shows
that product, every read after it shows the new stock, and a cached read costs one
Redis round trip (the rate-limit count included). Real PostgreSQL, real Redis."""

import threading
import uuid

import prometheus_client
import pytest
from django.db import transaction
from rest_framework.test import APIClient

from catalog import cache as product_cache
from catalog.models import Product
from catalog.stock import ReleaseLine, StockLine, stock_release, stock_reserve
from catalog.tests.factories import ProductFactory
from catalog.views import _list_query
from ecommerce.api.ids import public_id
from tests.redis_server import redis_commands_sent

pytestmark = pytest.mark.django_db


def _detail(product: Product) -> str:
    return f"/v1/products/{public_id('prod', product.pk)}"


def _order(product: Product, quantity: int = 1) -> None:
    """What an order does to stock: a reservation in its own transaction."""
    with transaction.atomic():
        stock_reserve(
            lines=[StockLine(quantity=quantity, product_id=product.pk)], order_id=uuid.uuid4()
        )


def _stocks(response) -> dict[str, int]:
    return {item["slug"]: item["stock"] for item in response.json()["data"]}


def _counted(view: str, result: str) -> float:
    value = prometheus_client.REGISTRY.get_sample_value(
        "ecommerce_response_cache_total", {"view": view, "result": result}
    )
    return value or 0.0


@pytest.fixture
def two_products(db):
    ordered = ProductFactory(slug="ordered", category="kitchen", stock=10)
    other = ProductFactory(slug="other", category="garden", stock=10)
    return ordered, other


def test_an_order_leaves_pages_without_the_product_hits(api_client, two_products, redis):
    ordered, other = two_products
    assert api_client.get("/v1/products?category=garden")["X-Cache"] == "MISS"
    assert api_client.get(_detail(other))["X-Cache"] == "HIT"  # filled by the list
    garden_key = _list_query("category=garden").cache_key
    garden_entry = redis.get(garden_key)
    hits_before = _counted("product-list", "hit")

    _order(ordered, 2)

    response = api_client.get("/v1/products?category=garden")
    assert response["X-Cache"] == "HIT"
    assert _stocks(response) == {"other": 10}
    assert redis.get(garden_key) == garden_entry  # not rewritten, not dropped
    assert api_client.get(_detail(other))["X-Cache"] == "HIT"
    assert _counted("product-list", "hit") == hits_before + 1


def test_pages_with_the_product_show_the_new_stock_on_the_next_read(
    api_client, two_products, redis
):
    ordered, _ = two_products
    api_client.get("/v1/products")
    api_client.get("/v1/products?category=kitchen")
    api_client.get(_detail(ordered))
    misses_before = _counted("product-list", "miss")

    _order(ordered, 3)

    listing = api_client.get("/v1/products")
    assert listing["X-Cache"] == "MISS"  # the ordered product came from PostgreSQL
    assert _stocks(listing) == {"ordered": 7, "other": 10}
    assert _counted("product-list", "miss") == misses_before + 1
    # That read stored the product again: the other page and its detail now hit.
    kitchen = api_client.get("/v1/products?category=kitchen")
    assert (kitchen["X-Cache"], _stocks(kitchen)) == ("HIT", {"ordered": 7})
    detail = api_client.get(_detail(ordered))
    assert (detail["X-Cache"], detail.json()["data"]["stock"]) == ("HIT", 7)
    assert api_client.get("/v1/products")["X-Cache"] == "HIT"


def test_a_release_shows_too(api_client, two_products):
    ordered, _ = two_products
    _order(ordered, 4)
    assert _stocks(api_client.get("/v1/products?category=kitchen")) == {"ordered": 6}
    variant = ordered.variants.get()
    with transaction.atomic():
        stock_release(lines=[ReleaseLine(variant_id=variant.pk, quantity=4)], order_id=uuid.uuid4())
    assert _stocks(api_client.get("/v1/products?category=kitchen")) == {"ordered": 10}


def test_the_assembled_page_is_the_whole_render_byte_for_byte(api_client, two_products, redis):
    ordered, _ = two_products
    before = api_client.get("/v1/products")
    _order(ordered)
    assembled = api_client.get("/v1/products")
    assert api_client.get("/v1/products")["X-Cache"] == "HIT"

    for key in redis.scan_iter(match="product*"):
        redis.delete(key)
    whole = api_client.get("/v1/products")

    assert whole["X-Cache"] == "MISS"
    assert assembled.content == whole.content
    assert assembled["ETag"] == whole["ETag"] != before["ETag"]
    assert api_client.get("/v1/products", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200
    assert api_client.get("/v1/products", HTTP_IF_NONE_MATCH=whole["ETag"]).status_code == 304


def test_pages_filtered_on_stock_follow_every_order(api_client, db):
    last = ProductFactory(slug="last-one", category="shed", stock=1)
    ProductFactory(slug="plenty", category="shed", stock=5)
    assert set(_stocks(api_client.get("/v1/products?inStock=true"))) == {"last-one", "plenty"}
    assert set(_stocks(api_client.get("/v1/products?inStock=false"))) == set()
    assert api_client.get("/v1/products?inStock=true")["X-Cache"] == "HIT"

    _order(last, 1)

    in_stock = api_client.get("/v1/products?inStock=true")
    assert (in_stock["X-Cache"], set(_stocks(in_stock))) == ("MISS", {"plenty"})
    assert _stocks(api_client.get("/v1/products?inStock=false")) == {"last-one": 0}
    # A page not filtered on stock keeps its entry and shows the stock.
    assert api_client.get("/v1/products?category=shed")["X-Cache"] == "MISS"
    _order(ProductFactory(slug="elsewhere", category="attic", stock=3), 1)
    shed = api_client.get("/v1/products?category=shed")
    assert (shed["X-Cache"], _stocks(shed)) == ("HIT", {"last-one": 0, "plenty": 5})


def test_a_staff_write_still_drops_every_page(api_client, admin_client_api, two_products, redis):
    ordered, _ = two_products
    api_client.get("/v1/products?category=garden")
    response = admin_client_api.patch(_detail(ordered), {"price": "55.00"}, format="json")
    assert response.status_code == 200
    assert api_client.get("/v1/products?category=garden")["X-Cache"] == "MISS"
    listing = api_client.get("/v1/products?sort=price_desc")
    assert [item["slug"] for item in listing.json()["data"]] == ["ordered", "other"]


# --- one round trip -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v1/products?category=kitchen", "detail", "/v1/products/ordered"]
)
def test_a_cached_read_costs_one_redis_round_trip(api_client, two_products, monkeypatch, path):
    ordered, _ = two_products
    path = _detail(ordered) if path == "detail" else path
    api_client.get(path)
    api_client.get(path)  # the slug hint and the scripts are in place

    with redis_commands_sent(monkeypatch) as sent:
        response = api_client.get(path)

    assert response["X-Cache"] == "HIT"
    assert len(sent) == 1
    assert response["X-RateLimit-Limit"] == "1000"
    assert response["X-RateLimit-Remaining"] == "997"


def test_the_one_round_trip_counts_like_the_throttle(api_client, two_products, redis, settings):
    settings.RATE_LIMIT = "3/hour"
    path = "/v1/products?category=kitchen"
    statuses = [api_client.get(path).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = api_client.get(path)
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused["X-RateLimit-Remaining"] == "0"
    assert refused["X-RateLimit-Reset"] == refused["Retry-After"]
    assert int(redis.get("rate_limit:api:127.0.0.1")) == 6
    assert 3590 <= redis.ttl("rate_limit:api:127.0.0.1") <= 3600


def test_an_invalid_list_query_is_still_counted(api_client, db, redis):
    assert api_client.get("/v1/products?limit=zero").status_code == 400
    assert int(redis.get("rate_limit:api:127.0.0.1")) == 1


# --- races and outages ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_read_during_an_open_order_is_not_served_after_its_commit(redis):
    product = ProductFactory(slug="raced", category="race", stock=10)
    APIClient().get("/v1/products?category=race")
    results = {}

    def read(name: str) -> None:
        response = APIClient().get("/v1/products?category=race")
        results[name] = (response["X-Cache"], _stocks(response)["raced"])

    with transaction.atomic():
        stock_reserve(lines=[StockLine(quantity=1, product_id=product.pk)], order_id=uuid.uuid4())
        reader = threading.Thread(target=read, args=("during",))
        reader.start()
        reader.join()
        assert results["during"] == ("MISS", 10)  # pre-commit data, and it was stored
    read("after")
    assert results["after"] == ("MISS", 9)
    read("again")
    assert results["again"] == ("HIT", 9)


@pytest.mark.django_db(transaction=True)
def test_concurrent_readers_and_orders_leave_nothing_stale(redis):
    product = ProductFactory(slug="busy", category="race", stock=50)
    orders, stop = 12, threading.Event()
    errors: list[BaseException] = []

    def reader() -> None:
        client = APIClient()
        try:
            while not stop.is_set():
                client.get("/v1/products?category=race")
                client.get(_detail(product))
                client.get("/v1/products/busy")
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for _ in range(orders):
            _order(product)
    finally:
        stop.set()
        for thread in readers:
            thread.join()

    assert errors == []
    client = APIClient()
    for path in ("/v1/products?category=race", _detail(product), "/v1/products/busy"):
        response = client.get(path)
        data = response.json()["data"]
        stock = data[0]["stock"] if isinstance(data, list) else data["stock"]
        assert stock == 50 - orders, path


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:6392/0"},
    }


def test_orders_and_reads_work_when_redis_is_down(api_client, two_products, redis_down, caplog):
    ordered, _ = two_products
    _order(ordered, 2)
    listing = api_client.get("/v1/products?category=kitchen")
    assert (listing.status_code, listing["X-Cache"]) == (200, "MISS")
    assert _stocks(listing) == {"ordered": 8}
    # The throttle fails open with a full quota, as when it counts on its own.
    assert listing["X-RateLimit-Remaining"] == listing["X-RateLimit-Limit"] == "1000"
    assert "Rate limiting skipped" in caplog.text
    assert "Product cache" in caplog.text


def test_pages_of_the_release_before_are_misses_not_outages(
    api_client, two_products, redis, caplog
):
    """Pods of two releases share one Redis during a rolling deploy: the older one
    stored whole pages under the same key. Each reads the other's as a miss."""
    key = _list_query("category=kitchen").cache_key
    old_page = product_cache.CachedResponse.from_body(b'{"success":true,"data":[]}')
    redis.set(key, old_page.encode(" "), ex=300)  # the old format, under today's counters

    response = api_client.get("/v1/products?category=kitchen")

    assert (response["X-Cache"], _stocks(response)) == ("MISS", {"ordered": 10})
    assert "Product cache unavailable" not in caplog.text
    assert api_client.get("/v1/products?category=kitchen")["X-Cache"] == "HIT"
    # The older release splits an entry into token, ETag, slug and body: ours
    # gives it a token no generation matches.
    token, *_ = redis.get(key).split(b"\n", 3)
    assert len(redis.get(key).split(b"\n", 3)) == 4
    assert token.startswith(b"ids ")
