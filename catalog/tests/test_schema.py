"""The OpenAPI schema of the products API agrees with the contract."""

import pytest

pytestmark = pytest.mark.django_db

PRODUCT_FIELDS = {
    "id",
    "name",
    "slug",
    "description",
    "price",
    "priceMax",
    "currency",
    "category",
    "stock",
    "images",
    "media",
    "options",
    "variants",
    "createdAt",
    "updatedAt",
}


@pytest.fixture
def schema(api_client) -> dict:
    response = api_client.get("/v1/schema", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_product_object_has_exactly_the_contract_fields(schema):
    product = schema["components"]["schemas"]["ProductOutput"]

    assert set(product["properties"]) == PRODUCT_FIELDS
    assert set(product["required"]) == PRODUCT_FIELDS
    assert product["properties"]["price"]["type"] == "number"


def test_product_list_documents_every_query_parameter_and_the_cache_headers(schema):
    operation = schema["paths"]["/v1/products"]["get"]

    query = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert query == {
        "page",
        "limit",
        "category",
        "sort",
        "search",
        "minPrice",
        "maxPrice",
        "inStock",
    }
    sort = next(p for p in operation["parameters"] if p["name"] == "sort")
    assert set(sort["schema"]["enum"]) == {"price_asc", "price_desc", "name", "newest"}
    assert {"200", "304", "400"} <= set(operation["responses"])
    assert {"ETag", "X-Cache"} <= set(operation["responses"]["200"]["headers"])
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"success", "data", "pagination"}
    assert operation.get("security") in (None, [], [{}])


@pytest.mark.parametrize(
    ("method", "statuses"),
    [
        ("get", {"200", "304", "404"}),
        ("put", {"200", "400", "401", "403", "404", "409"}),
        ("patch", {"200", "400", "401", "403", "404", "409"}),
        ("delete", {"204", "401", "403", "404"}),
    ],
)
def test_product_detail_documents_its_statuses(schema, method, statuses):
    assert statuses <= set(schema["paths"]["/v1/products/{id_or_slug}"][method]["responses"])


def test_product_create_is_for_admins_and_answers_201(schema):
    operation = schema["paths"]["/v1/products"]["post"]

    assert {"201", "400", "401", "403", "409"} <= set(operation["responses"])
    assert {"jwtAuth": []} in operation["security"]
    data = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert data["properties"]["data"]["$ref"].endswith("/ProductOutput")
