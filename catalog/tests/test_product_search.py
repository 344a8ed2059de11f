"""Full-text search on PostgreSQL: stemming, web-search syntax, ranking."""

import pytest
from django.db import connection

from catalog.models import Product
from catalog.tests.factories import ProductFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search"),
]


def _names(response) -> list[str]:
    return [item["name"] for item in response.json()["data"]]


def test_search_vector_is_maintained_by_the_database(db):
    product = ProductFactory(name="Running shoes", description="Light.")
    Product.objects.filter(pk=product.pk).update(description="Waterproof trail runners")
    assert Product.objects.filter(search_vector="waterproof").exists()


def test_search_ranks_name_matches_above_description_matches(api_client):
    ProductFactory(name="Desk", description="A desk with room for a lamp.")
    ProductFactory(name="Reading lamp", description="Warm light.")
    ProductFactory(name="Chair", description="No match here.")
    assert _names(api_client.get("/v1/products?search=lamp")) == ["Reading lamp", "Desk"]


def test_search_ranks_more_matching_words_higher(api_client):
    ProductFactory(name="Wireless keyboard")
    ProductFactory(name="Wireless mouse", description="A wireless mouse for a wireless desk.")
    assert _names(api_client.get("/v1/products?search=wireless mouse")) == ["Wireless mouse"]
    ranked = _names(api_client.get("/v1/products?search=wireless or mouse"))
    assert ranked == ["Wireless mouse", "Wireless keyboard"]


def test_search_stems_words(api_client):
    ProductFactory(name="Running shoes")
    assert _names(api_client.get("/v1/products?search=runs")) == ["Running shoes"]


def test_search_supports_exclusion(api_client):
    ProductFactory(name="Leather boots")
    ProductFactory(name="Rubber boots")
    assert _names(api_client.get("/v1/products?search=boots -rubber")) == ["Leather boots"]


def test_explicit_sort_overrides_relevance(api_client):
    ProductFactory(name="Lamp lamp lamp", price=30)
    ProductFactory(name="Small lamp", price=10)
    assert _names(api_client.get("/v1/products?search=lamp&sort=price_asc")) == [
        "Small lamp",
        "Lamp lamp lamp",
    ]


def test_search_uses_the_gin_index(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'product_search_vector_idx'"
        )
        (definition,) = cursor.fetchone()
    assert "gin (search_vector)" in definition


def test_search_of_only_stop_words_finds_nothing_without_error(api_client, product):
    response = api_client.get("/v1/products?search=the")
    assert response.status_code == 200
    assert response.json()["data"] == []
