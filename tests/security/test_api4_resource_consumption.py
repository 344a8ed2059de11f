"""API4 unrestricted resource consumption.

Every list clamps its page size, orders are bounded in lines and quantities,
request bodies in bytes (413 in the envelope) and nesting depth, and every
free-text input in length; none of it can turn into a 500 or unbounded work.
"""

import json

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from orders.models import Order
from orders.tests.factories import ADDRESS as SHIPPING_ADDRESS
from tests.security.conftest import order_body

pytestmark = pytest.mark.django_db

MAX_LIMIT = 100


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    return body


def _products(count: int) -> list[Product]:
    return [
        ProductFactory(name=f"Bulk {n}", slug=f"bulk-{n}", category="bulk", price=1, stock=5000)
        for n in range(count)
    ]


# --- page size -----------------------------------------------------------------------------


def test_the_product_list_clamps_the_page_size(db):
    _products(MAX_LIMIT + 5)

    response = APIClient().get("/v1/products", {"limit": 1_000_000})

    assert response.status_code == 200
    assert len(response.json()["data"]) == MAX_LIMIT
    assert response.json()["pagination"]["limit"] == MAX_LIMIT


def test_the_user_list_clamps_the_page_size(admin_client_api):
    UserFactory.create_batch(MAX_LIMIT + 1)

    response = admin_client_api.get("/v1/users", {"limit": 1_000_000})

    assert len(response.json()["data"]) == MAX_LIMIT
    assert response.json()["pagination"]["limit"] == MAX_LIMIT


def test_the_order_list_clamps_the_page_size(customer_order, customer_client):
    response = customer_client.get("/v1/orders", {"limit": 1_000_000})

    assert response.status_code == 200
    assert response.json()["pagination"]["limit"] == MAX_LIMIT


@pytest.mark.parametrize("path", ["/v1/products", "/v1/orders", "/v1/users"])
def test_an_absurd_page_number_is_refused_not_turned_into_a_huge_offset(path, admin_client_api):
    response = admin_client_api.get(path, {"page": 10**15})

    body = _assert_error(response, 400, "validation_error")
    assert "page" in body["error"]["details"]


def test_too_many_query_parameters_are_refused_in_the_envelope(db):
    query = "&".join(f"p{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    response = APIClient().get(f"/v1/products?{query}")

    _assert_error(response, 400, "bad_request")


# --- orders -------------------------------------------------------------------------------


def test_an_order_of_more_than_50_lines_is_refused(customer_client):
    products = _products(51)
    body = order_body(f"prod_{products[0].id.hex}")
    body["items"] = [{"productId": f"prod_{p.id.hex}", "quantity": 1} for p in products]

    response = customer_client.post("/v1/orders", body, format="json")

    body = _assert_error(response, 400, "validation_error")
    assert "items" in body["error"]["details"]
    assert not Order.objects.exists()


def test_an_order_of_50_lines_is_accepted(customer_client):
    products = _products(50)
    body = order_body(f"prod_{products[0].id.hex}")
    body["items"] = [{"productId": f"prod_{p.id.hex}", "quantity": 1} for p in products]

    response = customer_client.post("/v1/orders", body, format="json")

    assert response.status_code == 201
    assert len(response.json()["data"]["items"]) == 50


def test_a_quantity_over_1000_is_refused(customer_client):
    (product,) = _products(1)

    response = customer_client.post(
        "/v1/orders", order_body(f"prod_{product.id.hex}", 1001), format="json"
    )

    body = _assert_error(response, 400, "validation_error")
    assert "items" in body["error"]["details"]
    product.refresh_from_db()
    assert product.stock == 5000


def test_a_quantity_of_1000_is_accepted(customer_client):
    (product,) = _products(1)

    response = customer_client.post(
        "/v1/orders", order_body(f"prod_{product.id.hex}", 1000), format="json"
    )

    assert response.status_code == 201


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "1000000", 10**30, True])
def test_a_quantity_that_is_not_1_to_1000_is_refused(customer_client, quantity):
    (product,) = _products(1)

    response = customer_client.post(
        "/v1/orders", order_body(f"prod_{product.id.hex}", quantity), format="json"
    )

    _assert_error(response, 400, "validation_error")


