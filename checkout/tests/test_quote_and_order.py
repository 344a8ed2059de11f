"""The quote and the order price a basket the same way, to the cent, and the order keeps it."""

from decimal import Decimal

import pytest

from catalog.tests.factories import CategoryFactory
from checkout.tests.factories import (
    discount_code_make,
    method_id,
    shipping_method_make,
    tax_rate_make,
    weigh,
)
from orders.models import Order
from orders.tests.factories import ADDRESS, money, order_body, order_post, product_id, product_make
from payments.models import Payment

pytestmark = pytest.mark.django_db

QUOTE = "/v1/checkout/quote"


def quote_post(client, body: dict):
    return client.post(QUOTE, body, format="json")


def quote_body(*lines, **extra) -> dict:
    body = order_body(*lines, **extra)
    body.pop("paymentMethod")
    return body


@pytest.fixture
def shop(db):
    """Two products (a book and a shirt), two methods to the US, CA sales tax, a book rate."""
    books = CategoryFactory(slug="books")
    clothing = CategoryFactory(slug="clothing")
    book = weigh(product_make(name="Book", price="12.99", stock=20), 400)
    book.category = books
    book.save(update_fields=["category"])
    shirt = weigh(product_make(name="Shirt", price="30.00", stock=20), 250)
    shirt.category = clothing
    shirt.save(update_fields=["category"])
    standard = shipping_method_make(name="Standard", price="4.99", per_kg="1.50")
    express = shipping_method_make(name="Express", price="14.00", min_days=1, max_days=2)
    tax_rate_make(rate="6.25", country="US", state="")
    tax_rate_make(rate="7.25", country="US", state="CA")
    tax_rate_make(rate="0", country="US", category=books)
    return {"book": book, "shirt": shirt, "standard": standard, "express": express}


CA = {**ADDRESS, "state": "CA", "city": "Oakland", "zip": "94612"}


def test_a_quote_shows_shipping_tax_and_discount_and_the_order_charges_exactly_that(
    customer_client, shop
):
    discount_code_make(code="TENOFF", value="10")
    lines = ((shop["book"], 2), (shop["shirt"], 1))
    body = quote_body(*lines, shippingAddress=CA, discountCode="tenoff")

    quote = money(quote_post(customer_client, body))["data"]
    response = order_post(customer_client, {**body, "paymentMethod": "card"})

    assert response.status_code == 201, response.content
    order = money(response)["data"]
    # 2 x 12.99 + 30.00; 10 % off each line; books are zero-rated, the shirt 7.25 % (CA);
    # Standard: 4.99 + 1.50/kg x 1.05 kg = 6.565 -> 6.57, the cheapest, so the default.
    assert quote["subtotal"] == Decimal("55.98")
    assert [line["discount"] for line in quote["lines"]] == [Decimal("2.60"), Decimal("3.00")]
    assert quote["discountTotal"] == Decimal("5.60")
    assert quote["shippingTotal"] == Decimal("6.57")
    assert [line["tax"] for line in quote["lines"]] == [Decimal("0.00"), Decimal("1.96")]
    assert quote["taxTotal"] == Decimal("1.96")
    assert quote["total"] == Decimal("55.98") - Decimal("5.60") + Decimal("6.57") + Decimal("1.96")
    assert quote["shippingMethod"] == {
        "id": method_id(shop["standard"]),
        "name": "Standard",
        "price": Decimal("6.57"),
    }
    assert [m["name"] for m in quote["shippingMethods"]] == ["Standard", "Express"]
    assert quote["discount"] == {"code": "TENOFF", "kind": "percentage", "value": Decimal("10.00")}
    for key in (
        "subtotal",
        "discountTotal",
        "shippingTotal",
        "taxTotal",
        "total",
        "currency",
        "pricesIncludeTax",
        "shippingMethod",
        "discount",
    ):
        assert order[key] == quote[key], key
    for quoted, ordered in zip(quote["lines"], order["items"], strict=True):
        for key in ("productId", "variantId", "sku", "unitPrice", "lineTotal", "discount", "tax"):
            assert ordered[key] == quoted[key], key
    stored = Order.objects.get(pk=order["id"].removeprefix("ord_"))
    assert (stored.discount_total, stored.shipping_total, stored.tax_total) == (
        Decimal("5.60"),
        Decimal("6.57"),
        Decimal("1.96"),
    )
    assert Payment.objects.get(order=stored).amount == quote["total"] == stored.total


