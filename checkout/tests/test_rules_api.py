"""Staff manage shipping methods, tax rates and discount codes through the API; the
schema documents the checkout as the contract says."""

import pytest

from catalog.tests.factories import CategoryFactory
from checkout.models import DiscountCode, ShippingMethod, TaxRate
from checkout.tests.factories import discount_code_make
from orders.tests.factories import order_body, order_post, product_make

pytestmark = pytest.mark.django_db


def test_an_admin_creates_changes_and_deletes_a_shipping_method(admin_client_api):
    created = admin_client_api.post(
        "/v1/shipping-methods",
        {
            "name": "Express",
            "countries": ["us", "CA"],
            "price": "12.00",
            "pricePerKg": "2.00",
            "freeFrom": "150.00",
            "minDays": 1,
            "maxDays": 2,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    data = created.json()["data"]
    assert data["id"].startswith("ship_")
    assert data["countries"] == ["US", "CA"]
    assert data["states"] == []

    changed = admin_client_api.patch(
        f"/v1/shipping-methods/{data['id']}", {"active": False}, format="json"
    )
    assert changed.json()["data"]["active"] is False
    assert admin_client_api.delete(f"/v1/shipping-methods/{data['id']}").status_code == 204
    assert not ShippingMethod.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("countries", ["ZZ"]),
        ("countries", []),
        ("price", "-1.00"),
        ("pricePerKg", "-0.01"),
        ("maxDays", 0),
        # JSON types as the schema states them (fuzz findings): no coercion.
        ("active", 0),
        ("states", [0]),
        ("minDays", "2"),
        ("unknown", 1),
    ],
)
def test_a_bad_shipping_method_is_refused_naming_the_field(admin_client_api, field, value):
    body = {"name": "Bad", "countries": ["US"], "price": "5.00", "minDays": 2, "maxDays": 4}

    response = admin_client_api.post("/v1/shipping-methods", {**body, field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not ShippingMethod.objects.exists()


def test_tax_rates_are_for_admins_and_unique_per_place_and_category(
    admin_client_api, customer_client
):
    CategoryFactory(slug="books")
    body = {"name": "CA books", "country": "US", "state": "CA", "category": "books", "rate": "7.25"}

    assert customer_client.post("/v1/tax-rates", body, format="json").status_code == 403
    created = admin_client_api.post("/v1/tax-rates", body, format="json")
    again = admin_client_api.post("/v1/tax-rates", body, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["data"] | {"id": None} == {
        "id": None,
        "name": "CA books",
        "country": "US",
        "state": "CA",
        "category": "books",
        "rate": 7.25,
    }
    assert again.status_code == 409
    assert TaxRate.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rate", "-1"),
        ("rate", "100.5"),
        ("country", "USA"),
        ("country", "QQ"),
        ("category", 0),
        ("category", ""),
        ("category", "nowhere"),
    ],
)
def test_a_bad_tax_rate_is_refused(admin_client_api, field, value):
    body = {"name": "Bad", "country": "US", "rate": "5"}

    response = admin_client_api.post("/v1/tax-rates", {**body, field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_a_discount_code_shows_its_uses_read_only(admin_client_api, customer_client):
    mug = product_make(stock=5)
    body = {"code": "Spring", "kind": "percentage", "value": "15", "maxUses": 10}
    refused = admin_client_api.post("/v1/discount-codes", {**body, "uses": 99}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["details"] == {"uses": ["This field cannot be changed."]}
    created = admin_client_api.post("/v1/discount-codes", body, format="json")
    assert created.status_code == 201, created.content
    code_id = created.json()["data"]["id"]
    assert (
        order_post(customer_client, order_body((mug, 1), discountCode="SPRING")).status_code == 201
    )

    shown = admin_client_api.get(f"/v1/discount-codes/{code_id}").json()["data"]

    assert shown["uses"] == 1
    assert shown["code"] == "Spring"
    assert admin_client_api.delete(f"/v1/discount-codes/{code_id}").status_code == 409
    assert DiscountCode.objects.filter(code="Spring").exists()


def test_a_code_taken_in_another_case_is_a_conflict(admin_client_api):
    discount_code_make(code="SUMMER")

    response = admin_client_api.post(
        "/v1/discount-codes", {"code": "summer", "kind": "free_shipping"}, format="json"
    )

    assert response.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "percentage", "value": "150"}, "value"),
        ({"kind": "fixed", "value": "0"}, "value"),
        ({"kind": "bogus"}, "kind"),
        ({"kind": "fixed", "value": "5", "categories": ["nowhere"]}, "categories"),
        ({"kind": "fixed", "value": "5", "categories": [5]}, "categories"),
        ({"kind": "fixed", "value": "5", "maxUses": "5"}, "maxUses"),
        ({"kind": "fixed", "value": "5", "active": "yes"}, "active"),
        (
            {
                "kind": "fixed",
                "value": "5",
                "startsAt": "2027-01-02T00:00:00Z",
                "endsAt": "2027-01-01T00:00:00Z",
            },
            "endsAt",
        ),
    ],
)
def test_a_bad_discount_code_is_refused(admin_client_api, body, field):
    response = admin_client_api.post("/v1/discount-codes", {"code": "X1", **body}, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_a_customer_cannot_see_codes_or_rates(customer_client):
    assert customer_client.get("/v1/discount-codes").status_code == 403
    assert customer_client.get("/v1/tax-rates").status_code == 403
    assert customer_client.post("/v1/shipping-methods", {}, format="json").status_code == 403


# --- the schema ---------------------------------------------------------------------


@pytest.fixture
def schema(api_client) -> dict:
    return api_client.get("/v1/schema", {"format": "json"}).json()


def _component(schema: dict, name: str) -> dict:
    return schema["components"]["schemas"][name]


def test_the_quote_is_documented_with_the_contract_breakdown(schema):
    operation = schema["paths"]["/v1/checkout/quote"]["post"]
    # Public, with an optional token (the code's per-customer limit).
    assert operation["security"] == [{"jwtAuth": []}, {}]
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]

    body = _component(schema, request.rsplit("/", 1)[1])
    assert set(body["properties"]) == {"items", "shippingAddress", "shippingMethod", "discountCode"}
    assert body["required"] == ["items"]
    quote = _component(schema, "QuoteOutput")
    assert set(quote["properties"]) == {
        "lines",
        "subtotal",
        "discountTotal",
        "shippingTotal",
        "taxTotal",
        "total",
        "currency",
        "pricesIncludeTax",
        "shippingMethod",
        "shippingMethods",
        "discount",
    }
    line = _component(schema, "QuoteLineOutput")
    assert set(line["properties"]) == {
        "productId",
        "variantId",
        "sku",
        "name",
        "options",
        "quantity",
        "unitPrice",
        "lineTotal",
        "discount",
        "tax",
    }


