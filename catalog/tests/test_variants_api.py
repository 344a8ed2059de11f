"""Products with options and variants: create and update bodies, the variant routes,
validation (400 naming the field, 409 for a taken SKU), and nothing half-written."""

from decimal import Decimal

import pytest

from catalog.models import Product, ProductOption, ProductVariant, StockMovement
from catalog.tests.factories import ProductFactory, product_with_variants
from ecommerce.api.ids import public_id
from orders.tests.support import assert_no_stock_drift

pytestmark = pytest.mark.django_db

SHIRT = {
    "name": "Organic T-Shirt",
    "category": "clothing",
    "options": [
        {"name": "Size", "values": ["S", "M", "L"]},
        {"name": "Colour", "values": ["Red", "Blue"]},
    ],
    "variants": [
        {"options": {"Size": "S", "Colour": "Red"}, "price": 19.99, "stock": 3},
        {"options": {"Size": "M", "Colour": "Red"}, "price": 19.99, "stock": 0, "weight": 180},
        {"options": {"Size": "L", "Colour": "Blue"}, "price": 24.5, "stock": 7, "sku": "TS-L-BL"},
    ],
}


def _detail(product) -> str:
    return f"/v1/products/{public_id('prod', product.pk)}"


def _variants_url(product) -> str:
    return f"{_detail(product)}/variants"


def _variant_url(product, variant) -> str:
    return f"{_variants_url(product)}/{public_id('var', variant.pk)}"


def _error(response) -> dict:
    return response.json()["error"]


def _assert_nothing_written() -> None:
    assert not Product.objects.exists()
    assert not ProductVariant.objects.exists()
    assert not ProductOption.objects.exists()
    assert not StockMovement.objects.exists()


# --- create ----------------------------------------------------------------------------


def test_create_with_options_and_variants(admin_client_api):
    response = admin_client_api.post("/v1/products", SHIRT, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["options"] == SHIRT["options"]
    assert (data["price"], data["priceMax"], data["stock"]) == (19.99, 24.5, 10)
    assert [variant["options"] for variant in data["variants"]] == [
        {"Size": "S", "Colour": "Red"},
        {"Size": "M", "Colour": "Red"},
        {"Size": "L", "Colour": "Blue"},
    ]
    assert [variant["sku"] for variant in data["variants"]] == [
        "organic-t-shirt-s-red",
        "organic-t-shirt-m-red",
        "TS-L-BL",
    ]
    assert [variant["weight"] for variant in data["variants"]] == [0, 180, 0]
    assert all(variant["id"].startswith("var_") for variant in data["variants"])
    product = Product.objects.get()
    assert (product.price, product.price_max, product.stock) == (
        Decimal("19.99"),
        Decimal("24.50"),
        10,
    )
    assert_no_stock_drift()


def test_the_designs_body_makes_a_simple_product_with_one_variant(admin_client_api):
    body = {"name": "Desk Lamp", "price": 45.5, "category": "home", "stock": 4}

    data = admin_client_api.post("/v1/products", body, format="json").json()["data"]

    assert data["options"] == []
    assert len(data["variants"]) == 1
    variant = data["variants"][0]
    assert (variant["sku"], variant["options"], variant["price"], variant["stock"]) == (
        "desk-lamp",
        {},
        45.5,
        4,
    )
    assert (data["price"], data["priceMax"], data["stock"]) == (45.5, 45.5, 4)


def test_a_simple_product_takes_its_sku_and_weight(admin_client_api):
    body = {"name": "Lamp", "price": 5, "category": "home", "sku": "LAMP.01", "weight": 950}

    variant = admin_client_api.post("/v1/products", body, format="json").json()["data"]["variants"][
        0
    ]

    assert (variant["sku"], variant["weight"]) == ("LAMP.01", 950)


def test_generated_skus_are_made_unique(admin_client_api):
    ProductFactory(slug="other", sku="lamp")
    body = {"name": "Lamp", "price": 5, "category": "home"}

    variant = admin_client_api.post("/v1/products", body, format="json").json()["data"]["variants"][
        0
    ]

    assert variant["sku"] == "lamp-2"


@pytest.mark.parametrize("field", ["price", "stock", "sku", "weight"])
def test_top_level_variant_fields_are_refused_with_variants(admin_client_api, field):
    body = {**SHIRT, field: {"price": 5, "stock": 1, "sku": "X", "weight": 1}[field]}

    response = admin_client_api.post("/v1/products", body, format="json")

    assert response.status_code == 400
    assert field in _error(response)["details"]
    _assert_nothing_written()


def test_options_without_variants_are_refused(admin_client_api):
    body = {"name": "Shirt", "category": "clothing", "options": SHIRT["options"]}

    response = admin_client_api.post("/v1/products", body, format="json")

    assert response.status_code == 400
    assert "variants" in _error(response)["details"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"Size": "S"}, "Name exactly the product's options"),
        ({"Size": "S", "Colour": "Red", "Fit": "Slim"}, "Name exactly the product's options"),
        ({"Size": "XL", "Colour": "Red"}, "'XL' is not one of S, M, L"),
        ({"Size": "S", "Colour": "Green"}, "'Green' is not one of Red, Blue"),
    ],
)
def test_a_variant_must_name_each_option_with_one_of_its_values(admin_client_api, options, message):
    body = {**SHIRT, "variants": [*SHIRT["variants"][:1], {"options": options, "price": 5}]}

    response = admin_client_api.post("/v1/products", body, format="json")

    assert response.status_code == 400
    assert _error(response)["code"] == "validation_error"
    details = _error(response)["details"]
    assert list(details) == ["variants[1].options"]
    assert message in " ".join(details["variants[1].options"])
    _assert_nothing_written()


