"""POST/PUT/PATCH/DELETE /v1/products: who may write, validation, slugs, soft delete."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog import services
from catalog.models import Product
from catalog.services import products as product_services
from catalog.tests.factories import ProductFactory
from ecommerce.api.ids import public_id

pytestmark = pytest.mark.django_db

VALID = {"name": "Wireless Mouse", "price": 29.99, "category": "electronics"}


def _detail(product: Product) -> str:
    return f"/v1/products/{public_id('prod', product.pk)}"


def test_admin_creates_product_with_defaults(admin_client_api):
    response = admin_client_api.post("/v1/products", VALID, format="json")
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["id"].startswith("prod_")
    assert data["slug"] == "wireless-mouse"
    assert data["price"] == 29.99
    assert data["currency"] == "USD"
    assert data["stock"] == 0
    assert data["images"] == []
    assert data["description"] == ""
    product = Product.objects.get()
    assert product.price == Decimal("29.99")


def test_create_with_every_field(admin_client_api):
    body = {
        **VALID,
        "slug": "mouse-x",
        "description": "Quiet clicks.",
        "currency": "eur",
        "stock": 12,
        "images": ["https://cdn.example.com/m.jpg", "http://example.com/2.png"],
    }
    data = admin_client_api.post("/v1/products/", body, format="json").json()["data"]
    assert data["slug"] == "mouse-x"
    assert data["currency"] == "EUR"
    assert data["stock"] == 12
    assert data["images"] == body["images"]


def test_anonymous_write_is_401(api_client, product):
    assert api_client.post("/v1/products", VALID, format="json").status_code == 401
    for method in ("put", "patch", "delete"):
        response = getattr(api_client, method)(_detail(product), {"stock": 1}, format="json")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


def test_customer_write_is_403(customer_client, product):
    response = customer_client.post("/v1/products", VALID, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    for method in ("put", "patch", "delete"):
        response = getattr(customer_client, method)(_detail(product), {"stock": 1}, format="json")
        assert response.status_code == 403
    product.refresh_from_db()
    assert product.stock == 10
    assert product.in_catalog


def test_customer_can_read(customer_client, product):
    assert customer_client.get(_detail(product)).status_code == 200


def test_slug_collision_gets_a_numbered_suffix(admin_client_api):
    slugs = [
        admin_client_api.post("/v1/products", VALID, format="json").json()["data"]["slug"]
        for _ in range(3)
    ]
    assert slugs == ["wireless-mouse", "wireless-mouse-2", "wireless-mouse-3"]


def test_generated_slug_skips_removed_products_slug(admin_client_api):
    ProductFactory(slug="wireless-mouse", deleted_at=timezone.now())
    data = admin_client_api.post("/v1/products", VALID, format="json").json()["data"]
    assert data["slug"] == "wireless-mouse-2"


def test_name_without_slug_characters_gets_a_fallback_slug(admin_client_api):
    data = admin_client_api.post("/v1/products", {**VALID, "name": "!!!"}, format="json")
    assert data.json()["data"]["slug"] == "product"


def test_explicit_taken_slug_is_409(admin_client_api, product):
    response = admin_client_api.post(
        "/v1/products", {**VALID, "slug": "wireless-mouse"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert "slug" in response.json()["error"]["details"]


def test_update_to_taken_slug_is_409(admin_client_api, product):
    other = ProductFactory(slug="other")
    response = admin_client_api.patch(_detail(other), {"slug": "wireless-mouse"}, format="json")
    assert response.status_code == 409


def test_slug_generation_retries_after_losing_a_race(db, monkeypatch):
    """Another insert takes the computed slug between the check and the insert."""
    real_next_free = product_services.product_slug_next_free
    calls = []

    def racing_next_free(*, base: str) -> str:
        slug = real_next_free(base=base)
        if not calls:
            ProductFactory(slug=slug)  # the competitor commits first
        calls.append(slug)
        return slug

    monkeypatch.setattr(product_services, "product_slug_next_free", racing_next_free)
    product = services.product_create(name="Desk Lamp", price=Decimal("5"), category="home")
    assert calls == ["desk-lamp", "desk-lamp-2"]
    assert product.slug == "desk-lamp-2"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", "n" * 256),
        ("name", None),
        ("price", 0),
        ("price", -1),
        ("price", "abc"),
        ("price", 1.234),
        ("price", 100000000),
        ("price", True),
        ("price", None),
        ("currency", "US"),
        ("currency", "USDX"),
        ("currency", "U1D"),
        ("category", ""),
        ("category", "c" * 101),
        ("stock", -1),
        ("stock", 1.5),
        ("stock", "many"),
        ("stock", True),
        ("stock", 2**31),
        ("images", "https://example.com/a.jpg"),
        ("images", ["ftp://example.com/a.jpg"]),
        ("images", ["javascript:alert(1)"]),
        ("images", ["not a url"]),
        ("images", [f"https://example.com/{index}.jpg" for index in range(21)]),
        ("slug", "has spaces"),
        ("slug", ""),
        ("description", 5 * "x" * 4001),
    ],
)
def test_create_rejects_invalid_field(admin_client_api, field, value):
    response = admin_client_api.post("/v1/products", {**VALID, field: value}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["details"]
    assert not Product.objects.exists()


@pytest.mark.parametrize("missing", ["name", "price", "category"])
def test_create_requires_field(admin_client_api, missing):
    body = {key: value for key, value in VALID.items() if key != missing}
    response = admin_client_api.post("/v1/products", body, format="json")
    assert response.status_code == 400
    assert missing in response.json()["error"]["details"]


def test_create_accepts_price_at_the_bounds(admin_client_api):
    for price in (0.01, 99999999.99, "12.50"):
        response = admin_client_api.post("/v1/products", {**VALID, "price": price}, format="json")
        assert response.status_code == 201, response.json()


@pytest.mark.parametrize("field", ["id", "createdAt", "deletedAt", "priceMax", "weightGrams"])
def test_unknown_or_read_only_field_is_400_naming_it(admin_client_api, product, field):
    response = admin_client_api.patch(_detail(product), {field: "x"}, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_patch_changes_only_sent_fields(admin_client_api, product):
    response = admin_client_api.patch(_detail(product), {"price": "19.50"}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["price"] == 19.5
    assert response.json()["data"]["name"] == "Wireless Mouse"
    product.refresh_from_db()
    assert product.price == Decimal("19.50")


def test_put_by_slug_updates(admin_client_api, product):
    response = admin_client_api.put(
        "/v1/products/wireless-mouse", {"name": "Silent Mouse", "stock": 3}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Silent Mouse"
    assert response.json()["data"]["stock"] == 3
    # An explicit rename does not change the slug: links keep working.
    assert response.json()["data"]["slug"] == "wireless-mouse"


def test_patch_validates_like_create(admin_client_api, product):
    response = admin_client_api.patch(_detail(product), {"price": 0}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["price"] == ["Ensure this value is greater than 0."]


def test_write_to_unknown_product_is_404(admin_client_api):
    response = admin_client_api.patch(f"/v1/products/prod_{'0' * 32}", {"stock": 1}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_delete_is_a_soft_delete_and_product_leaves_the_catalog(admin_client_api, product):
    response = admin_client_api.delete(_detail(product))
    assert response.status_code == 204
    assert response.content == b""
    product.refresh_from_db()
    assert product.deleted_at is not None
    assert admin_client_api.get(_detail(product)).status_code == 404
    assert admin_client_api.get("/v1/products/wireless-mouse").status_code == 404
    assert admin_client_api.get("/v1/products").json()["data"] == []
    assert admin_client_api.delete(_detail(product)).status_code == 404


def test_detail_by_id_and_by_slug(api_client, product):
    by_id = api_client.get(_detail(product))
    by_slug = api_client.get("/v1/products/wireless-mouse/")
    assert by_id.status_code == by_slug.status_code == 200
    assert by_id.json() == by_slug.json()


@pytest.mark.parametrize("path", ["prod_123", f"usr_{'0' * 32}", "no such", "nope"])
def test_detail_of_unknown_or_malformed_id_is_404(api_client, product, path):
    assert api_client.get(f"/v1/products/{path}").status_code == 404


@pytest.mark.parametrize(
    "fields",
    [
        {"price": Decimal("0")},
        {"price": Decimal("-1")},
        {"stock": -1},
        {"currency": "usd"},
        {"name": ""},
        {"slug": ""},
    ],
)
def test_database_refuses_bad_rows(db, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductFactory(**fields)
