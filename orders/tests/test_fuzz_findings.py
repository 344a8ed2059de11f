"""Regressions found by the API fuzzer (tests/fuzz/) in the orders API."""

import pytest

from orders.tests.factories import ORDERS, order_body, order_post, product_make

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", ["clé-1", "tab\there", "x" * 256])
def test_an_idempotency_key_outside_visible_ascii_is_refused(customer_client, key):
    # The schema says 1 to 255 visible ASCII characters; "é" used to pass
    # (str.isprintable), so the documented pattern was not the enforced one.
    product = product_make(stock=5)

    response = order_post(customer_client, order_body((product, 1)), key=key)

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"Idempotency-Key"}
    product.refresh_from_db()
    assert product.stock == 5


def test_an_idempotency_key_with_inner_spaces_is_accepted(customer_client):
    product = product_make(stock=5)

    response = order_post(customer_client, order_body((product, 1)), key="order 42 / try 1")

    assert response.status_code == 201


def test_a_number_as_shipping_zip_is_refused(customer_client):
    product = product_make(stock=5)
    body = order_body((product, 1))
    body["shippingAddress"]["zip"] = 62701

    response = order_post(customer_client, body)

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "shippingAddress": {"zip": ["Not a valid string."]}
    }


def test_a_status_move_without_status_is_refused(admin_client_api, customer_client):
    # The schema documented an all-optional PATCH body; `status` is required.
    product = product_make(stock=5)
    order = order_post(customer_client, order_body((product, 1))).json()["data"]

    response = admin_client_api.patch(f"{ORDERS}/{order['id']}", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"status"}