def test_a_chosen_method_is_charged_instead_of_the_cheapest(customer_client, shop):
    body = quote_body(
        (shop["shirt"], 1), shippingAddress=CA, shippingMethod=method_id(shop["express"])
    )

    quote = money(quote_post(customer_client, body))["data"]

    assert quote["shippingMethod"]["name"] == "Express"
    assert quote["shippingTotal"] == Decimal("14.00")


def test_shipping_is_free_from_the_threshold_after_discount(customer_client, shop):
    shop["standard"].free_from = Decimal("50.00")
    shop["standard"].save()
    discount_code_make(code="FIVE", kind="fixed", value="5.00")

    above = money(quote_post(customer_client, quote_body((shop["shirt"], 2), shippingAddress=CA)))
    below = money(
        quote_post(
            customer_client,
            quote_body((shop["shirt"], 2), shippingAddress=CA, discountCode="FIVE"),
        )
    )

    assert above["data"]["shippingTotal"] == Decimal("0.00")
    assert below["data"]["subtotal"] - below["data"]["discountTotal"] == Decimal("55.00")
    assert below["data"]["shippingTotal"] == Decimal("0.00")
    shop["standard"].free_from = Decimal("60.01")
    shop["standard"].save()
    charged = money(quote_post(customer_client, quote_body((shop["shirt"], 2), shippingAddress=CA)))
    assert charged["data"]["shippingTotal"] == Decimal("4.99") + Decimal("0.75")


def test_a_free_shipping_code_takes_the_shipping_off(customer_client, shop):
    discount_code_make(code="SHIPFREE", kind="free_shipping", value="0")

    quote = money(
        quote_post(
            customer_client,
            quote_body((shop["shirt"], 1), shippingAddress=CA, discountCode="ShipFree"),
        )
    )["data"]

    assert quote["shippingTotal"] == Decimal("0.00")
    assert quote["discountTotal"] == Decimal("0.00")
    assert quote["discount"]["kind"] == "free_shipping"


def test_a_fixed_code_is_spread_over_the_eligible_lines_and_never_below_zero(customer_client, shop):
    discount_code_make(code="BIG", kind="fixed", value="100.00")

    body = quote_body((shop["book"], 1), (shop["shirt"], 1), discountCode="BIG")

    quote = money(quote_post(customer_client, body))["data"]

    assert [line["discount"] for line in quote["lines"]] == [Decimal("12.99"), Decimal("30.00")]
    assert quote["discountTotal"] == quote["subtotal"]
    assert quote["total"] == quote["shippingTotal"]  # the goods are free, the parcel is not


def test_a_category_code_discounts_only_its_category(customer_client, shop):
    discount_code_make(code="BOOKS20", value="20", categories=[shop["book"].category])

    body = quote_body((shop["book"], 1), (shop["shirt"], 1), discountCode="BOOKS20")

    quote = money(quote_post(customer_client, body))["data"]

    assert [line["discount"] for line in quote["lines"]] == [Decimal("2.60"), Decimal("0.00")]


def test_the_most_specific_tax_rate_applies(customer_client, shop):
    il = money(quote_post(customer_client, quote_body((shop["shirt"], 1))))["data"]
    ca = money(quote_post(customer_client, quote_body((shop["shirt"], 1), shippingAddress=CA)))
    books = money(quote_post(customer_client, quote_body((shop["book"], 1), shippingAddress=CA)))

    assert il["taxTotal"] == Decimal("1.88")  # 30.00 x 6.25 % = 1.875, half-up
    assert ca["data"]["taxTotal"] == Decimal("2.18")  # 7.25 %: 2.175 -> 2.18
    assert books["data"]["taxTotal"] == Decimal("0.00")  # the book category's rate beats CA's