def test_option_names_match_whatever_their_case(admin_client_api):
    variant = {"options": {"size": "S", "COLOUR": "Red"}, "price": 5}

    response = admin_client_api.post(
        "/v1/products", {**SHIRT, "variants": [variant]}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["variants"][0]["options"] == {"Size": "S", "Colour": "Red"}


def test_two_variants_with_one_combination_are_refused(admin_client_api):
    twin = {"options": {"Colour": "Red", "Size": "S"}, "price": 9}

    response = admin_client_api.post(
        "/v1/products", {**SHIRT, "variants": [*SHIRT["variants"], twin]}, format="json"
    )

    assert response.status_code == 400
    assert _error(response)["details"] == {"variants[3].options": ["Same options as variants[0]."]}
    _assert_nothing_written()


def test_one_sku_twice_in_a_body_is_refused(admin_client_api):
    variants = [dict(variant, sku="Same-1") for variant in SHIRT["variants"][:2]]

    response = admin_client_api.post("/v1/products", {**SHIRT, "variants": variants}, format="json")

    assert response.status_code == 400
    assert "variants[1].sku" in _error(response)["details"]


@pytest.mark.parametrize("sku", ["ts l", "ts/l", "", "x" * 65, "ünï"])
def test_a_malformed_sku_is_refused_naming_it(admin_client_api, sku):
    variants = [dict(SHIRT["variants"][0], sku=sku)]

    response = admin_client_api.post("/v1/products", {**SHIRT, "variants": variants}, format="json")

    assert response.status_code == 400
    assert "sku" in _error(response)["details"]["variants"][0]
    _assert_nothing_written()


@pytest.mark.parametrize("taken", ["TS-L-BL", "ts-l-bl"])
def test_a_sku_another_product_has_is_409_and_writes_nothing(admin_client_api, taken):
    ProductFactory(slug="existing", sku=taken)
    before = (
        Product.objects.count(),
        ProductVariant.objects.count(),
        StockMovement.objects.count(),
    )

    response = admin_client_api.post("/v1/products", SHIRT, format="json")

    assert response.status_code == 409
    assert _error(response)["code"] == "conflict"
    assert set(_error(response)["details"]) == {"variants[2].sku"}
    after = (Product.objects.count(), ProductVariant.objects.count(), StockMovement.objects.count())
    assert after == before


@pytest.mark.parametrize(
    ("options", "where"),
    [
        ([{"name": "A", "values": ["1"]}] * 2, "options"),
        ([{"name": f"O{n}", "values": ["1"]} for n in range(4)], "options"),
        ([{"name": "Size", "values": ["S", "S"]}], "options"),
        ([{"name": "Size", "values": []}], "options"),
        ([{"name": "Size", "values": [str(n) for n in range(101)]}], "options"),
        ([{"name": "", "values": ["S"]}], "options"),
        ([{"name": "Size"}], "options"),
        ([{"name": "Size", "values": ["S"], "extra": 1}], "options"),
        ("Size", "options"),
    ],
)
def test_malformed_options_are_refused_naming_the_field(admin_client_api, options, where):
    body = {**SHIRT, "options": options, "variants": [{"options": {}, "price": 5}]}

    response = admin_client_api.post("/v1/products", body, format="json")

    assert response.status_code == 400, response.json()
    assert where in _error(response)["details"]
    _assert_nothing_written()


@pytest.mark.parametrize(
    "variant",
    [
        {"options": {"Size": "S", "Colour": "Red"}},
        {"options": {"Size": "S", "Colour": "Red"}, "price": 0},
        {"options": {"Size": "S", "Colour": "Red"}, "price": 5, "stock": -1},
        {"options": {"Size": "S", "Colour": "Red"}, "price": 5, "weight": 1.5},
        {"options": {"Size": 1, "Colour": "Red"}, "price": 5},
        {"options": ["S"], "price": 5},
        {"options": {"Size": "S", "Colour": "Red"}, "price": 5, "colour": "red"},
        {"options": {"Size": "S", "Colour": "Red"}, "price": 5, "id": "var_" + "0" * 32},
    ],
)
def test_malformed_variants_are_refused_naming_the_variant(admin_client_api, variant):
    response = admin_client_api.post(
        "/v1/products", {**SHIRT, "variants": [variant]}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert any(key.startswith("variants") for key in _error(response)["details"])
    _assert_nothing_written()


def test_more_than_250_variants_are_refused(admin_client_api):
    variants = [{"options": {}, "price": 1}] * 251

    response = admin_client_api.post(
        "/v1/products", {"name": "X", "category": "c", "variants": variants}, format="json"
    )

    assert response.status_code == 400
    assert "variants" in _error(response)["details"]


# --- update ----------------------------------------------------------------------------


def test_patch_price_of_a_product_with_several_variants_is_refused(admin_client_api):
    product = product_with_variants()

    response = admin_client_api.patch(_detail(product), {"price": 5, "stock": 1}, format="json")

    assert response.status_code == 400
    assert set(_error(response)["details"]) == {"price", "stock"}


def test_patch_variants_updates_matched_ones_adds_new_ones_and_removes_the_rest(admin_client_api):
    product = product_with_variants(
        variants=[
            ({"Size": "S"}, "10.00", 5),
            ({"Size": "M"}, "12.00", 7),
            ({"Size": "L"}, "14.00", 1),
        ]
    )
    small, medium, large = product.live_variants
    body = {
        "variants": [
            # By id: the price changes, the stock is counted again.
            {"id": public_id("var", small.pk), "options": {"Size": "S"}, "price": 11, "stock": 9},
            # By SKU (any case): only the stock changes.
            {"sku": medium.sku.upper(), "options": {"Size": "M"}, "price": 12},
        ],
    }

    response = admin_client_api.patch(_detail(product), body, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert [(v["sku"], v["price"], v["stock"]) for v in data["variants"]] == [
        (small.sku, 11.0, 9),
        (medium.sku.upper(), 12.0, 7),
    ]
    assert (data["price"], data["priceMax"], data["stock"]) == (11.0, 12.0, 16)
    large.refresh_from_db()
    assert large.deleted_at is not None  # left the catalog; its row stays for order history
    adjustments = StockMovement.objects.filter(variant=small, reason="adjustment")
    assert list(adjustments.values_list("delta", flat=True)) == [4]
    assert_no_stock_drift()


def test_a_put_of_the_same_body_changes_nothing(admin_client_api):
    created = admin_client_api.post("/v1/products", SHIRT, format="json").json()["data"]
    body = {key: value for key, value in SHIRT.items() if key != "name"}

    again = admin_client_api.put(f"/v1/products/{created['id']}", body, format="json")

    assert again.status_code == 200, again.json()
    assert [v["id"] for v in again.json()["data"]["variants"]] == [
        v["id"] for v in created["variants"]
    ]
    assert ProductVariant.objects.count() == 3


def test_two_variants_may_trade_their_options_and_skus(admin_client_api):
    product = product_with_variants()
    small, medium = product.live_variants
    body = {
        "variants": [
            {"id": public_id("var", small.pk), "options": {"Size": "M"}, "sku": medium.sku},
            {"id": public_id("var", medium.pk), "options": {"Size": "S"}, "sku": small.sku},
        ]
    }

    response = admin_client_api.patch(_detail(product), body, format="json")

    assert response.status_code == 200, response.json()
    small.refresh_from_db()
    assert (small.options, small.sku, small.deleted_at) == ({"Size": "M"}, medium.sku, None)


def test_a_simple_product_becomes_one_with_options(admin_client_api):
    product = ProductFactory(name="Mug", slug="mug", stock=4)
    body = {
        "options": [{"name": "Colour", "values": ["White", "Black"]}],
        "variants": [
            {"options": {"Colour": "White"}, "price": 8, "stock": 4, "sku": "mug"},
            {"options": {"Colour": "Black"}, "price": 9, "stock": 2},
        ],
    }

    response = admin_client_api.patch(_detail(product), body, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert [v["options"] for v in data["variants"]] == [{"Colour": "White"}, {"Colour": "Black"}]
    # The SKU matched the simple product's variant: it was kept, not replaced.
    assert data["variants"][0]["id"] == public_id("var", ProductVariant.objects.get(sku="mug").pk)
    assert data["stock"] == 6
    assert_no_stock_drift()


def test_patch_options_alone_must_fit_every_variant(admin_client_api):
    product = product_with_variants()

    added = admin_client_api.patch(
        _detail(product),
        {"options": [{"name": "Size", "values": ["XS", "S", "M", "L"]}]},
        format="json",
    )
    dropped = admin_client_api.patch(
        _detail(product), {"options": [{"name": "Size", "values": ["S", "L"]}]}, format="json"
    )

    assert added.status_code == 200
    assert added.json()["data"]["options"] == [{"name": "Size", "values": ["XS", "S", "M", "L"]}]
    assert dropped.status_code == 400
    assert "'M' is not one of S, L" in " ".join(_error(dropped)["details"]["options"])
    assert ProductOption.objects.get(product=product).values == ["XS", "S", "M", "L"]


def test_a_variant_id_of_another_product_is_refused(admin_client_api):
    product = product_with_variants()
    stranger = ProductFactory().variants.get()
    body = {"variants": [{"id": public_id("var", stranger.pk), "options": {"Size": "S"}}]}

    response = admin_client_api.patch(_detail(product), body, format="json")

    assert response.status_code == 400
    assert _error(response)["details"] == {"variants[0].id": ["Not a variant of this product."]}


def test_a_new_variant_in_an_update_needs_a_price(admin_client_api):
    product = product_with_variants()
    body = {"variants": [{"options": {"Size": "L"}, "stock": 1}]}

    response = admin_client_api.patch(_detail(product), body, format="json")

    assert response.status_code == 400
    assert "variants[0].price" in _error(response)["details"]
    assert ProductVariant.objects.in_catalog().count() == 2


# --- the variant routes ------------------------------------------------------------------


def test_add_a_variant(admin_client_api):
    product = product_with_variants()

    response = admin_client_api.post(
        _variants_url(product), {"options": {"size": "L"}, "price": 15, "stock": 2}, format="json"
    )

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert (data["options"], data["price"], data["stock"], data["sku"]) == (
        {"Size": "L"},
        15.0,
        2,
        "t-shirt-l",
    )
    product.refresh_from_db()
    assert (product.price_max, product.stock) == (Decimal("15.00"), 14)
    assert_no_stock_drift()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"options": {"Size": "S"}, "price": 5}, "options"),  # S exists
        ({"options": {"Size": "XL"}, "price": 5}, "options"),
        ({"options": {}, "price": 5}, "options"),
        ({"options": {"Size": "L"}}, "price"),
        ({"options": {"Size": "L"}, "price": 5, "sku": "bad sku"}, "sku"),
        ({"options": {"Size": "L"}, "price": 5, "id": "var_" + "1" * 32}, "id"),
    ],
)
def test_adding_a_variant_validates_it(admin_client_api, body, field):
    product = product_with_variants()

    response = admin_client_api.post(_variants_url(product), body, format="json")

    assert response.status_code == 400
    assert field in _error(response)["details"]
    assert ProductVariant.objects.count() == 2