# --- body size ---------------------------------------------------------------------------


@pytest.fixture
def small_body_limit(settings) -> int:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    return 2048


@pytest.mark.parametrize(
    "path",
    [
        "/v1/auth/login",
        "/v1/auth/register",
        "/v1/auth/password/reset",
        "/v1/payments/webhook",
        "/v1/payments/webhook/stripe",
    ],
)
def test_a_public_endpoint_refuses_a_body_over_max_body_bytes_with_413(path, small_body_limit, db):
    body = json.dumps({"email": "a@example.com", "padding": "x" * small_body_limit})

    response = APIClient().post(path, body, content_type="application/json")

    _assert_error(response, 413, "payload_too_large")


def test_an_order_body_over_max_body_bytes_is_413_and_creates_nothing(
    customer_client, small_body_limit
):
    (product,) = _products(1)
    body = order_body(f"prod_{product.id.hex}")
    body["shippingAddress"] = {**SHIPPING_ADDRESS, "street": "x" * small_body_limit}

    response = customer_client.post("/v1/orders", body, format="json")

    _assert_error(response, 413, "payload_too_large")
    assert not Order.objects.exists()


def test_a_body_that_lies_about_its_length_is_still_cut_at_the_limit(small_body_limit, db):
    body = json.dumps({"email": "a@example.com", "password": "x" * (4 * small_body_limit)})

    response = APIClient().post(
        "/v1/auth/login", body, content_type="application/json", CONTENT_LENGTH="10"
    )

    assert response.status_code in (400, 413)
    assert response.json()["success"] is False


def test_the_default_body_limit_is_one_mebibyte():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1024 * 1024


# --- nesting and numbers ---------------------------------------------------------------


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deeply_nested_json_is_a_400_not_a_crash(opener, db):
    body = opener * 50_000  # far under MAX_BODY_BYTES, far over any parser's recursion

    response = APIClient().post("/v1/auth/login", body, content_type="application/json")

    _assert_error(response, 400, "invalid_json")


def test_deeply_nested_json_in_an_order_is_a_400(customer_client):
    (product,) = _products(1)
    nested = "[" * 5000 + "]" * 5000
    body = json.dumps(order_body(f"prod_{product.id.hex}"))
    body = body.replace('"card"', nested)

    response = customer_client.post("/v1/orders", body, content_type="application/json")

    assert response.status_code == 400
    assert not Order.objects.exists()


def test_json_nested_past_the_depth_limit_is_invalid_json(customer_client):
    # 500 levels parse without a RecursionError; later code must not get them.
    (product,) = _products(1)
    body = order_body(f"prod_{product.id.hex}")
    body["shippingAddress"]["street"] = json.loads("[" * 500 + "]" * 500)

    response = customer_client.post("/v1/orders", body, format="json")

    _assert_error(response, 400, "invalid_json")
    assert not Order.objects.exists()


def test_json_within_the_depth_limit_reaches_validation(customer_client):
    from ecommerce.api.parsers import MAX_JSON_DEPTH

    (product,) = _products(1)
    body = order_body(f"prod_{product.id.hex}")
    depth_left = MAX_JSON_DEPTH - 2  # the body and shippingAddress are two levels
    body["shippingAddress"]["street"] = json.loads("[" * depth_left + "]" * depth_left)

    response = customer_client.post("/v1/orders", body, format="json")

    body = _assert_error(response, 400, "validation_error")
    assert "street" in body["error"]["details"]["shippingAddress"]


def test_a_number_with_thousands_of_digits_is_a_400(customer_client):
    (product,) = _products(1)
    body = json.dumps(order_body(f"prod_{product.id.hex}")).replace(
        '"quantity": 1', '"quantity": ' + "9" * 5000
    )

    response = customer_client.post("/v1/orders", body, content_type="application/json")

    assert response.status_code == 400


# --- long strings -------------------------------------------------------------------------


