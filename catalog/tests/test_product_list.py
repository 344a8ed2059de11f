"""GET /v1/products: filters, sorts, paging, malformed parameters, query count."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from ecommerce.api.ids import public_id

pytestmark = pytest.mark.django_db


def _ids(response) -> list[str]:
    return [item["id"] for item in response.json()["data"]]


def _pid(product: Product) -> str:
    return public_id("prod", product.pk)


def test_list_is_public_and_enveloped_with_pagination(api_client, product):
    response = api_client.get("/v1/products")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 1, "pages": 1}
    variant = product.variants.get()
    assert body["data"] == [
        {
            "id": _pid(product),
            "name": "Wireless Mouse",
            "slug": "wireless-mouse",
            "description": "A fine product.",
            "price": 10.0,
            "priceMax": 10.0,
            "currency": "USD",
            "category": "electronics",
            "stock": 10,
            "images": [],
            "options": [],
            "variants": [
                {
                    "id": f"var_{variant.pk.hex}",
                    "sku": "wireless-mouse",
                    "options": {},
                    "price": 10.0,
                    "stock": 10,
                    "weight": 0,
                }
            ],
            "media": [],
            "createdAt": product.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "updatedAt": product.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    ]


def test_list_answers_with_and_without_trailing_slash(api_client, product):
    assert api_client.get("/v1/products/").status_code == 200


def test_list_filters_by_exact_category(api_client):
    shoe = ProductFactory(category="shoes")
    ProductFactory(category="shoes-kids")
    ProductFactory(category="hats")
    assert _ids(api_client.get("/v1/products?category=shoes")) == [_pid(shoe)]


def test_list_filters_by_price_range_inclusive(api_client):
    cheap = ProductFactory(price=Decimal("5.00"))
    middle = ProductFactory(price=Decimal("10.00"))
    dear = ProductFactory(price=Decimal("20.00"))
    assert set(_ids(api_client.get("/v1/products?minPrice=10"))) == {_pid(middle), _pid(dear)}
    assert set(_ids(api_client.get("/v1/products?maxPrice=10.00"))) == {_pid(cheap), _pid(middle)}
    assert _ids(api_client.get("/v1/products?minPrice=6&maxPrice=19.99")) == [_pid(middle)]


def test_list_filters_in_stock(api_client):
    stocked = ProductFactory(stock=3)
    sold_out = ProductFactory(stock=0)
    assert _ids(api_client.get("/v1/products?inStock=true")) == [_pid(stocked)]
    assert _ids(api_client.get("/v1/products?inStock=false")) == [_pid(sold_out)]


def test_list_hides_products_removed_from_catalog(api_client):
    kept = ProductFactory()
    ProductFactory(deleted_at=timezone.now())
    assert _ids(api_client.get("/v1/products")) == [_pid(kept)]


def test_list_search_matches_words_in_name_or_description(api_client):
    by_name = ProductFactory(name="Ergonomic keyboard", description="Typing.")
    by_description = ProductFactory(name="Desk", description="Fits a keyboard tray.")
    ProductFactory(name="Lamp", description="Bright.")
    found = _ids(api_client.get("/v1/products?search=keyboards"))
    assert set(found) == {_pid(by_name), _pid(by_description)}


def test_filters_combine(api_client):
    match = ProductFactory(category="a", price=Decimal("15"), stock=1, name="Blue kettle")
    ProductFactory(category="a", price=Decimal("15"), stock=0, name="Blue kettle old")
    ProductFactory(category="b", price=Decimal("15"), stock=1, name="Blue kettle")
    ProductFactory(category="a", price=Decimal("50"), stock=1, name="Blue kettle")
    response = api_client.get("/v1/products?category=a&maxPrice=20&inStock=true&search=kettle")
    assert _ids(response) == [_pid(match)]


@pytest.fixture
def priced_products():
    """Four products with ties in price and name, so the id tie-break matters."""
    products = [
        ProductFactory(name="Banana", price=Decimal("2.00")),
        ProductFactory(name="Apple", price=Decimal("2.00")),
        ProductFactory(name="Cherry", price=Decimal("1.00")),
        ProductFactory(name="Cherry", price=Decimal("3.00")),
    ]
    base = timezone.now() - dt.timedelta(days=1)
    for offset, product in enumerate(products):
        Product.objects.filter(pk=product.pk).update(created_at=base + dt.timedelta(hours=offset))
    return products


def test_sort_price_asc_breaks_ties_by_id(api_client, priced_products):
    banana, apple, cherry1, cherry3 = priced_products
    twos = sorted([banana, apple], key=lambda product: product.pk)
    assert _ids(api_client.get("/v1/products?sort=price_asc")) == [
        _pid(cherry1),
        *map(_pid, twos),
        _pid(cherry3),
    ]


def test_sort_price_desc_breaks_ties_by_id(api_client, priced_products):
    banana, apple, cherry1, cherry3 = priced_products
    twos = sorted([banana, apple], key=lambda product: product.pk, reverse=True)
    assert _ids(api_client.get("/v1/products?sort=price_desc")) == [
        _pid(cherry3),
        *map(_pid, twos),
        _pid(cherry1),
    ]


def test_sort_name_breaks_ties_by_id(api_client, priced_products):
    banana, apple, cherry1, cherry3 = priced_products
    cherries = sorted([cherry1, cherry3], key=lambda product: product.pk)
    assert _ids(api_client.get("/v1/products?sort=name")) == [
        _pid(apple),
        _pid(banana),
        *map(_pid, cherries),
    ]


def test_sort_newest_is_the_default(api_client, priced_products):
    newest_first = list(map(_pid, reversed(priced_products)))
    assert _ids(api_client.get("/v1/products?sort=newest")) == newest_first
    assert _ids(api_client.get("/v1/products")) == newest_first


def test_paging_through_every_sort_never_repeats_or_skips(api_client):
    for index in range(23):
        # Many ties: three prices, two names, and one shared creation time.
        ProductFactory(name=f"Item {index % 2}", price=Decimal(1 + index % 3))
    Product.objects.update(created_at=timezone.now())
    all_ids = set(Product.objects.values_list("pk", flat=True))
    for sort in ("price_asc", "price_desc", "name", "newest"):
        seen: list[str] = []
        for page in (1, 2, 3):
            response = api_client.get(f"/v1/products?sort={sort}&limit=10&page={page}")
            assert response.json()["pagination"] == {
                "page": page,
                "limit": 10,
                "total": 23,
                "pages": 3,
            }
            seen.extend(_ids(response))
        assert len(seen) == 23, sort
        assert {public_id("prod", pk) for pk in all_ids} == set(seen), sort


def test_page_past_the_end_is_empty_with_correct_pagination(api_client, product):
    response = api_client.get("/v1/products?page=5&limit=10")
    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.json()["pagination"] == {"page": 5, "limit": 10, "total": 1, "pages": 1}


def test_limit_above_maximum_is_clamped(api_client, product):
    assert api_client.get("/v1/products?limit=500").json()["pagination"]["limit"] == 100


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("sort=cheapest", "sort"),
        ("minPrice=x", "minPrice"),
        ("maxPrice=NaN", "maxPrice"),
        ("minPrice=-1", "minPrice"),
        ("minPrice=1.234", "minPrice"),
        ("inStock=maybe", "inStock"),
        ("minPrice=20&maxPrice=10", "maxPrice"),
        ("search=" + "x" * 201, "search"),
        ("category=" + "c" * 101, "category"),
    ],
)
def test_malformed_parameter_is_400_naming_it(api_client, query, field):
    response = api_client.get(f"/v1/products?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert field in body["error"]["details"]


def test_every_malformed_parameter_is_reported_at_once(api_client):
    response = api_client.get("/v1/products?page=0&sort=cheapest&minPrice=x")
    assert set(response.json()["error"]["details"]) == {"page", "sort", "minPrice"}


def test_unknown_query_parameters_are_ignored(api_client, product):
    assert _ids(api_client.get("/v1/products?utm_source=mail")) == [_pid(product)]


def test_list_miss_costs_five_queries_and_a_hit_none(api_client, django_assert_num_queries):
    ProductFactory.create_batch(30)
    # The page's ids with the total (a window count), the page (its categories
    # joined), its variants, its options, its media.
    with django_assert_num_queries(5):
        assert api_client.get("/v1/products?limit=25")["X-Cache"] == "MISS"
    with django_assert_num_queries(0):
        assert api_client.get("/v1/products?limit=25")["X-Cache"] == "HIT"


def test_list_query_count_does_not_grow_with_page_size(api_client, django_assert_num_queries):
    ProductFactory.create_batch(100)
    with django_assert_num_queries(5):
        api_client.get("/v1/products?limit=100")
