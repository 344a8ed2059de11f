import pytest
from django.conf import settings
from django_redis import get_redis_connection

from catalog.tests.factories import ProductFactory


@pytest.fixture
def product(db):
    return ProductFactory(name="Wireless Mouse", slug="wireless-mouse", category="electronics")


@pytest.fixture
def redis():
    """The raw Redis behind the cache: tests assert on real keys and TTLs."""
    assert settings.REDIS_URL, "catalog tests expect REDIS_URL to be set"
    return get_redis_connection("default")