def test_a_long_password_is_refused_before_it_is_hashed(customer):
    response = APIClient().post(
        "/v1/auth/login", {"email": customer.email, "password": "x" * 100_000}, format="json"
    )

    body = _assert_error(response, 400, "validation_error")
    assert "password" in body["error"]["details"]


@pytest.mark.parametrize(
    ("path", "field", "length"),
    [
        ("/v1/auth/register", "email", 300),
        ("/v1/auth/register", "name", 256),
        ("/v1/auth/password/reset", "email", 300),
        ("/v1/auth/refresh", "refreshToken", 5000),
        ("/v1/auth/password/reset/confirm", "token", 600),
    ],
)
def test_a_long_public_input_is_refused_naming_it(path, field, length, db):
    body = {
        "email": "a@example.com",
        "password": "a-long-passphrase-77",
        "name": "Name",
        "refreshToken": "x",
        "token": "x",
        "newPassword": "a-long-passphrase-77",
    }
    allowed = {
        "/v1/auth/register": {"email", "password", "name"},
        "/v1/auth/password/reset": {"email"},
        "/v1/auth/refresh": {"refreshToken"},
        "/v1/auth/password/reset/confirm": {"token", "newPassword"},
    }[path]
    body = {key: value for key, value in body.items() if key in allowed}
    body[field] = ("x" * length + "@example.com") if field == "email" else "x" * length

    response = APIClient().post(path, body, format="json")

    body = _assert_error(response, 400, "validation_error")
    assert field in body["error"]["details"]


@pytest.mark.parametrize("field", ["street", "city", "zip", "country"])
def test_a_long_shipping_address_field_is_refused(customer_client, field):
    (product,) = _products(1)
    body = order_body(f"prod_{product.id.hex}")
    body["shippingAddress"][field] = "x" * 10_000

    response = customer_client.post("/v1/orders", body, format="json")

    _assert_error(response, 400, "validation_error")


def test_a_long_payment_token_is_refused(customer_client):
    (product,) = _products(1)

    response = customer_client.post(
        "/v1/orders", order_body(f"prod_{product.id.hex}", paymentToken="x" * 256), format="json"
    )

    _assert_error(response, 400, "validation_error")


def test_a_long_idempotency_key_is_refused(customer_client):
    (product,) = _products(1)

    response = customer_client.post(
        "/v1/orders",
        order_body(f"prod_{product.id.hex}"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k" * 256,
    )

    body = _assert_error(response, 400, "validation_error")
    assert "Idempotency-Key" in body["error"]["details"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * 256),
        ("description", "x" * 20_001),
        ("category", "x" * 101),
        ("slug", "x" * 281),
        ("images", [f"https://img.example.com/{n}.png" for n in range(21)]),
    ],
)
def test_long_product_fields_are_refused(admin_client_api, field, value):
    body = {"name": "Lamp", "price": 10, "category": "home", field: value}

    response = admin_client_api.post("/v1/products", body, format="json")

    body = _assert_error(response, 400, "validation_error")
    assert field in body["error"]["details"]


@pytest.mark.parametrize(("param", "length"), [("search", 201), ("category", 101)])
def test_long_product_list_filters_are_refused(param, length, db):
    response = APIClient().get("/v1/products", {param: "x" * length})

    _assert_error(response, 400, "validation_error")


def test_a_long_email_filter_is_refused(admin_client_api):
    response = admin_client_api.get("/v1/users", {"email": "x" * 300})

    _assert_error(response, 400, "validation_error")


def test_a_long_object_id_in_the_path_is_a_404(customer_client):
    response = customer_client.get("/v1/orders/ord_" + "a" * 10_000)

    _assert_error(response, 404, "not_found")


def test_a_huge_bearer_token_is_refused_quickly(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + "a" * 50_000 + ".b.c")

    response = client.get("/v1/users/me")

    assert response.status_code == 401


def test_a_long_request_id_is_not_echoed(db):
    response = APIClient().get("/v1/products", HTTP_X_REQUEST_ID="r" * 10_000)

    assert len(response["X-Request-ID"]) == 32