def test_with_prices_including_tax_the_total_is_what_the_prices_say(
    customer_client, shop, settings
):
    settings.PRICES_INCLUDE_TAX = True

    quote = money(quote_post(customer_client, quote_body((shop["shirt"], 1), shippingAddress=CA)))
    data = quote["data"]

    assert data["pricesIncludeTax"] is True
    assert data["taxTotal"] == Decimal("2.03")  # 30.00 x 7.25 / 107.25 = 2.028
    assert data["total"] == data["subtotal"] + data["shippingTotal"]


def test_shipping_is_taxed_only_with_tax_shipping(customer_client, shop, settings):
    body = quote_body((shop["book"], 1), shippingAddress=CA)
    untaxed = money(quote_post(customer_client, body))["data"]
    settings.TAX_SHIPPING = True
    taxed = money(quote_post(customer_client, body))["data"]

    assert untaxed["taxTotal"] == Decimal("0.00")
    # Standard: 4.99 + 0.60 = 5.59, at CA's 7.25 % = 0.405 -> 0.41
    assert taxed["taxTotal"] == Decimal("0.41")
    assert taxed["total"] == untaxed["total"] + Decimal("0.41")


def test_a_quote_reserves_nothing_and_needs_no_login(api_client, shop):
    response = quote_post(api_client, quote_body((shop["shirt"], 3), shippingAddress=CA))

    assert response.status_code == 200
    shop["shirt"].refresh_from_db()
    assert shop["shirt"].stock == 20
    assert Order.objects.count() == 0


def test_a_shop_with_nothing_configured_charges_the_subtotal(customer_client):
    mug = product_make(price="19.99", stock=5)

    order = money(order_post(customer_client, order_body((mug, 3))))["data"]

    assert order["total"] == order["subtotal"] == Decimal("59.97")
    assert (order["discountTotal"], order["shippingTotal"], order["taxTotal"]) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert order["shippingMethod"] is None
    assert order["discount"] is None


def test_the_country_is_read_in_any_case_and_stored_upper_case(customer_client):
    mug = product_make(stock=5)
    body = order_body((mug, 1), shippingAddress={**ADDRESS, "country": "us"})

    order = order_post(customer_client, body).json()["data"]

    assert order["shippingAddress"]["country"] == "US"


def test_shipping_methods_lists_those_that_ship_to_the_address_cheapest_first(api_client, shop):
    shipping_method_make(name="Canada Post", countries=["CA"], price="9.00")
    shipping_method_make(name="Retired", price="1.00", active=False)

    response = api_client.get("/v1/shipping-methods", {"country": "US", "state": "CA"})

    assert response.status_code == 200
    assert [m["name"] for m in response.json()["data"]] == ["Standard", "Express"]
    first = response.json()["data"][0]
    assert set(first) == {
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
    assert first["id"] == method_id(shop["standard"])


def test_an_admin_sees_inactive_shipping_methods_too(admin_client_api, shop):
    shipping_method_make(name="Retired", price="1.00", active=False)

    names = [m["name"] for m in admin_client_api.get("/v1/shipping-methods").json()["data"]]

    assert names == ["Retired", "Standard", "Express"]


def test_the_shipping_method_list_costs_one_query(api_client, shop, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = api_client.get("/v1/shipping-methods", {"country": "US"})
    assert response.status_code == 200


def test_a_variant_line_is_quoted_like_a_product_line(customer_client, shop):
    variant = shop["shirt"].variants.get()
    by_product = money(quote_post(customer_client, quote_body((shop["shirt"], 2))))["data"]
    body = quote_body((shop["shirt"], 2))
    body["items"] = [{"variantId": f"var_{variant.pk.hex}", "quantity": 2}]

    by_variant = money(quote_post(customer_client, body))["data"]

    assert by_variant == by_product
    assert by_variant["lines"][0]["productId"] == product_id(shop["shirt"])
