"""The category tree: GET /v1/categories (cached), admin writes, moves without cycles,
the product list's category filter with descendants, and implicit root categories."""

import pytest
from django.db import IntegrityError, transaction

from catalog import services
from catalog.models import Category
from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    """electronics > audio > headphones; electronics > computers; home (roots in that order)."""
    electronics = services.category_create(name="Electronics", position=0)
    audio = services.category_create(name="Audio", parent="electronics", position=1)
    headphones = services.category_create(name="Headphones", parent="audio")
    computers = services.category_create(name="Computers", parent="electronics", position=0)
    home = services.category_create(name="Home", position=1)
    return {
        category.slug: category for category in (electronics, audio, headphones, computers, home)
    }


def _error(response) -> dict:
    return response.json()["error"]


def _ids(response) -> set[str]:
    return {item["slug"] for item in response.json()["data"]}


# --- reads -----------------------------------------------------------------------------


def test_the_tree_lists_roots_in_position_order_with_children_and_counts(api_client, tree):
    ProductFactory(category=tree["headphones"])
    ProductFactory(category=tree["audio"])
    ProductFactory(category=tree["computers"])
    ProductFactory(category=tree["computers"], deleted_at="2024-01-01T00:00:00Z")

    response = api_client.get("/v1/categories")

    assert response.status_code == 200
    assert response.json()["data"] == [
        {
            "slug": "electronics",
            "name": "Electronics",
            "parent": None,
            "position": 0,
            "path": ["electronics"],
            "productCount": 3,
            "children": [
                {
                    "slug": "computers",
                    "name": "Computers",
                    "parent": "electronics",
                    "position": 0,
                    "path": ["electronics", "computers"],
                    "productCount": 1,
                    "children": [],
                },
                {
                    "slug": "audio",
                    "name": "Audio",
                    "parent": "electronics",
                    "position": 1,
                    "path": ["electronics", "audio"],
                    "productCount": 2,
                    "children": [
                        {
                            "slug": "headphones",
                            "name": "Headphones",
                            "parent": "audio",
                            "position": 0,
                            "path": ["electronics", "audio", "headphones"],
                            "productCount": 1,
                            "children": [],
                        }
                    ],
                },
            ],
        },
        {
            "slug": "home",
            "name": "Home",
            "parent": None,
            "position": 1,
            "path": ["home"],
            "productCount": 0,
            "children": [],
        },
    ]


def test_one_category_with_its_children_any_case(api_client, tree):
    response = api_client.get("/v1/categories/AUDIO/")

    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["slug"], data["path"], [c["slug"] for c in data["children"]]) == (
        "audio",
        ["electronics", "audio"],
        ["headphones"],
    )


