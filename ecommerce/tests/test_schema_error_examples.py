"""Swagger's error examples show the real code of each status, not validation_error."""

import pytest

from ecommerce.api.schema import ERROR_CODES

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/v1/schema", {"format": "json"}).json()


def example_codes(schema: dict, path: str, method: str, status: str) -> list[str]:
    media = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
    return [example["value"]["error"]["code"] for example in media["examples"].values()]


@pytest.mark.parametrize(
    ("path", "method", "status", "codes"),
    [
        ("/v1/users/me", "get", "401", ["not_authenticated", "token_invalid"]),
        ("/v1/users/me", "get", "403", ["permission_denied"]),
        ("/v1/users/me", "get", "429", ["rate_limited"]),
        ("/v1/users/me", "get", "405", ["method_not_allowed"]),
        ("/v1/users/me", "get", "500", ["server_error"]),
        ("/v1/users/me", "get", "503", ["service_unavailable"]),
        ("/v1/auth/login", "post", "401", ["invalid_credentials"]),
        ("/v1/auth/login", "post", "400", ["validation_error", "invalid_json"]),
        ("/v1/auth/login", "post", "413", ["payload_too_large"]),
        ("/v1/orders", "post", "409", ["insufficient_stock", "idempotency_request_in_progress"]),
        ("/v1/orders", "post", "422", ["idempotency_key_reused"]),
        ("/v1/orders/{order_id}", "get", "404", ["not_found"]),
    ],
)
def test_each_error_response_shows_its_own_codes(schema, path, method, status, codes):
    assert example_codes(schema, path, method, status) == codes


def test_every_error_example_is_an_envelope_with_a_documented_code(schema):
    statuses = {code: str(status) for code, status in ERROR_CODES}
    seen = 0
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                media = response.get("content", {}).get("application/json", {})
                for example in media.get("examples", {}).values():
                    value = example["value"]
                    assert value["success"] is False
                    assert statuses[value["error"]["code"]] == status
                    assert value["error"]["message"]
                    seen += 1
    assert seen > 100
