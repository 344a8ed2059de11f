"""The OpenAPI schema states what the server enforces: findings of the API fuzzer.

Each of these was a schema-valid request the server refused (or the reverse)
until the schema said so; tests/fuzz/ holds the server to the schema.
"""

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client) -> dict:
    response = api_client.get("/v1/schema", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _component(schema: dict, name: str) -> dict:
    return schema["components"]["schemas"][name]


def _body(schema: dict, path: str, method: str) -> dict:
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in body:
        return _component(schema, body["$ref"].rsplit("/", 1)[1])
    return body


def _parameter(schema: dict, path: str, method: str, name: str) -> dict:
    return next(p for p in schema["paths"][path][method]["parameters"] if p["name"] == name)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/v1/auth/register", "post"),
        ("/v1/auth/login", "post"),
        ("/v1/orders", "post"),
        ("/v1/orders/{order_id}", "patch"),
        ("/v1/products", "post"),
        ("/v1/products/{id_or_slug}", "patch"),
        ("/v1/users/{user_id}", "patch"),
        ("/v1/payments/{payment_id}/refund", "post"),
    ],
)
def test_request_bodies_refuse_unknown_fields(schema, path, method):
    body = _body(schema, path, method)
    # A oneOf body (the order status move) refuses them in every branch.
    for branch in body.get("oneOf", [body]):
        assert branch["additionalProperties"] is False


def test_nested_request_objects_refuse_unknown_fields_too(schema):
    assert _component(schema, "ShippingAddressRequest")["additionalProperties"] is False
    assert _component(schema, "OrderLineInputRequest")["additionalProperties"] is False


def test_order_items_state_their_bounds(schema):
    items = _body(schema, "/v1/orders", "post")["properties"]["items"]

    assert (items["minItems"], items["maxItems"]) == (1, 50)


@pytest.mark.parametrize(
    ("path", "method", "field"),
    [
        ("/v1/products", "post", "price"),
        ("/v1/payments/{payment_id}/refund", "post", "amount"),
    ],
)
def test_money_inputs_allow_two_decimals(schema, path, method, field):
    assert _body(schema, path, method)["properties"][field]["multipleOf"] == 0.01


@pytest.mark.parametrize("path", ["/v1/products", "/v1/orders", "/v1/users"])
def test_page_and_limit_state_the_bounds_the_parser_enforces(schema, path):
    for name in ("page", "limit"):
        bounds = _parameter(schema, path, "get", name)["schema"]
        assert (bounds["minimum"], bounds["maximum"]) == (1, 10_000_000)


@pytest.mark.parametrize(
    ("path", "name"),
    [("/v1/products", "sort"), ("/v1/orders", "userId"), ("/v1/users", "role")],
)
def test_optional_query_parameters_may_be_sent_empty(schema, path, name):
    assert _parameter(schema, path, "get", name)["allowEmptyValue"] is True


def test_strings_state_that_nul_and_blank_are_refused(schema):
    register = _body(schema, "/v1/auth/register", "post")["properties"]
    name, password = (
        re.compile(register["name"]["pattern"]),
        re.compile(register["password"]["pattern"]),
    )

    assert name.search("Ada") and not name.search("A\x00da") and not name.search(" \t ")
    assert password.search("  spaces count  ") and not password.search("pass\x00word")


def test_a_field_with_its_own_pattern_keeps_it(schema):
    phone = _body(schema, "/v1/users/{user_id}", "patch")["properties"]["phone"]

    assert phone["pattern"] == r"^\+[1-9]\d{1,14}$"


def test_image_urls_are_documented_as_http_urls(schema):
    images = _body(schema, "/v1/products", "post")["properties"]["images"]

    assert images["items"]["pattern"] == "^https?://"
    assert images["maxItems"] == 20


def test_idempotency_key_states_its_format(schema):
    key = _parameter(schema, "/v1/orders", "post", "Idempotency-Key")["schema"]
    pattern = re.compile(key["pattern"])

    assert (key["minLength"], key["maxLength"]) == (1, 255)
    assert pattern.fullmatch("order 42 / try 1") and not pattern.fullmatch("clé")


def test_an_order_status_move_requires_status(schema):
    body = _body(schema, "/v1/orders/{order_id}", "patch")

    # Two branches: shipped (with carrier and trackingNumber), or another status alone.
    assert [branch["required"] for branch in body["oneOf"]] == [["status"], ["status"]]
    assert schema["paths"]["/v1/orders/{order_id}"]["patch"]["requestBody"]["required"] is True


def test_the_webhook_event_requires_id_and_type(schema):
    body = _body(schema, "/v1/payments/webhook", "post")

    assert body["required"] == ["id", "type"]