@pytest.mark.parametrize("slug", ["nope", "has space", "x" * 101])
def test_an_unknown_category_is_404(api_client, tree, slug):
    response = api_client.get(f"/v1/categories/{slug}")

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_the_tree_is_cached_and_answers_304(api_client, tree, django_assert_num_queries):
    first = api_client.get("/v1/categories")
    with django_assert_num_queries(0):
        second = api_client.get("/v1/categories")
    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert first.content == second.content
    assert api_client.get("/v1/categories", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_the_tree_costs_two_queries_whatever_its_size(api_client, django_assert_num_queries):
    for root in range(5):
        services.category_create(name=f"Root {root}")
        for child in range(5):
            services.category_create(name=f"Child {root} {child}", parent=f"root-{root}")

    # The categories, and the product counts per category.
    with django_assert_num_queries(2):
        response = api_client.get("/v1/categories")

    assert len(response.json()["data"]) == 5


def test_a_product_write_refreshes_the_counts(api_client, admin_client_api, tree):
    api_client.get("/v1/categories")
    api_client.get("/v1/categories/audio")

    admin_client_api.post(
        "/v1/products", {"name": "Earbuds", "price": 20, "category": "headphones"}, format="json"
    )

    tree_now = api_client.get("/v1/categories")
    audio = api_client.get("/v1/categories/audio")
    assert (tree_now["X-Cache"], audio["X-Cache"]) == ("MISS", "MISS")
    assert tree_now.json()["data"][0]["productCount"] == 1
    assert audio.json()["data"]["productCount"] == 1


def test_an_orders_stock_change_keeps_the_tree_cached(api_client, customer_client, tree):
    product = ProductFactory(category=tree["home"], stock=5)
    api_client.get("/v1/categories")

    response = customer_client.post(
        "/v1/orders",
        {
            "items": [{"productId": f"prod_{product.pk.hex}", "quantity": 1}],
            "shippingAddress": {"street": "1 A St", "city": "B", "zip": "1", "country": "US"},
            "paymentMethod": "card",
        },
        format="json",
    )

    assert response.status_code == 201
    assert api_client.get("/v1/categories")["X-Cache"] == "HIT"  # no category shows stock


# --- the product list's filter -----------------------------------------------------------


def test_the_category_filter_includes_descendants_any_case(api_client, tree):
    in_headphones = ProductFactory(category=tree["headphones"])
    in_audio = ProductFactory(category=tree["audio"])
    in_computers = ProductFactory(category=tree["computers"])
    ProductFactory(category=tree["home"])

    def listed(query: str) -> set:
        data = api_client.get(f"/v1/products?category={query}").json()["data"]
        return {item["id"] for item in data}

    ids = {product: f"prod_{product.pk.hex}" for product in (in_headphones, in_audio, in_computers)}
    assert listed("Electronics") == set(ids.values())
    assert listed("audio") == {ids[in_headphones], ids[in_audio]}
    assert listed("headphones") == {ids[in_headphones]}
    assert listed("nothing-here") == set()


def test_the_category_filter_is_one_query_whatever_the_depth(api_client, django_assert_num_queries):
    parent = None
    for depth in range(8):
        parent = services.category_create(
            name=f"Level {depth}", parent=parent.slug if parent else None
        )
        ProductFactory(category=parent)

    with django_assert_num_queries(5):  # COUNT, page, variants, options, media: as unfiltered
        response = api_client.get("/v1/products?category=level-0")

    assert response.json()["pagination"]["total"] == 8


def test_a_category_whose_slug_extends_another_is_not_its_descendant(api_client):
    ProductFactory(category="shoes")
    ProductFactory(category="shoes-kids")

    response = api_client.get("/v1/products?category=shoes")

    assert response.json()["pagination"]["total"] == 1


def test_a_product_write_naming_an_unknown_category_creates_it_at_the_root(admin_client_api):
    response = admin_client_api.post(
        "/v1/products", {"name": "Trowel", "price": 7, "category": "Garden-Tools"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["category"] == "garden-tools"
    category = Category.objects.get()
    assert (category.slug, category.name, category.parent, category.path) == (
        "garden-tools",
        "Garden Tools",
        None,
        "/garden-tools/",
    )


@pytest.mark.parametrize("category", ["Home & Garden", "a/b", "", "x" * 101])
def test_a_product_category_must_be_a_slug(admin_client_api, category):
    response = admin_client_api.post(
        "/v1/products", {"name": "Trowel", "price": 7, "category": category}, format="json"
    )

    assert response.status_code == 400
    assert "category" in _error(response)["details"]
    assert not Category.objects.exists()


def test_moving_a_products_category_is_visible_in_the_next_list(api_client, admin_client_api, tree):
    product = ProductFactory(category=tree["headphones"])
    assert api_client.get("/v1/products?category=home").json()["data"] == []

    admin_client_api.patch("/v1/categories/audio", {"parent": "home"}, format="json")

    listed = api_client.get("/v1/products?category=home")
    assert listed["X-Cache"] == "MISS"
    assert [item["id"] for item in listed.json()["data"]] == [f"prod_{product.pk.hex}"]


# --- writes ----------------------------------------------------------------------------


def test_admin_creates_a_category_with_a_generated_slug(admin_client_api, tree):
    response = admin_client_api.post(
        "/v1/categories", {"name": "Over-Ear Headphones", "parent": "audio"}, format="json"
    )

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert (data["slug"], data["parent"], data["path"], data["position"]) == (
        "over-ear-headphones",
        "audio",
        ["electronics", "audio", "over-ear-headphones"],
        1,  # after its one sibling
    )


def test_a_generated_category_slug_is_made_unique(admin_client_api, tree):
    response = admin_client_api.post("/v1/categories", {"name": "Audio"}, format="json")

    assert response.json()["data"]["slug"] == "audio-2"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "Audio", "slug": "audio"}, 409, "slug"),
        ({"name": "Audio", "slug": "AUDIO"}, 409, "slug"),
        ({"name": "X", "parent": "nope"}, 400, "parent"),
        ({"name": ""}, 400, "name"),
        ({"name": "X", "slug": "bad slug"}, 400, "slug"),
        ({"name": "X", "position": -1}, 400, "position"),
        ({"name": "X", "position": 1.5}, 400, "position"),
        ({"name": "X", "colour": "red"}, 400, "colour"),
        ({}, 400, "name"),
    ],
)
def test_category_create_validates(admin_client_api, tree, body, status, field):
    before = Category.objects.count()

    response = admin_client_api.post("/v1/categories", body, format="json")

    assert response.status_code == status
    assert field in _error(response)["details"]
    assert Category.objects.count() == before


