"""API4 unrestricted resource consumption: cost amplification through a body's shape.

An anonymous ``POST /v1/auth/refresh`` of one megabyte holding 111,846
unknown keys took 1.8 s and answered 3.17 MB: every key validated, every key
named in the error. Three clients sending three each pushed ``/health`` to
2.5 s. Now the one JSON parser of every endpoint (ecommerce/api/parsers.py)
bounds keys per object, characters per key and items per list before any
serializer runs, and an answer names at most a few unknown fields. Sizes and
counts are asserted, never time.
"""

import json
import string

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from ecommerce.api.parsers import MAX_JSON_ITEMS, MAX_JSON_KEY_LENGTH, MAX_JSON_KEYS
from ecommerce.api.serializers import UNKNOWN_FIELDS_REPORTED
from orders.models import Order
from tests.security.conftest import MULTIPART_ROUTES, call, route_path
from tests.security.routes import WEBHOOK, WRITE_METHODS, api_routes

pytestmark = pytest.mark.django_db

# Well under a kilobyte: the envelope, a code, a message, a few field names.
SMALL_ANSWER = 1024
ALPHABET = string.digits + string.ascii_lowercase


def wide_object(keys: int) -> bytes:
    """``{"0000": 0, "0001": 0, ...}`` with four-character keys: 9 bytes a key."""

    def name(number: int) -> str:
        digits = ""
        for _ in range(4):
            number, digit = divmod(number, len(ALPHABET))
            digits = ALPHABET[digit] + digits
        return digits

    return ("{" + ",".join(f'"{name(n)}":0' for n in range(keys)) + "}").encode()


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code, body
    return body["error"]


def test_a_megabyte_of_unknown_keys_gets_a_small_answer_naming_none():
    body = wide_object(111_846)
    assert 1_000_000 < len(body) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = APIClient().post("/v1/auth/refresh", body, content_type="application/json")

    error = error_of(response, 400, "invalid_json")
    assert len(response.content) < SMALL_ANSWER
    assert error["details"] == {}
    assert str(MAX_JSON_KEYS) in error["message"]


def test_unknown_fields_under_the_key_cap_are_named_a_few_only():
    body = {"refreshToken": "x", **{f"extra{n}": 0 for n in range(MAX_JSON_KEYS - 1)}}

    response = APIClient().post("/v1/auth/refresh", body, format="json")

    error = error_of(response, 400, "validation_error")
    assert len(response.content) < SMALL_ANSWER
    named = [field for field in error["details"] if field.startswith("extra")]
    assert len(named) == UNKNOWN_FIELDS_REPORTED
    more = MAX_JSON_KEYS - 1 - UNKNOWN_FIELDS_REPORTED
    assert error["details"]["nonFieldErrors"] == [f"And {more} more unknown fields."]


def test_one_unknown_field_is_still_named():
    response = APIClient().post("/v1/auth/refresh", {"refreshToken": "x", "rol": 1}, format="json")

    assert error_of(response, 400, "validation_error")["details"] == {"rol": ["Unknown field."]}


def test_a_huge_key_is_refused_not_echoed():
    body = {"refreshToken": "x", "k" * 500_000: 0}

    response = APIClient().post("/v1/auth/refresh", body, format="json")

    error_of(response, 400, "invalid_json")
    assert len(response.content) < SMALL_ANSWER
    assert str(MAX_JSON_KEY_LENGTH) in response.json()["error"]["message"]


def test_a_long_list_is_refused_before_its_items_are_validated(admin_client_api):
    images = ["x"] * 100_000
    body = {"name": "Wide", "price": 1, "category": "test", "images": images}

    response = admin_client_api.post("/v1/products", body, format="json")

    error = error_of(response, 400, "invalid_json")
    assert len(response.content) < SMALL_ANSWER
    assert str(MAX_JSON_ITEMS) in error["message"]


def test_a_wide_order_line_list_writes_nothing(customer_client, product):
    line = {"productId": f"prod_{product.id.hex}", "quantity": 1}
    body = {
        "items": [line] * (MAX_JSON_ITEMS + 1),
        "shippingAddress": {},
        "paymentMethod": "card",
    }

    response = customer_client.post("/v1/orders", body, format="json")

    error_of(response, 400, "invalid_json")
    assert not Order.objects.exists()


# Writes that take no body and never read one (their schema has no request body).
TAKE_NO_BODY = {("auth/logout-all", "POST"), ("orders/<str:order_id>/cancel", "POST")}


def _write_routes():
    return [
        route
        for route in api_routes()
        if route.method in WRITE_METHODS
        and route.method != "DELETE"
        # The provider's webhook is checked by signature over the raw bytes first.
        and route.access != WEBHOOK
        and route.key not in TAKE_NO_BODY
        # A photo upload is multipart, not JSON: Django bounds its fields
        # (DATA_UPLOAD_MAX_NUMBER_FIELDS) and the media tests its file.
        and route.key not in MULTIPART_ROUTES
    ]


@pytest.mark.parametrize("route", _write_routes(), ids=str)
def test_every_endpoint_taking_a_body_refuses_a_wide_one_the_same_way(
    route, admin_client_api, customer_ids
):
    body = json.loads(wide_object(MAX_JSON_KEYS + 1))

    response = call(admin_client_api, route, route_path(route, customer_ids), body)

    error = error_of(response, 400, "invalid_json")
    assert len(response.content) < SMALL_ANSWER
    assert error["details"] == {}
