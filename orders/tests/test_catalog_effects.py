"""What orders do to the catalog's API: stock visible on the very next read, removed
products still on past orders."""

import pytest

from orders.tests.factories import jobs_drain, order_place, product_id, product_make

pytestmark = pytest.mark.django_db


def _detail(client, product) -> tuple[int, str]:
    response = client.get(f"/v1/products/{product_id(product)}")
    return response.json()["data"]["stock"], response["X-Cache"]


def _listed_stock(client, product) -> int:
    data = client.get("/v1/products", {"category": product.category.slug}).json()["data"]
    return next(item["stock"] for item in data if item["id"] == product_id(product))


def _warm(client, product) -> None:
    client.get(f"/v1/products/{product_id(product)}")
    client.get("/v1/products", {"category": product.category.slug})
    assert _detail(client, product)[1] == "HIT"
    assert client.get("/v1/products", {"category": product.category.slug})["X-Cache"] == "HIT"


def test_order_decrement_is_visible_on_the_next_cached_read(api_client, customer_client):
    product = product_make(stock=10)
    _warm(api_client, product)

    order_place(customer_client, (product, 4))

    assert _detail(api_client, product) == (6, "MISS")
    assert _listed_stock(api_client, product) == 6


def test_declined_payment_stock_return_is_visible_on_the_next_read(
    api_client, customer_client, run_jobs
):
    product = product_make(stock=10)
    order_place(customer_client, (product, 4), token="tok_chargeDeclined")
    _warm(api_client, product)
    assert _detail(api_client, product)[0] == 6

    jobs_drain(run_jobs)

    assert _detail(api_client, product) == (10, "MISS")
    assert _listed_stock(api_client, product) == 10


def test_cancel_stock_return_is_visible_on_the_next_read(api_client, customer_client):
    product = product_make(stock=10)
    data = order_place(customer_client, (product, 4))
    _warm(api_client, product)

    assert customer_client.post(f"/v1/orders/{data['id']}/cancel").status_code == 200

    assert _detail(api_client, product) == (10, "MISS")
    assert _listed_stock(api_client, product) == 10


def test_removed_product_stays_on_past_orders(admin_client_api, customer_client):
    product = product_make(name="Old Kettle", price="20.00", stock=10)
    data = order_place(customer_client, (product, 2))

    assert admin_client_api.delete(f"/v1/products/{product_id(product)}").status_code == 204

    assert admin_client_api.get(f"/v1/products/{product_id(product)}").status_code == 404
    order = customer_client.get(f"/v1/orders/{data['id']}").json()["data"]
    variant = product.variants.get()
    assert order["items"] == [
        {
            "productId": product_id(product),
            "variantId": f"var_{variant.pk.hex}",
            "sku": variant.sku,
            "options": {},
            "name": "Old Kettle",
            "unitPrice": 20.0,
            "quantity": 2,
            "lineTotal": 40.0,
            "discount": 0.0,
            "tax": 0.0,
        }
    ]
    # Cancelling still puts the stock back on the (removed) product's row.
    assert customer_client.post(f"/v1/orders/{data['id']}/cancel").status_code == 200
    product.refresh_from_db()
    assert product.stock == 10