def test_rename_move_and_reorder(admin_client_api, tree):
    response = admin_client_api.patch(
        "/v1/categories/audio",
        {"name": "Sound", "slug": "sound", "parent": "home", "position": 4},
        format="json",
    )

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["slug"], data["name"], data["parent"], data["path"], data["position"]) == (
        "sound",
        "Sound",
        "home",
        ["home", "sound"],
        4,
    )
    # The subtree followed.
    assert Category.objects.get(slug="headphones").path == "/home/sound/headphones/"


def test_a_move_to_the_root(admin_client_api, tree):
    response = admin_client_api.patch("/v1/categories/audio", {"parent": None}, format="json")

    assert response.json()["data"]["path"] == ["audio"]
    assert Category.objects.get(slug="headphones").path == "/audio/headphones/"


@pytest.mark.parametrize("parent", ["audio", "headphones"])
def test_a_move_under_itself_or_a_descendant_is_400(admin_client_api, tree, parent):
    response = admin_client_api.patch("/v1/categories/audio", {"parent": parent}, format="json")

    assert response.status_code == 400
    assert list(_error(response)["details"]) == ["parent"]
    assert Category.objects.get(slug="audio").path == "/electronics/audio/"


def test_a_renamed_category_shows_on_its_products(api_client, admin_client_api, tree):
    product = ProductFactory(category=tree["audio"])
    api_client.get(f"/v1/products/prod_{product.pk.hex}")

    admin_client_api.patch("/v1/categories/audio", {"slug": "sound"}, format="json")

    detail = api_client.get(f"/v1/products/prod_{product.pk.hex}")
    assert (detail["X-Cache"], detail.json()["data"]["category"]) == ("MISS", "sound")


def test_the_tree_cannot_nest_deeper_than_its_limit(admin_client_api):
    parent = None
    for depth in range(services.CATEGORY_MAX_DEPTH):
        parent = services.category_create(
            name=f"Level {depth}", parent=parent.slug if parent else None
        )

    too_deep = admin_client_api.post(
        "/v1/categories", {"name": "X", "parent": parent.slug}, format="json"
    )
    other = services.category_create(name="Other")
    services.category_create(name="Other child", parent="other")
    moved_too_deep = admin_client_api.patch(
        "/v1/categories/other", {"parent": "level-6"}, format="json"
    )

    assert too_deep.status_code == moved_too_deep.status_code == 400
    assert other.pk


def test_delete_an_empty_category(admin_client_api, api_client, tree):
    api_client.get("/v1/categories")

    response = admin_client_api.delete("/v1/categories/computers")

    assert response.status_code == 204
    assert not Category.objects.filter(slug="computers").exists()
    assert api_client.get("/v1/categories")["X-Cache"] == "MISS"


@pytest.mark.parametrize("slug", ["audio", "home"])
def test_a_category_with_children_or_products_cannot_be_deleted(admin_client_api, tree, slug):
    ProductFactory(category=tree["home"], deleted_at="2024-01-01T00:00:00Z")  # even removed

    response = admin_client_api.delete(f"/v1/categories/{slug}")

    assert response.status_code == 409
    assert _error(response)["code"] == "conflict"
    assert Category.objects.filter(slug=slug).exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/v1/categories"),
        ("patch", "/v1/categories/audio"),
        ("delete", "/v1/categories/computers"),
    ],
)
def test_category_writes_are_for_admins(api_client, customer_client, tree, method, path):
    body = {"name": "X"}

    anonymous = getattr(api_client, method)(path, body, format="json")
    customer = getattr(customer_client, method)(path, body, format="json")

    assert (anonymous.status_code, customer.status_code) == (401, 403)
    assert Category.objects.count() == 5
    assert Category.objects.get(slug="audio").name == "Audio"


def test_the_database_refuses_an_uppercase_slug(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.create(slug="Shoes", name="Shoes", path="/Shoes/")
