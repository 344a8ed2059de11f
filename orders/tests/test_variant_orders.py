"""Orders of variants: lines name a variantId (or a simple product's productId), snapshot
the SKU, options and name, and cancel, decline and expiry give the variant's stock back."""

from decimal import Decimal

import pytest
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Product, ProductVariant
from catalog.tests.factories import product_with_variants
from checkout import services
from ecommerce.api.ids import public_id
from orders.models import Order, OrderItem
from orders.tests.factories import ADDRESS, jobs_drain, order_post, product_id, product_make
from orders.tests.support import assert_no_stock_drift
from payments.models import Payment

pytestmark = pytest.mark.django_db


def _body(*lines: dict, **extra) -> dict:
    return {"items": list(lines), "shippingAddress": ADDRESS, "paymentMethod": "card", **extra}


def _line(variant: ProductVariant, quantity: int) -> dict:
    return {"variantId": public_id("var", variant.pk), "quantity": quantity}


def _stock(variant: ProductVariant) -> int:
    return ProductVariant.objects.get(pk=variant.pk).stock


def _error(response) -> dict:
    return response.json()["error"]


@pytest.fixture
def shirt() -> Product:
    return product_with_variants(
        name="Linen Shirt",
        options={"Size": ["S", "M"], "Colour": ["White", "Blue"]},
        variants=[
            ({"Size": "S", "Colour": "White"}, "30.00", 5),
            ({"Size": "M", "Colour": "Blue"}, "32.50", 4),
        ],
    )


def _nothing_written() -> bool:
    return not (Order.objects.exists() or OrderItem.objects.exists() or Payment.objects.exists())


def test_an_order_of_variants_snapshots_sku_options_and_price(customer_client, shirt):
    small, medium = shirt.live_variants

    response = order_post(customer_client, _body(_line(medium, 2), _line(small, 1)))

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["items"] == [
        {
            "productId": product_id(shirt),
            "variantId": public_id("var", medium.pk),
            "sku": medium.sku,
            "name": "Linen Shirt",
            "options": {"Size": "M", "Colour": "Blue"},
            "unitPrice": 32.5,
            "quantity": 2,
            "lineTotal": 65.0,
            "discount": 0.0,
            "tax": 0.0,
        },
        {
            "productId": product_id(shirt),
            "variantId": public_id("var", small.pk),
            "sku": small.sku,
            "name": "Linen Shirt",
            "options": {"Size": "S", "Colour": "White"},
            "unitPrice": 30.0,
            "quantity": 1,
            "lineTotal": 30.0,
            "discount": 0.0,
            "tax": 0.0,
        },
    ]
    assert data["total"] == 95.0
    assert (_stock(small), _stock(medium)) == (4, 2)
    shirt.refresh_from_db()
    assert shirt.stock == 6
    assert_no_stock_drift()


def test_lines_keep_their_snapshot_when_the_catalog_changes(customer_client, shirt):
    medium = shirt.live_variants[1]
    data = order_post(customer_client, _body(_line(medium, 1))).json()["data"]

    catalog_services.variant_update(variant=medium, data={"sku": "RENAMED", "price": Decimal("1")})
    catalog_services.product_update(product=shirt, data={"name": "Other name"})

    item = customer_client.get(f"/v1/orders/{data['id']}").json()["data"]["items"][0]
    assert (item["sku"], item["name"], item["unitPrice"]) == (medium.sku, "Linen Shirt", 32.5)


def test_a_product_id_of_a_product_with_several_variants_is_refused(customer_client, shirt):
    response = order_post(customer_client, _body({"productId": product_id(shirt), "quantity": 1}))

    assert response.status_code == 400
    assert _error(response)["details"] == {
        "items[0]": ["This product has several variants: name one with variantId."]
    }
    assert _nothing_written()


def test_a_simple_products_id_and_its_variants_id_are_one_line(customer_client):
    mug = product_make(price="5.00", stock=10)
    variant = mug.variants.get()

    response = order_post(
        customer_client, _body({"productId": product_id(mug), "quantity": 2}, _line(variant, 3))
    )

    assert response.status_code == 201
    items = response.json()["data"]["items"]
    assert [(item["variantId"], item["quantity"]) for item in items] == [
        (public_id("var", variant.pk), 5)
    ]
    assert _stock(variant) == 5


def test_the_same_variant_twice_is_merged(customer_client, shirt):
    small = shirt.live_variants[0]

    response = order_post(customer_client, _body(_line(small, 2), _line(small, 2)))

    assert [item["quantity"] for item in response.json()["data"]["items"]] == [4]
    assert _stock(small) == 1


