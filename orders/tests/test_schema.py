"""The OpenAPI schema of orders and payments agrees with the contract."""

import pytest

pytestmark = pytest.mark.django_db

ORDER_FIELDS = {
    "id",
    "status",
    "items",
    "subtotal",
    "discountTotal",
    "shippingTotal",
    "taxTotal",
    "total",
    "pricesIncludeTax",
    "shippingMethod",
    "discount",
    "currency",
    "shippingAddress",
    "paymentMethod",
    "payment",
    "createdAt",
    "updatedAt",
}


@pytest.fixture
def schema(api_client) -> dict:
    response = api_client.get("/v1/schema", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _data_schema(operation: dict, status: str) -> dict:
    return operation["responses"][status]["content"]["application/json"]["schema"]


def test_order_list_is_documented_paginated_with_its_filters(schema):
    operation = schema["paths"]["/v1/orders"]["get"]

    body = _data_schema(operation, "200")
    assert set(body["required"]) == {"success", "data", "pagination"}
    assert body["properties"]["data"]["items"]["$ref"].endswith("/OrderOutput")
    assert set(body["properties"]["pagination"]["required"]) == {"page", "limit", "total", "pages"}
    assert {p["name"] for p in operation["parameters"]} == {"page", "limit", "status", "userId"}


def test_order_object_has_the_contract_fields_in_camel_case(schema):
    order = schema["components"]["schemas"]["OrderOutput"]["properties"]

    assert set(order) >= ORDER_FIELDS
    payment = schema["components"]["schemas"]["OrderPaymentOutput"]
    # nextAction: only while requires_action, for the owner (so not required).
    assert set(payment["properties"]) == {"id", "status", "amount", "nextAction"}
    assert set(payment["required"]) == {"id", "status", "amount"}
    item = schema["components"]["schemas"]["OrderItemOutput"]["properties"]
    assert set(item) == {
        "productId",
        "variantId",
        "sku",
        "name",
        "options",
        "unitPrice",
        "quantity",
        "lineTotal",
        "discount",
        "tax",
    }


def test_order_create_documents_idempotency_and_its_errors(schema):
    operation = schema["paths"]["/v1/orders"]["post"]

    assert [p["name"] for p in operation["parameters"]] == ["Idempotency-Key"]
    assert {"201", "400", "401", "409", "422"} <= set(operation["responses"])
    assert _data_schema(operation, "201")["properties"]["data"]["$ref"].endswith("/OrderOutput")
    assert _data_schema(operation, "409")["$ref"].endswith("/ErrorEnvelope")


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/v1/orders/{order_id}", "get", {"200", "401", "404"}),
        ("/v1/orders/{order_id}", "patch", {"200", "400", "401", "403", "404", "409"}),
        ("/v1/orders/{order_id}/cancel", "post", {"200", "401", "404", "409"}),
        ("/v1/payments/{payment_id}", "get", {"200", "401", "404"}),
        ("/v1/payments/{payment_id}/refund", "post", {"201", "400", "403", "404", "409"}),
        ("/v1/payments/webhook", "post", {"200", "400"}),
    ],
)
def test_each_operation_documents_its_statuses_in_the_envelope(schema, path, method, statuses):
    responses = schema["paths"][path][method]["responses"]

    assert statuses <= set(responses)
    for status in statuses - {"200", "201"}:
        assert _data_schema(schema["paths"][path][method], status)["$ref"].endswith(
            "/ErrorEnvelope"
        )


def test_webhook_is_public_and_requires_the_signature_header(schema):
    operation = schema["paths"]["/v1/payments/webhook"]["post"]

    assert operation.get("security") in (None, [], [{}])
    (header,) = operation["parameters"]
    assert (header["name"], header["in"], header["required"]) == ("X-Signature", "header", True)
