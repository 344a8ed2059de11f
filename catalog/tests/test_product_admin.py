"""The Django admin for products: staff edits reach the API on the very next read."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.tests.factories import AdminFactory, UserFactory
from catalog.models import Product
from catalog.tests.factories import CategoryFactory, ProductFactory
from ecommerce.api.ids import public_id
from orders.tests.support import order_body

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/product/"
ADD = "/admin/catalog/product/add/"


@pytest.fixture(autouse=True)
def outdoor(db):
    """The category the add form chooses (the admin picks from existing categories)."""
    return CategoryFactory(slug="outdoor")


def _change_url(product: Product) -> str:
    return f"/admin/catalog/product/{product.pk}/change/"


@pytest.fixture
def superuser_client() -> Client:
    client = Client()
    client.force_login(AdminFactory(email="root@example.com", is_superuser=True))
    return client


@pytest.fixture
def staff_client() -> Client:
    """An admin-role staff member who is not a superuser, with product permissions."""
    staff = AdminFactory(email="staff@example.com")
    staff.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="catalog",
            codename__in=["view_product", "add_product", "change_product", "delete_product"],
        )
    )
    client = Client()
    client.force_login(staff)
    return client


def _add_form(**overrides: str) -> dict[str, str]:
    return {
        "name": "Trail Lamp",
        "slug": "trail-lamp",
        "category": "outdoor",
        "description": "Bright.",
        "price": "24.50",
        "currency": "usd",
        "stock": "7",
        "images": "https://cdn.example.com/a.jpg\nhttps://cdn.example.com/b.jpg",
        # The media inline's management form (catalog.media), with no image rows.
        "media-TOTAL_FORMS": "0",
        "media-INITIAL_FORMS": "0",
        **overrides,
    }


def change_form(product: Product, **variant: str) -> dict[str, str]:
    """The change page as it renders for a simple product, with ``variant`` edits
    to its one variant in the inline (the rendered stock goes in initial-...)."""
    row = product.variants.get()
    shown = {
        "sku": row.sku,
        "price": str(row.price),
        "stock": str(row.stock),
        "weight": str(row.weight),
    }
    return {
        "name": product.name,
        "slug": product.slug,
        "category": product.category.slug,
        "description": product.description,
        "currency": product.currency,
        "images": "\n".join(product.images),
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "1",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-id": str(row.pk),
        "variants-0-product": str(product.pk),
        "initial-variants-0-stock": shown["stock"],
        **{f"variants-0-{name}": value for name, value in {**shown, **variant}.items()},
        # The media inline's management form (catalog.media), with no image rows.
        "media-TOTAL_FORMS": "0",
        "media-INITIAL_FORMS": "0",
    }


def _action(client: Client, action: str, products: list[Product], **extra: str):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(p.pk) for p in products], **extra},
    )


def test_staff_adds_product_and_anonymous_list_shows_it_on_next_request(
    staff_client, api_client, redis
):
    ProductFactory(category="outdoor")
    assert api_client.get("/v1/products?category=outdoor").json()["pagination"]["total"] == 1
    assert api_client.get("/v1/products?category=outdoor")["X-Cache"] == "HIT"

    response = staff_client.post(ADD, _add_form())
    assert response.status_code == 302, response.content

    listing = api_client.get("/v1/products?category=outdoor")
    assert listing["X-Cache"] == "MISS"
    names = [item["name"] for item in listing.json()["data"]]
    assert names[0] == "Trail Lamp"
    created = Product.objects.get(slug="trail-lamp")
    assert created.currency == "USD"
    assert created.images == ["https://cdn.example.com/a.jpg", "https://cdn.example.com/b.jpg"]
    assert api_client.get("/v1/products?category=outdoor")["X-Cache"] == "HIT"


def test_admin_change_invalidates_detail_and_lists(superuser_client, api_client, product, redis):
    api_client.get(f"/v1/products/{public_id('prod', product.pk)}")
    api_client.get("/v1/products")
    response = superuser_client.post(_change_url(product), change_form(product, price="9.99"))
    assert response.status_code == 302
    assert not redis.exists(f"product:{product.pk}")
    assert not list(redis.scan_iter(match="products:list:*"))
    detail = api_client.get(f"/v1/products/{public_id('prod', product.pk)}")
    assert detail.json()["data"]["price"] == 9.99


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", "0"),
        ("price", "-3"),
        ("stock", "-1"),
        ("currency", "US"),
        ("images", "ftp://example.com/a.jpg"),
        ("slug", "wireless-mouse"),
    ],
)
def test_admin_form_validates(superuser_client, product, field, value):
    response = superuser_client.post(ADD, _add_form(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert Product.objects.count() == 1


def test_list_editable_price_and_stock_invalidate(superuser_client, api_client, product, redis):
    api_client.get("/v1/products")
    response = superuser_client.post(
        CHANGELIST,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(product.pk),
            "form-0-price": "5.25",
            "form-0-stock": "0",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.price, product.stock) == (Decimal("5.25"), 0)
    assert not list(redis.scan_iter(match="products:list:*"))
    assert api_client.get("/v1/products").json()["data"][0]["stock"] == 0


def test_change_form_save_keeps_stock_that_orders_took_meanwhile(
    staff_client, customer_client, product
):
    page = staff_client.get(_change_url(product))
    assert b'name="initial-variants-0-stock" value="10"' in page.content
    form = change_form(product, price="8.75")
    # An order takes 3 while the page is open.
    order = customer_client.post("/v1/orders", order_body((product, 3)), format="json")
    assert order.status_code == 201

    response = staff_client.post(_change_url(product), form)

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.price, product.stock) == (Decimal("8.75"), 7)


def test_change_form_stock_edit_is_applied(staff_client, product):
    response = staff_client.post(_change_url(product), change_form(product, stock="25"))

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.stock == 25
    assert list(product.movements.values_list("reason", "delta")) == [
        ("initial", 10),
        ("adjustment", 15),
    ]


def test_list_editable_price_edit_keeps_stock_that_orders_took_meanwhile(
    superuser_client, customer_client, product
):
    page = superuser_client.get(CHANGELIST)
    assert b'name="initial-form-0-stock" value="10"' in page.content
    assert (
        customer_client.post("/v1/orders", order_body((product, 4)), format="json").status_code
        == 201
    )

    response = superuser_client.post(
        CHANGELIST,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(product.pk),
            "form-0-price": "5.25",
            "form-0-stock": "10",
            "initial-form-0-stock": "10",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.price, product.stock) == (Decimal("5.25"), 6)


def test_admin_slug_is_stored_lower_case(staff_client):
    response = staff_client.post(ADD, _add_form(slug="Trail-Lamp"))
    assert response.status_code == 302
    assert Product.objects.get().slug == "trail-lamp"


def test_bulk_set_stock_asks_then_applies(superuser_client, api_client, redis):
    products = ProductFactory.create_batch(3, stock=5)
    api_client.get("/v1/products")

    form_page = _action(superuser_client, "set_stock", products[:2])
    assert form_page.status_code == 200
    assert b'name="stock"' in form_page.content

    done = _action(superuser_client, "set_stock", products[:2], apply="1", stock="42")
    assert done.status_code == 302
    assert sorted(Product.objects.values_list("stock", flat=True)) == [5, 42, 42]
    assert not list(redis.scan_iter(match="products:list:*"))


def test_bulk_set_stock_refuses_negative(superuser_client, product):
    response = _action(superuser_client, "set_stock", [product], apply="1", stock="-4")
    assert response.status_code == 200
    product.refresh_from_db()
    assert product.stock == 10


def test_bulk_remove_from_catalog_is_soft_and_invalidates(staff_client, api_client, redis):
    products = ProductFactory.create_batch(2)
    for product in products:
        api_client.get(f"/v1/products/{public_id('prod', product.pk)}")
    api_client.get("/v1/products")

    response = _action(staff_client, "remove_from_catalog", products)
    assert response.status_code == 302
    assert Product.objects.filter(deleted_at__isnull=False).count() == 2
    assert not redis.exists(*(f"product:{product.pk}" for product in products))
    assert api_client.get("/v1/products").json()["data"] == []

    _action(staff_client, "restore_to_catalog", products)
    assert api_client.get("/v1/products").json()["pagination"]["total"] == 2


def test_changelist_search_and_filters(superuser_client):
    ProductFactory(name="Garden hose", slug="garden-hose", category="garden", stock=0)
    ProductFactory(name="Desk", slug="desk", category="home", stock=3)
    assert b"Garden hose" in superuser_client.get(f"{CHANGELIST}?q=hose").content
    assert b"Desk" not in superuser_client.get(f"{CHANGELIST}?q=hose").content
    by_category = superuser_client.get(f"{CHANGELIST}?category=home").content
    assert b"Desk" in by_category
    assert b"Garden hose" not in by_category
    out_of_stock = superuser_client.get(f"{CHANGELIST}?stock_state=out").content
    assert b"Garden hose" in out_of_stock
    assert b"Desk" not in out_of_stock


def test_staff_without_permissions_cannot_manage_products(product):
    client = Client()
    client.force_login(AdminFactory(email="bare@example.com"))
    assert client.get(CHANGELIST).status_code == 403
    assert client.post(ADD, _add_form()).status_code == 403


def test_customer_cannot_open_the_admin(product):
    client = Client()
    client.force_login(UserFactory())
    assert client.get(CHANGELIST).status_code == 302  # to the admin login


def test_view_only_staff_cannot_run_write_actions(product):
    staff = AdminFactory(email="viewer@example.com")
    staff.user_permissions.set(Permission.objects.filter(codename="view_product"))
    client = Client()
    client.force_login(staff)
    assert client.get(CHANGELIST).status_code == 200
    _action(client, "remove_from_catalog", [product])
    product.refresh_from_db()
    assert product.in_catalog


def test_admin_never_hard_deletes(superuser_client, product):
    response = superuser_client.post(
        f"/admin/catalog/product/{product.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Product.objects.filter(pk=product.pk).exists()