def test_a_second_variant_of_a_simple_product_is_refused(admin_client_api):
    product = ProductFactory()

    response = admin_client_api.post(
        _variants_url(product), {"options": {}, "price": 5}, format="json"
    )

    assert response.status_code == 400
    assert "options" in _error(response)["details"]


def test_adding_a_variant_with_a_taken_sku_is_409(admin_client_api):
    product = product_with_variants()
    ProductFactory(slug="x", sku="TAKEN")

    response = admin_client_api.post(
        _variants_url(product),
        {"options": {"Size": "L"}, "price": 5, "sku": "taken"},
        format="json",
    )

    assert response.status_code == 409
    assert _error(response)["details"] == {"sku": ["Another variant already uses this SKU."]}


def test_patch_a_variant(admin_client_api):
    product = product_with_variants()
    small = product.live_variants[0]

    response = admin_client_api.patch(
        _variant_url(product, small),
        {"price": "9.50", "stock": 2, "weight": 120, "sku": "TS-S"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["data"] == {
        "id": public_id("var", small.pk),
        "sku": "TS-S",
        "options": {"Size": "S"},
        "price": 9.5,
        "stock": 2,
        "weight": 120,
    }
    product.refresh_from_db()
    assert (product.price, product.stock) == (Decimal("9.50"), 9)
    assert list(StockMovement.objects.filter(variant=small).values_list("reason", "delta")) == [
        ("initial", 5),
        ("adjustment", -3),
    ]
    assert_no_stock_drift()


def test_variants_each_at_the_stock_limit_add_up_on_the_product(admin_client_api):
    # A fuzz finding: the product's stock, their sum, overflowed a PostgreSQL
    # integer and answered 500.
    product = product_with_variants()

    for variant in product.live_variants:
        response = admin_client_api.patch(
            _variant_url(product, variant), {"stock": 2_147_483_646}, format="json"
        )
        assert response.status_code == 200, response.json()

    product.refresh_from_db()
    assert product.stock == 2_147_483_646 * len(product.live_variants) > 2**31
    shown = admin_client_api.get(_detail(product)).json()["data"]
    assert shown["stock"] == product.stock
    assert_no_stock_drift()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"options": {"Size": "L"}}, "options"),
        ({"price": 0}, "price"),
        ({"stock": -1}, "stock"),
        ({"stock": True}, "stock"),
        ({"weight": -5}, "weight"),
        ({"sku": ""}, "sku"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_patch_a_variant_validates(admin_client_api, body, field):
    product = product_with_variants()

    response = admin_client_api.patch(
        _variant_url(product, product.live_variants[0]), body, format="json"
    )

    assert response.status_code == 400
    assert field in _error(response)["details"]


def test_patch_a_variant_to_a_taken_sku_is_409(admin_client_api):
    product = product_with_variants()
    small, medium = product.live_variants

    response = admin_client_api.patch(
        _variant_url(product, small), {"sku": medium.sku.upper()}, format="json"
    )

    assert response.status_code == 409


def test_a_variant_is_found_only_under_its_own_product(admin_client_api):
    product = product_with_variants()
    other = ProductFactory()

    wrong_product = admin_client_api.patch(
        _variant_url(other, product.live_variants[0]), {"price": 1}, format="json"
    )
    malformed = admin_client_api.patch(
        f"{_variants_url(product)}/var_123", {"price": 1}, format="json"
    )

    assert wrong_product.status_code == malformed.status_code == 404


def test_delete_a_variant_takes_it_out_of_the_catalog(admin_client_api, api_client):
    product = product_with_variants()
    small, medium = product.live_variants

    response = admin_client_api.delete(_variant_url(product, small))

    assert response.status_code == 204
    data = api_client.get(_detail(product)).json()["data"]
    assert [v["id"] for v in data["variants"]] == [public_id("var", medium.pk)]
    assert (data["price"], data["stock"]) == (12.0, 7)
    assert admin_client_api.delete(_variant_url(product, small)).status_code == 404
    # Its SKU stays taken, as a removed product's slug does.
    again = admin_client_api.post(
        _variants_url(product),
        {"options": {"Size": "S"}, "price": 5, "sku": small.sku},
        format="json",
    )
    assert again.status_code == 409
    assert_no_stock_drift()


def test_the_last_variant_cannot_be_deleted(admin_client_api):
    product = ProductFactory()

    response = admin_client_api.delete(_variant_url(product, product.variants.get()))

    assert response.status_code == 409
    assert _error(response)["code"] == "conflict"
    assert product.variants.in_catalog().count() == 1


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_variant_routes_are_for_admins(api_client, customer_client, method):
    product = product_with_variants()
    url = (
        _variant_url(product, product.live_variants[0])
        if method != "post"
        else _variants_url(product)
    )
    body = {"options": {"Size": "L"}, "price": 5}

    anonymous = getattr(api_client, method)(url, body, format="json")
    customer = getattr(customer_client, method)(url, body, format="json")

    assert (anonymous.status_code, customer.status_code) == (401, 403)
    assert ProductVariant.objects.in_catalog().count() == 2


def test_variant_routes_of_an_unknown_product_are_404(admin_client_api):
    response = admin_client_api.post(
        f"/v1/products/prod_{'0' * 32}/variants", {"options": {}, "price": 5}, format="json"
    )

    assert response.status_code == 404


# --- reads -----------------------------------------------------------------------------


def test_variant_writes_invalidate_the_product_and_lists(admin_client_api, api_client):
    product = product_with_variants()
    api_client.get(_detail(product))
    api_client.get("/v1/products")
    assert api_client.get(_detail(product))["X-Cache"] == "HIT"

    admin_client_api.patch(
        _variant_url(product, product.live_variants[0]), {"stock": 50}, format="json"
    )

    detail = api_client.get(_detail(product))
    listing = api_client.get("/v1/products")
    assert (detail["X-Cache"], detail.json()["data"]["stock"]) == ("MISS", 57)
    assert (listing["X-Cache"], listing.json()["data"][0]["stock"]) == ("MISS", 57)


def test_detail_costs_four_queries_whatever_the_variants(api_client, django_assert_num_queries):
    sizes = [str(size) for size in range(30, 50)]
    product = product_with_variants(
        options={"Size": sizes, "Colour": ["Red", "Blue"]},
        variants=[({"Size": s, "Colour": c}, "5.00", 1) for s in sizes for c in ("Red", "Blue")],
    )

    # The product with its category, its variants, its options, its media.
    with django_assert_num_queries(4):
        response = api_client.get(_detail(product))

    assert len(response.json()["data"]["variants"]) == 40


def test_list_costs_five_queries_whatever_the_variants(api_client, django_assert_num_queries):
    for number in range(12):
        product_with_variants(name=f"Shirt {number}", category=f"cat-{number % 3}")

    # COUNT, the page with categories, the variants, the options, the media.
    with django_assert_num_queries(5):
        response = api_client.get("/v1/products?limit=50&category=cat-1&inStock=true&minPrice=5")

    assert len(response.json()["data"]) == 4
    assert all(len(item["variants"]) == 2 for item in response.json()["data"])


def test_price_and_stock_filters_need_one_variant_matching_them_all(api_client):
    product_with_variants(
        name="Spread", variants=[({"Size": "S"}, "10.00", 0), ({"Size": "M"}, "30.00", 5)]
    )
    product_with_variants(
        name="One price", variants=[({"Size": "S"}, "12.00", 0), ({"Size": "M"}, "12.00", 2)]
    )
    ProductFactory(name="Simple", price=Decimal("12.00"), stock=1)

    def listed(query: str) -> set[str]:
        return {item["name"] for item in api_client.get(f"/v1/products?{query}").json()["data"]}

    # Spread's 10.00 variant is in the range but sold out; its 30.00 one is out of range.
    assert listed("minPrice=5&maxPrice=15&inStock=true") == {"One price", "Simple"}
    assert listed("minPrice=5&maxPrice=15") == {"Spread", "One price", "Simple"}
    assert listed("minPrice=25") == {"Spread"}
    assert listed("maxPrice=11") == {"Spread"}
    assert listed("minPrice=25&inStock=true") == {"Spread"}
    assert listed("inStock=false") == set()


def test_sort_by_price_uses_the_lowest_variant_price(api_client):
    product_with_variants(
        name="From 10", variants=[({"Size": "S"}, "10.00", 1), ({"Size": "M"}, "99.00", 1)]
    )
    ProductFactory(name="At 20", price=Decimal("20.00"))

    names = [item["name"] for item in api_client.get("/v1/products?sort=price_asc").json()["data"]]

    assert names == ["From 10", "At 20"]
