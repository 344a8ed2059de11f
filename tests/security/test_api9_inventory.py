"""API9 improper inventory management: every route is documented, none is shadow.

The OpenAPI schema served at /v1/schema lists exactly the routes and methods
the URLconf serves (no undocumented endpoint, no documented ghost), each
route's security matches its access rule, and no other API version answers.
"""

import re

import pytest
from rest_framework.test import APIClient

from tests.security.routes import ACCESS, PUBLIC, WEBHOOK, api_routes

pytestmark = pytest.mark.django_db

_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/v1/schema", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _schema_key(template: str) -> str:
    return "/v1/" + _PARAMETER.sub(r"{\1}", template)


def _documented(schema: dict) -> set[tuple[str, str]]:
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        (path, method.upper())
        for path, operations in schema["paths"].items()
        for method in operations
        if method in methods
    }


def test_every_served_route_is_in_the_schema(schema):
    served = {(_schema_key(route.template), route.method) for route in api_routes()}
    served -= {("/v1/schema", "GET"), ("/v1/docs", "GET")}  # the documentation itself

    assert served - _documented(schema) == set()


def test_every_documented_route_is_served(schema):
    served = {(_schema_key(route.template), route.method) for route in api_routes()}

    assert _documented(schema) - served == set()


def test_public_routes_are_documented_without_auth_and_others_with(schema):
    for route in api_routes():
        operation = schema["paths"].get(_schema_key(route.template), {}).get(route.method.lower())
        if operation is None:
            continue
        security = operation.get("security")
        public = ACCESS[route.key] in (PUBLIC, WEBHOOK)
        if public:
            assert security in ([], [{}], None) or {} in security, route
        else:
            assert security and {} not in security, route


@pytest.mark.parametrize(
    "path", ["/v0/products", "/v2/products", "/api/products", "/v1beta/products"]
)
def test_no_other_api_version_answers(path):
    assert APIClient().get(path).status_code == 404
