"""The OpenAPI schema of the auth and users endpoints says what the contract says."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/v1/schema", {"format": "json"}).json()


def operation(schema: dict, path: str, method: str) -> dict:
    return schema["paths"][path][method]


def data_schema(schema: dict, path: str, method: str, status: str) -> dict:
    """The ``data`` of a success envelope, with a component reference resolved."""
    body = operation(schema, path, method)["responses"][status]["content"]["application/json"]
    data = body["schema"]["properties"]["data"]
    return component(schema, data) if "$ref" in data else data


def component(schema: dict, ref_holder: dict) -> dict:
    return schema["components"]["schemas"][ref_holder["$ref"].rsplit("/", 1)[1]]


def request_schema(schema: dict, path: str, method: str) -> dict:
    body = operation(schema, path, method)["requestBody"]["content"]["application/json"]
    return component(schema, body["schema"])


USER_FIELDS = {"id", "email", "name", "phone", "role", "createdAt", "updatedAt", "lastLogin"}


@pytest.mark.parametrize(
    ("path", "method", "fields"),
    [
        ("/v1/auth/register", "post", {"email", "password", "name"}),
        ("/v1/auth/login", "post", {"email", "password"}),
        ("/v1/auth/refresh", "post", {"refreshToken"}),
        ("/v1/auth/logout", "post", {"refreshToken"}),
        ("/v1/auth/password/change", "post", {"currentPassword", "newPassword"}),
        ("/v1/auth/password/reset", "post", {"email"}),
        ("/v1/auth/password/reset/confirm", "post", {"token", "newPassword"}),
    ],
)
def test_auth_request_bodies_are_camel_case_and_all_required(schema, path, method, fields):
    body = request_schema(schema, path, method)

    assert set(body["properties"]) == fields
    assert set(body["required"]) == fields


def test_register_answers_201_with_user_and_tokens_or_409(schema):
    data = data_schema(schema, "/v1/auth/register", "post", "201")
    responses = operation(schema, "/v1/auth/register", "post")["responses"]

    tokens = {"accessToken", "refreshToken", "tokenType", "expiresIn"}
    assert set(data["properties"]) == {"user", *tokens}
    assert set(component(schema, data["properties"]["user"])["properties"]) == USER_FIELDS
    assert {"201", "400", "409", "429"} <= set(responses)


def test_login_answers_the_bearer_pair_with_expiry_and_user_or_401(schema):
    data = data_schema(schema, "/v1/auth/login", "post", "200")
    responses = operation(schema, "/v1/auth/login", "post")["responses"]

    assert set(data["required"]) == {
        "accessToken",
        "refreshToken",
        "tokenType",
        "expiresIn",
        "user",
    }
    assert component(schema, data["properties"]["tokenType"])["enum"] == ["Bearer"]
    assert "401" in responses


def test_refresh_answers_a_new_pair_or_401_token_invalid(schema):
    data = data_schema(schema, "/v1/auth/refresh", "post", "200")
    responses = operation(schema, "/v1/auth/refresh", "post")["responses"]

    assert {"accessToken", "refreshToken"} <= set(data["required"])
    assert "401" in responses


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/auth/logout", "204"),
        ("/v1/auth/logout-all", "204"),
        ("/v1/auth/password/change", "204"),
        ("/v1/auth/password/reset", "202"),
        ("/v1/auth/password/reset/confirm", "204"),
    ],
)
def test_auth_actions_document_their_success_status(schema, path, status):
    responses = operation(schema, path, "post")["responses"]

    assert [code for code in responses if code.startswith("2")] == [status]


@pytest.mark.parametrize(
    ("path", "protected"),
    [
        ("/v1/auth/register", False),
        ("/v1/auth/login", False),
        ("/v1/auth/refresh", False),
        ("/v1/auth/password/reset", False),
        ("/v1/auth/password/reset/confirm", False),
        ("/v1/auth/logout", True),
        ("/v1/auth/logout-all", True),
        ("/v1/auth/password/change", True),
    ],
)
def test_protected_auth_endpoints_need_the_bearer_token(schema, path, protected):
    security = operation(schema, path, "post").get("security") or []

    assert ({"jwtAuth": []} in security) is protected


def test_users_list_is_paginated_with_role_and_email_filters(schema):
    op = operation(schema, "/v1/users", "get")
    body = op["responses"]["200"]["content"]["application/json"]["schema"]

    assert set(body["required"]) == {"success", "data", "pagination"}
    assert set(body["properties"]["pagination"]["required"]) == {"page", "limit", "total", "pages"}
    assert {param["name"] for param in op["parameters"]} == {"role", "email", "page", "limit"}
    assert "403" in op["responses"]


@pytest.mark.parametrize("method", ["get", "put", "patch"])
def test_user_detail_documents_404_for_someone_elses_id(schema, method):
    op = operation(schema, "/v1/users/{user_id}", method)

    assert "404" in op["responses"]
    assert [param["name"] for param in op["parameters"]] == ["user_id"]


@pytest.mark.parametrize("method", ["put", "patch"])
def test_user_update_is_partial_with_camel_case_fields_and_409(schema, method):
    op = operation(schema, "/v1/users/{user_id}", method)
    body = request_schema(schema, "/v1/users/{user_id}", method)

    assert set(body["properties"]) == {"email", "name", "phone", "role", "currentPassword"}
    assert "required" not in body
    assert body["properties"]["phone"]["nullable"] is True
    assert body["properties"]["phone"]["pattern"] == r"^\+[1-9]\d{1,14}$"
    assert "409" in op["responses"]


def test_the_user_object_has_the_contracts_fields(schema):
    user = data_schema(schema, "/v1/users/me", "get", "200")

    assert set(user["properties"]) == USER_FIELDS
    assert user["properties"]["id"]["pattern"] == "^usr_[0-9a-f]{32}$"
    assert component(schema, user["properties"]["role"])["enum"] == ["customer", "admin"]


def test_every_error_of_these_endpoints_is_the_error_envelope(schema):
    for path, item in schema["paths"].items():
        if not path.startswith(("/v1/auth", "/v1/users")):
            continue
        for method, op in item.items():
            for status, response in op["responses"].items():
                if status[0] in "45":
                    body = response["content"]["application/json"]["schema"]
                    assert body == {"$ref": "#/components/schemas/ErrorEnvelope"}, (
                        path,
                        method,
                        status,
                    )
                assert "X-Request-ID" in response["headers"]
                assert "X-RateLimit-Remaining" in response["headers"]


def test_component_descriptions_do_not_leak_implementation_notes(schema):
    for name, component_schema in schema["components"]["schemas"].items():
        description = component_schema.get("description", "")
        assert "``" not in description, name
        assert "see the view" not in description, name
