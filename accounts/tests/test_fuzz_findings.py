"""Regressions found by the API fuzzer (tests/fuzz/) in the accounts API."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unsupported_method_on_the_admin_user_list_is_405_for_a_customer(customer_client):
    # It was 403: IsAdminRole answered before DRF's method check.
    response = customer_client.generic("TRACE", "/v1/users")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_admin_user_list_is_still_refused_to_a_customer(customer_client):
    response = customer_client.get("/v1/users")

    assert response.status_code == 403


def test_register_refuses_a_number_as_name(api_client):
    body = {"email": "new@example.com", "password": "a-long-passphrase", "name": 12345}

    response = api_client.post("/v1/auth/register", body, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"name"}


def test_update_refuses_a_boolean_as_phone(customer_client, customer):
    from ecommerce.api.ids import PREFIXES, public_id

    response = customer_client.patch(
        f"/v1/users/{public_id(PREFIXES['user'], customer.pk)}", {"phone": True}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"phone"}
