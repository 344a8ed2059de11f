"""Regressions found by the API fuzzer (tests/fuzz/) in the products API."""

import pytest

pytestmark = pytest.mark.django_db

PRODUCTS = "/v1/products"


def _error(response) -> dict:
    return response.json()["error"]


def test_create_refuses_a_number_where_a_string_is_expected(admin_client_api):
    # DRF turned 0 into "0"; the schema says string, so the server must too.
    body = {"name": "Mouse", "price": 10, "category": 0}

    response = admin_client_api.post(PRODUCTS, body, format="json")

    assert response.status_code == 400
    assert _error(response)["code"] == "validation_error"
    assert set(_error(response)["details"]) == {"category"}


def test_update_refuses_a_list_where_a_string_is_expected(admin_client_api, product):
    response = admin_client_api.patch(
        f"{PRODUCTS}/{product.slug}", {"name": ["Mouse"]}, format="json"
    )

    assert response.status_code == 400
    assert set(_error(response)["details"]) == {"name"}


def test_an_unsupported_method_on_a_product_is_405_for_a_customer(customer_client, product):
    # It was 403: the admin-only permission answered before DRF's method check.
    response = customer_client.generic("TRACE", f"{PRODUCTS}/{product.slug}")

    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_an_unsupported_method_on_a_product_is_405_anonymously(api_client, product):
    response = api_client.generic("TRACE", f"{PRODUCTS}/{product.slug}")

    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_a_supported_write_method_is_still_refused_to_a_customer(customer_client, product):
    response = customer_client.delete(f"{PRODUCTS}/{product.slug}")

    assert response.status_code == 403
    assert _error(response)["code"] == "permission_denied"


@pytest.mark.parametrize("query", ["sort=", "minPrice=", "inStock=", "page=", "limit="])
def test_an_empty_query_parameter_counts_as_absent(api_client, product, query):
    # Documented as allowEmptyValue in the schema; the fuzzer holds the server to it.
    response = api_client.get(f"{PRODUCTS}?{query}")

    assert response.status_code == 200
    assert response.json()["pagination"]["total"] == 1