@pytest.mark.parametrize(
    "line",
    [
        {"variantId": "var_" + "0" * 32, "quantity": 1},
        {"quantity": 1},
        {"variantId": "prod_" + "0" * 32, "quantity": 1},
    ],
)
def test_an_unknown_or_malformed_variant_line_is_refused(customer_client, shirt, line):
    small = shirt.live_variants[0]

    response = order_post(customer_client, _body(_line(small, 1), line))

    assert response.status_code == 400
    details = _error(response)["details"]
    assert "items[1]" in details or "variantId" in details["items"][1]
    assert _stock(small) == 5
    assert _nothing_written()


def test_a_line_naming_both_a_product_and_a_variant_is_refused(customer_client, shirt):
    small = shirt.live_variants[0]
    line = {**_line(small, 1), "productId": product_id(shirt)}

    response = order_post(customer_client, _body(line))

    assert response.status_code == 400
    assert "variantId" in _error(response)["details"]["items"][0]


def test_a_removed_variant_cannot_be_ordered(customer_client, shirt):
    small, medium = shirt.live_variants
    catalog_services.variant_remove(variant=small)

    response = order_post(customer_client, _body(_line(medium, 1), _line(small, 1)))

    assert response.status_code == 400
    assert _error(response)["details"] == {"items[1]": ["Unknown variant, or no longer sold."]}
    assert _stock(medium) == 4


def test_a_variant_of_a_removed_product_cannot_be_ordered(customer_client, shirt):
    catalog_services.product_remove(product=shirt)

    response = order_post(customer_client, _body(_line(shirt.live_variants[0], 1)))

    assert response.status_code == 400
    assert list(_error(response)["details"]) == ["items[0]"]


def test_insufficient_stock_names_the_variant(customer_client, shirt):
    small, medium = shirt.live_variants

    response = order_post(customer_client, _body(_line(small, 1), _line(medium, 5)))

    assert response.status_code == 409
    assert _error(response)["details"] == {
        "items": [
            {
                "productId": product_id(shirt),
                "variantId": public_id("var", medium.pk),
                "sku": medium.sku,
                "requested": 5,
                "available": 4,
            }
        ]
    }
    assert (_stock(small), _stock(medium)) == (5, 4)
    assert _nothing_written()


def test_another_variant_of_the_same_product_still_sells(customer_client, shirt):
    small, medium = shirt.live_variants
    assert order_post(customer_client, _body(_line(medium, 4))).status_code == 201

    refused = order_post(customer_client, _body(_line(medium, 1)))
    accepted = order_post(customer_client, _body(_line(small, 5)))

    assert (refused.status_code, accepted.status_code) == (409, 201)
    shirt.refresh_from_db()
    assert shirt.stock == 0


def test_cancel_gives_the_variants_stock_back(customer_client, shirt):
    small = shirt.live_variants[0]
    data = order_post(customer_client, _body(_line(small, 3))).json()["data"]

    response = customer_client.post(f"/v1/orders/{data['id']}/cancel")

    assert response.status_code == 200
    assert _stock(small) == 5
    shirt.refresh_from_db()
    assert shirt.stock == 9
    assert_no_stock_drift()


def test_a_declined_payment_gives_the_variants_stock_back(customer_client, shirt, run_jobs):
    medium = shirt.live_variants[1]
    order_post(customer_client, _body(_line(medium, 2), paymentToken="tok_chargeDeclined"))

    jobs_drain(run_jobs)

    assert Order.objects.get().status == "payment_failed"
    assert _stock(medium) == 4
    assert_no_stock_drift()


def test_an_expired_order_gives_the_variants_stock_back(customer_client, shirt):
    small = shirt.live_variants[0]
    order_post(customer_client, _body(_line(small, 2)))
    Order.objects.update(created_at=timezone.now() - timezone.timedelta(days=1))

    assert services.orders_expire_pending() == 1

    assert _stock(small) == 5
    assert_no_stock_drift()


def test_a_variant_removed_after_the_order_gets_its_stock_back_on_cancel(customer_client, shirt):
    small, medium = shirt.live_variants
    data = order_post(customer_client, _body(_line(small, 2))).json()["data"]
    catalog_services.variant_remove(variant=small)

    customer_client.post(f"/v1/orders/{data['id']}/cancel")

    assert _stock(small) == 5  # on its row, for if it comes back
    shirt.refresh_from_db()
    assert shirt.stock == medium.stock  # a removed variant's stock is not the product's
    order = customer_client.get(f"/v1/orders/{data['id']}").json()["data"]
    assert order["items"][0]["variantId"] == public_id("var", small.pk)
    assert_no_stock_drift()


def test_a_service_line_names_a_variant_or_a_product(customer):
    mug = product_make(stock=3)
    with pytest.raises(ValueError, match="variant or a product"):
        services.order_place(
            user=customer,
            items=[services.OrderLineInput(quantity=1)],
            shipping_address=ADDRESS,
        )
    order = services.order_place(
        user=customer,
        items=[services.OrderLineInput(product_id=mug.pk, quantity=1)],
        shipping_address=ADDRESS,
    )
    assert order.items.get().variant_id == mug.variants.get().pk
