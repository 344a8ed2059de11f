"""The admin's variants, category tree, search by public id and SKU, and its messages."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from accounts.tests.factories import AdminFactory
from catalog import services
from catalog.models import Category, Product, ProductVariant, StockMovement
from catalog.tests.factories import ProductFactory, product_with_variants
from ecommerce.api.ids import public_id
from orders.tests.support import assert_no_stock_drift, order_body

pytestmark = pytest.mark.django_db

PRODUCTS = "/admin/catalog/product/"
VARIANTS = "/admin/catalog/productvariant/"
CATEGORIES = "/admin/catalog/category/"


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(AdminFactory(email="root@example.com", is_superuser=True))
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _action(client: Client, url: str, action: str, objects: list, **extra: str):
    return client.post(
        url, {"action": action, "_selected_action": [str(o.pk) for o in objects], **extra}
    )


# --- search and public ids ---------------------------------------------------------


def test_products_are_found_by_public_id_variant_id_and_sku(staff):
    shirt = product_with_variants(name="Linen Shirt")
    ProductFactory(name="Mug", sku="MUG-01")

    def found(term: str) -> list[str]:
        response = staff.get(PRODUCTS, {"q": term})
        return sorted(product.name for product in response.context["cl"].result_list)

    assert found(public_id("prod", shirt.pk)) == ["Linen Shirt"]
    assert found(public_id("var", shirt.live_variants[1].pk)) == ["Linen Shirt"]
    assert found("mug-01") == ["Mug"]
    assert found(f"prod_{'0' * 32}") == []
    assert found("prod_nonsense") == []


def test_the_product_list_and_page_show_public_ids(staff):
    shirt = product_with_variants(name="Linen Shirt")

    listing = staff.get(PRODUCTS).content.decode()
    page = staff.get(f"{PRODUCTS}{shirt.pk}/change/").content.decode()

    assert public_id("prod", shirt.pk) in listing
    assert public_id("prod", shirt.pk) in page
    assert all(public_id("var", variant.pk) in page for variant in shirt.live_variants)


def test_variants_are_found_by_sku_and_public_ids(staff):
    shirt = product_with_variants(name="Linen Shirt")
    small, medium = shirt.live_variants

    def found(term: str) -> list[str]:
        response = staff.get(VARIANTS, {"q": term})
        return sorted(variant.sku for variant in response.context["cl"].result_list)

    assert found(small.sku.upper()) == [small.sku]
    assert found(public_id("var", medium.pk)) == [medium.sku]
    assert found(public_id("prod", shirt.pk)) == sorted([small.sku, medium.sku])
    assert found("linen") == sorted([small.sku, medium.sku])


# --- messages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "message"),
    [(1, "Stock set to 40 on 1 product."), (2, "Stock set to 40 on 2 products.")],
)
def test_bulk_stock_message_counts_products(staff, count, message):
    products = ProductFactory.create_batch(count)

    response = _action(staff, PRODUCTS, "set_stock", products, apply="1", stock="40")

    assert _messages(response) == [message]


def test_bulk_stock_sets_every_variant_of_the_selected_products(staff):
    shirt = product_with_variants()
    mug = ProductFactory()

    response = _action(staff, PRODUCTS, "set_stock", [shirt, mug], apply="1", stock="40")

    assert _messages(response) == ["Stock set to 40 on 3 variants of 2 products."]
    assert set(ProductVariant.objects.values_list("stock", flat=True)) == {40}
    shirt.refresh_from_db()
    assert shirt.stock == 80
    assert_no_stock_drift()


@pytest.mark.parametrize(
    ("count", "removed", "restored"),
    [
        (1, "Removed 1 product from the catalog.", "Restored 1 product to the catalog."),
        (3, "Removed 3 products from the catalog.", "Restored 3 products to the catalog."),
    ],
)
def test_remove_and_restore_messages(staff, count, removed, restored):
    products = ProductFactory.create_batch(count)

    assert _messages(_action(staff, PRODUCTS, "remove_from_catalog", products)) == [removed]
    staff.get(PRODUCTS)  # shows (and so consumes) the message
    assert _messages(_action(staff, PRODUCTS, "restore_to_catalog", products)) == [restored]


def test_bulk_stock_per_variant(staff, api_client):
    shirt = product_with_variants()
    small, medium = shirt.live_variants
    api_client.get(f"/v1/products/{public_id('prod', shirt.pk)}")

    asked = _action(staff, VARIANTS, "set_stock", [medium])
    done = _action(staff, VARIANTS, "set_stock", [medium], apply="1", stock="3")

    assert b'name="stock"' in asked.content
    assert _messages(done) == ["Stock set to 3 on 1 variant."]
    assert ProductVariant.objects.get(pk=medium.pk).stock == 3
    assert ProductVariant.objects.get(pk=small.pk).stock == 5
    detail = api_client.get(f"/v1/products/{public_id('prod', shirt.pk)}")
    assert (detail["X-Cache"], detail.json()["data"]["stock"]) == ("MISS", 8)
    assert_no_stock_drift()


# --- the variants inline and lists -----------------------------------------------------


def _change_form(product: Product, edits: dict[int, dict[str, str]]) -> dict[str, str]:
    variants = product.live_variants
    data = {
        "name": product.name,
        "slug": product.slug,
        "category": product.category.slug,
        "description": product.description,
        "currency": product.currency,
        "images": "",
        "variants-TOTAL_FORMS": str(len(variants)),
        "variants-INITIAL_FORMS": str(len(variants)),
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
        # The media inline's management form (catalog.media), with no image rows.
        "media-TOTAL_FORMS": "0",
        "media-INITIAL_FORMS": "0",
    }
    for index, variant in enumerate(variants):
        shown = {
            "sku": variant.sku,
            "price": str(variant.price),
            "stock": str(variant.stock),
            "weight": str(variant.weight),
        }
        data.update(
            {
                f"variants-{index}-id": str(variant.pk),
                f"variants-{index}-product": str(product.pk),
                f"initial-variants-{index}-stock": shown["stock"],
            }
        )
        for name, value in {**shown, **edits.get(index, {})}.items():
            data[f"variants-{index}-{name}"] = value
    return data


def test_the_inline_edits_each_variants_price_and_stock(staff, api_client):
    shirt = product_with_variants()
    small, medium = shirt.live_variants
    api_client.get("/v1/products")

    response = staff.post(
        f"{PRODUCTS}{shirt.pk}/change/", _change_form(shirt, {1: {"price": "15.00", "stock": "9"}})
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    medium.refresh_from_db()
    small.refresh_from_db()
    assert (medium.price, medium.stock, small.price, small.stock) == (
        Decimal("15.00"),
        9,
        Decimal("10.00"),
        5,
    )
    shirt.refresh_from_db()
    assert (shirt.price, shirt.price_max, shirt.stock) == (Decimal("10"), Decimal("15"), 14)
    listing = api_client.get("/v1/products")
    assert (listing["X-Cache"], listing.json()["data"][0]["priceMax"]) == ("MISS", 15.0)
    assert list(StockMovement.objects.filter(variant=medium).values_list("delta", flat=True)) == [
        7,
        2,
    ]


def test_the_inline_keeps_stock_that_orders_took_meanwhile(staff, customer_client):
    shirt = product_with_variants()
    small = shirt.live_variants[0]
    form = _change_form(shirt, {0: {"price": "11.00"}})
    body = order_body()
    body["items"] = [{"variantId": public_id("var", small.pk), "quantity": 2}]
    assert customer_client.post("/v1/orders", body, format="json").status_code == 201

    response = staff.post(f"{PRODUCTS}{shirt.pk}/change/", form)

    assert response.status_code == 302
    small.refresh_from_db()
    assert (small.price, small.stock) == (Decimal("11.00"), 3)
    assert_no_stock_drift()


def test_the_inline_refuses_a_taken_sku(staff):
    shirt = product_with_variants()
    ProductFactory(slug="other", sku="TAKEN")

    response = staff.post(
        f"{PRODUCTS}{shirt.pk}/change/", _change_form(shirt, {0: {"sku": "taken"}})
    )

    assert response.status_code == 200
    assert "Another variant already uses this SKU." in response.content.decode()
    assert not ProductVariant.objects.filter(product=shirt, sku__iexact="taken").exists()


def test_the_product_list_edits_only_simple_products(staff):
    product_with_variants(name="Shirt")
    page = staff.get(PRODUCTS)
    form = page.context["cl"].formset.forms[0]

    assert form.fields["price"].disabled and form.fields["stock"].disabled


def test_the_variants_list_edits_stock_keeping_what_orders_took(staff, customer_client):
    shirt = product_with_variants()
    small = shirt.live_variants[0]
    page = staff.get(VARIANTS, {"q": small.sku})
    assert b'name="initial-form-0-stock" value="5"' in page.content
    body = order_body()
    body["items"] = [{"variantId": public_id("var", small.pk), "quantity": 1}]
    customer_client.post("/v1/orders", body, format="json")

    response = staff.post(
        f"{VARIANTS}?q={small.sku}",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(small.pk),
            "form-0-price": "8.00",
            "form-0-stock": "5",
            "initial-form-0-stock": "5",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    small.refresh_from_db()
    assert (small.price, small.stock) == (Decimal("8.00"), 4)
    assert_no_stock_drift()


# --- categories --------------------------------------------------------------------


@pytest.fixture
def tree():
    services.category_create(name="Electronics")
    services.category_create(name="Audio", parent="electronics")
    services.category_create(name="Home")
    return {category.slug: category for category in Category.objects.all()}


def test_the_product_list_filters_by_a_category_and_its_descendants(staff, tree):
    ProductFactory(name="Speaker", category=tree["audio"])
    ProductFactory(name="Cable", category=tree["electronics"])
    ProductFactory(name="Vase", category=tree["home"])

    def listed(slug: str) -> list[str]:
        response = staff.get(PRODUCTS, {"category": slug})
        return sorted(product.name for product in response.context["cl"].result_list)

    assert listed("electronics") == ["Cable", "Speaker"]
    assert listed("audio") == ["Speaker"]


def test_the_category_list_shows_the_tree_with_product_counts(staff, tree):
    ProductFactory(category=tree["audio"])
    ProductFactory(category=tree["audio"])
    ProductFactory(category=tree["electronics"], deleted_at="2024-01-01T00:00:00Z")

    response = staff.get(CATEGORIES)

    rows = [(c.slug, c.product_count) for c in response.context["cl"].result_list]
    assert rows == [("electronics", 2), ("audio", 2), ("home", 0)]  # tree order
    assert "— Audio" in response.content.decode()


def _category_rows(categories: list[Category], edits: dict[str, dict[str, str]]) -> dict:
    data = {"form-TOTAL_FORMS": str(len(categories)), "form-INITIAL_FORMS": str(len(categories))}
    for index, category in enumerate(categories):
        values = {
            "id": str(category.pk),
            "parent": category.parent.slug if category.parent else "",
            "position": str(category.position),
            **edits.get(category.slug, {}),
        }
        data.update({f"form-{index}-{name}": value for name, value in values.items()})
    return {**data, "_save": "Save"}


def test_the_category_list_moves_and_reorders(staff, tree, api_client):
    categories = list(Category.objects.order_by("path"))
    api_client.get("/v1/categories")

    response = staff.post(
        CATEGORIES, _category_rows(categories, {"audio": {"parent": "home", "position": "3"}})
    )

    assert response.status_code == 302
    audio = Category.objects.get(slug="audio")
    assert (audio.parent.slug, audio.path, audio.position) == ("home", "/home/audio/", 3)
    assert api_client.get("/v1/categories")["X-Cache"] == "MISS"


def _rendered(response) -> dict[str, str]:
    """The changelist form as the page renders it, to post back untouched."""
    formset = response.context["cl"].formset
    data = {
        "form-TOTAL_FORMS": str(formset.total_form_count()),
        "form-INITIAL_FORMS": str(formset.initial_form_count()),
        "_save": "Save",
    }
    for form in formset.forms:
        for name, field in form.fields.items():
            value = form[name].value()
            data[form.add_prefix(name)] = "" if value is None else str(value)
            if field.show_hidden_initial:
                data[form.add_initial_prefix(name)] = str(value)
    return data


def test_the_category_list_shows_each_parent_and_an_untouched_save_changes_nothing(staff, tree):
    page = staff.get(CATEGORIES)
    paths = dict(Category.objects.values_list("slug", "path"))

    assert {
        form.instance.slug: form["parent"].value() for form in page.context["cl"].formset.forms
    } == {
        "electronics": None,
        "audio": "electronics",
        "home": None,
    }
    assert staff.post(CATEGORIES, _rendered(page)).status_code == 302
    assert dict(Category.objects.values_list("slug", "path")) == paths


def test_the_product_page_shows_its_category(staff, tree):
    product = ProductFactory(category=tree["audio"])

    page = staff.get(f"{PRODUCTS}{product.pk}/change/")

    assert page.context["adminform"].form["category"].value() == "audio"
    assert '<option value="audio" selected>' in page.content.decode()


def test_the_category_list_refuses_a_cycle(staff, tree):
    categories = list(Category.objects.order_by("path"))

    response = staff.post(
        CATEGORIES, _category_rows(categories, {"electronics": {"parent": "audio"}})
    )

    assert response.status_code == 200
    assert "cannot move under itself" in response.content.decode()
    assert Category.objects.get(slug="electronics").parent is None


def test_a_category_added_in_the_admin_gets_its_path(staff, tree):
    response = staff.post(
        f"{CATEGORIES}add/",
        {"name": "Headphones", "slug": "headphones", "parent": "audio", "position": "0"},
    )

    assert response.status_code == 302
    assert Category.objects.get(slug="headphones").path == "/electronics/audio/headphones/"


def test_an_empty_category_is_deleted_through_the_service(staff, tree, api_client):
    api_client.get("/v1/categories")

    response = staff.post(f"{CATEGORIES}{tree['home'].pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Category.objects.filter(slug="home").exists()
    assert api_client.get("/v1/categories")["X-Cache"] == "MISS"