def test_the_order_body_takes_a_method_and_a_code(schema):
    body = _component(schema, "OrderCreateInputRequest")["properties"]

    assert {"shippingMethod", "discountCode"} <= set(body)
    assert body["shippingMethod"]["pattern"] == "^ship_[0-9a-f]{32}$"
    address = _component(schema, "ShippingAddressRequest")["properties"]
    assert (address["country"]["minLength"], address["country"]["maxLength"]) == (2, 2)


def test_the_rules_are_documented_with_the_contract_fields(schema):
    assert set(_component(schema, "ShippingMethod")["properties"]) == {
        "id",
        "name",
        "countries",
        "states",
        "price",
        "pricePerKg",
        "freeFrom",
        "currency",
        "minDays",
        "maxDays",
        "active",
    }
    assert set(_component(schema, "TaxRate")["properties"]) == {
        "id",
        "name",
        "country",
        "state",
        "category",
        "rate",
    }
    code = _component(schema, "DiscountCode")
    assert set(code["properties"]) == {
        "id",
        "code",
        "kind",
        "value",
        "currency",
        "startsAt",
        "endsAt",
        "minSubtotal",
        "categories",
        "maxUses",
        "maxUsesPerCustomer",
        "uses",
        "active",
    }
    assert code["properties"]["uses"]["readOnly"] is True
    for path, parameter in (
        ("/v1/shipping-methods", "method_id"),
        ("/v1/tax-rates", "rate_id"),
        ("/v1/discount-codes", "code_id"),
    ):
        assert {"get", "post"} <= set(schema["paths"][path])
        assert {"get", "patch", "delete"} <= set(schema["paths"][f"{path}/{{{parameter}}}"])


def test_order_money_is_documented_as_numbers(schema):
    order = _component(schema, "OrderOutput")["properties"]

    for field in ("subtotal", "discountTotal", "shippingTotal", "taxTotal", "total"):
        assert order[field]["type"] == "number", field
