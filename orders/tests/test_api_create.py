"""POST /v1/orders: the order, its stock, its validation, its payment and its idempotency."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Product, ProductVariant
from orders.idempotency import idempotency_claim, request_fingerprint
from orders.models import IdempotencyRecord, Order, OrderItem
from orders.state import OrderStatus
from orders.tests.factories import (
    ADDRESS,
    jobs_drain,
    money,
    order_body,
    order_of,
    order_post,
    product_id,
    product_make,
)
from payments import tasks
from payments.models import Payment
from payments.state import PaymentStatus

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def stock_of(product: Product) -> int:
    return Product.objects.get(pk=product.pk).stock


def assert_nothing_written() -> None:
    assert Order.objects.count() == 0
    assert OrderItem.objects.count() == 0
    assert Payment.objects.count() == 0


def _variant_of(product: Product) -> dict:
    """How a line names a simple product's variant: product, variant, SKU."""
    variant = product.variants.get()
    return {
        "productId": product_id(product),
        "variantId": f"var_{variant.pk.hex}",
        "sku": variant.sku,
    }


@pytest.fixture
def mug(db):
    return product_make(name="Coffee Mug", price="19.99", stock=10)


@pytest.fixture
def lamp(db):
    return product_make(name="Desk Lamp", price="45.50", stock=5)


# --- the created order ------------------------------------------------------------------------


def test_create_answers_201_with_the_contract_order_shape(customer_client, customer, mug):
    response = order_post(customer_client, order_body((mug, 3)))

    assert response.status_code == 201
    body = money(response)
    assert body["success"] is True
    data = body["data"]
    assert set(data) == {
        "id",
        "userId",
        "status",
        "items",
        "subtotal",
        "discountTotal",
        "shippingTotal",
        "taxTotal",
        "total",
        "currency",
        "pricesIncludeTax",
        "shippingAddress",
        "shippingMethod",
        "discount",
        "paymentMethod",
        "payment",
        "shipment",
        "createdAt",
        "updatedAt",
    }
    assert re.fullmatch(r"ord_[0-9a-f]{32}", data["id"])
    assert data["userId"] == f"usr_{customer.pk.hex}"
    assert data["status"] == "pending"
    assert data["items"] == [
        {
            **_variant_of(mug),
            "name": "Coffee Mug",
            "options": {},
            "unitPrice": Decimal("19.99"),
            "quantity": 3,
            "lineTotal": Decimal("59.97"),
            "discount": Decimal("0.00"),
            "tax": Decimal("0.00"),
        }
    ]
    assert data["subtotal"] == Decimal("59.97")
    assert data["total"] == Decimal("59.97")
    assert data["currency"] == "USD"
    assert data["shippingAddress"] == ADDRESS
    assert data["paymentMethod"] == "card"
    assert set(data["payment"]) == {"id", "status", "amount"}
    assert re.fullmatch(r"pay_[0-9a-f]{32}", data["payment"]["id"])
    assert data["payment"]["status"] == "processing"
    assert data["payment"]["amount"] == Decimal("59.97")
    assert TIMESTAMP.match(data["createdAt"])
    assert TIMESTAMP.match(data["updatedAt"])


def test_create_sends_money_as_json_numbers_with_two_decimals(customer_client, mug):
    response = order_post(customer_client, order_body((mug, 3)))

    assert b'"subtotal":59.97' in response.content
    assert b'"unitPrice":19.99' in response.content


def test_create_sums_several_lines_exactly(customer_client, mug, lamp):
    response = order_post(customer_client, order_body((mug, 3), (lamp, 2)))

    data = money(response)["data"]
    assert [item["lineTotal"] for item in data["items"]] == [Decimal("59.97"), Decimal("91.00")]
    assert data["subtotal"] == Decimal("150.97")
    assert data["total"] == Decimal("150.97")


def test_create_stores_the_order_for_the_caller(customer_client, customer, mug):
    response = order_post(customer_client, order_body((mug, 2)))

    order = order_of(response.json()["data"])
    assert order.user == customer
    assert order.total == Decimal("39.98")
    assert order.payment.status == PaymentStatus.PROCESSING
    assert order.payment.amount == Decimal("39.98")


def test_create_decrements_stock(customer_client, mug, lamp):
    order_post(customer_client, order_body((mug, 3), (lamp, 5)))

    assert stock_of(mug) == 7
    assert stock_of(lamp) == 0


def test_create_merges_lines_of_the_same_product(customer_client, mug):
    response = order_post(customer_client, order_body((mug, 2), (mug, 3)))

    assert response.status_code == 201
    data = money(response)["data"]
    assert len(data["items"]) == 1
    assert data["items"][0]["quantity"] == 5
    assert data["items"][0]["lineTotal"] == Decimal("99.95")
    assert stock_of(mug) == 5


def test_create_takes_prices_from_the_catalog(customer_client, mug):
    Product.objects.filter(pk=mug.pk).update(name="Big Mug")
    ProductVariant.objects.filter(product=mug).update(price=Decimal("24.00"))

    data = money(order_post(customer_client, order_body((mug, 1))))["data"]

    assert data["items"][0]["unitPrice"] == Decimal("24.00")
    assert data["items"][0]["name"] == "Big Mug"


def test_order_keeps_its_price_when_the_catalog_price_changes(customer_client, mug):
    data = order_post(customer_client, order_body((mug, 1))).json()["data"]
    ProductVariant.objects.filter(product=mug).update(price=Decimal("99.00"))

    detail = money(customer_client.get(f"/v1/orders/{data['id']}"))["data"]

    assert detail["items"][0]["unitPrice"] == Decimal("19.99")
    assert detail["total"] == Decimal("19.99")


def test_create_takes_the_currency_from_the_catalog(customer_client):
    euro_book = product_make(price="12.00", currency="EUR")

    data = order_post(customer_client, order_body((euro_book, 1))).json()["data"]

    assert data["currency"] == "EUR"


def test_create_answers_without_trailing_slash_and_with_it(customer_client, mug):
    response = customer_client.post("/v1/orders/", order_body((mug, 1)), format="json")

    assert response.status_code == 201


# --- validation: 400 and nothing written -------------------------------------------------------


def error_of(response) -> dict:
    body = response.json()
    assert body["success"] is False
    return body["error"]


def test_client_sent_price_is_refused_naming_the_field(customer_client, mug):
    body = order_body((mug, 1))
    body["items"][0]["price"] = "0.01"

    response = order_post(customer_client, body)

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["details"]["items"][0] == {"price": ["Unknown field."]}
    assert_nothing_written()


def test_client_sent_total_is_refused_naming_the_field(customer_client, mug):
    response = order_post(customer_client, order_body((mug, 1), total="0.01"))

    assert response.status_code == 400
    assert "total" in error_of(response)["details"]
    assert_nothing_written()


def test_products_in_different_currencies_are_refused(customer_client, mug):
    euro_book = product_make(price="12.00", currency="EUR")

    response = order_post(customer_client, order_body((mug, 1), (euro_book, 1)))

    assert response.status_code == 400
    assert "items" in error_of(response)["details"]
    assert stock_of(mug) == 10
    assert stock_of(euro_book) == 10
    assert_nothing_written()


@pytest.mark.parametrize("items", [{"productId": "x", "quantity": 1}, "abc", ["abc"], [None]])
def test_items_that_are_not_a_list_of_objects_are_refused(customer_client, items):
    response = order_post(customer_client, order_body(items=items))

    assert response.status_code == 400
    assert "items" in error_of(response)["details"]


def test_nul_character_in_the_address_is_refused(customer_client, mug):
    body = order_body((mug, 1))
    body["shippingAddress"]["street"] = "1 Main\u0000Street"

    response = order_post(customer_client, body)

    assert response.status_code == 400
    assert "street" in error_of(response)["details"]["shippingAddress"]
    assert_nothing_written()


def test_empty_items_is_refused(customer_client):
    response = order_post(customer_client, order_body())

    assert response.status_code == 400
    assert "items" in error_of(response)["details"]


def test_missing_items_is_refused(customer_client):
    body = order_body()
    del body["items"]

    response = order_post(customer_client, body)

    assert response.status_code == 400
    assert "items" in error_of(response)["details"]


def test_fifty_one_lines_are_refused(customer_client, db):
    products = [product_make(stock=5) for _ in range(51)]

    response = order_post(customer_client, order_body(*[(p, 1) for p in products]))

    assert response.status_code == 400
    assert "items" in error_of(response)["details"]
    assert_nothing_written()
    assert all(stock_of(p) == 5 for p in products)


def test_fifty_lines_are_accepted(customer_client, db):
    products = [product_make(stock=5) for _ in range(50)]

    response = order_post(customer_client, order_body(*[(p, 1) for p in products]))

    assert response.status_code == 201
    assert len(response.json()["data"]["items"]) == 50


@pytest.mark.parametrize("quantity", [0, -1, 1001, "abc", 2.5, None, True])
def test_quantity_outside_one_to_a_thousand_or_not_whole_is_refused(customer_client, mug, quantity):
    body = order_body((mug, 1))
    body["items"][0]["quantity"] = quantity

    response = order_post(customer_client, body)

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert "quantity" in error["details"]["items"][0]
    assert stock_of(mug) == 10
    assert_nothing_written()


def test_quantity_of_a_thousand_is_accepted(customer_client):
    crate = product_make(stock=1000)

    response = order_post(customer_client, order_body((crate, 1000)))

    assert response.status_code == 201
    assert stock_of(crate) == 0


def test_merged_quantity_over_a_thousand_is_refused(customer_client):
    crate = product_make(stock=5000)

    response = order_post(customer_client, order_body((crate, 600), (crate, 401)))

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert "items[0]" in error["details"]
    assert stock_of(crate) == 5000
    assert_nothing_written()


def test_unknown_product_is_refused_naming_its_line(customer_client, mug):
    body = order_body((mug, 1))
    body["items"].append({"productId": "prod_" + "0" * 32, "quantity": 1})

    response = order_post(customer_client, body)

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"items[1]"}
    assert stock_of(mug) == 10
    assert_nothing_written()


def test_removed_product_is_refused_naming_its_line(customer_client, mug):
    gone = product_make(stock=10, deleted=True)

    response = order_post(customer_client, order_body((gone, 1), (mug, 1)))

    assert response.status_code == 400
    assert set(error_of(response)["details"]) == {"items[0]"}
    assert stock_of(gone) == 10
    assert stock_of(mug) == 10
    assert_nothing_written()


@pytest.mark.parametrize(
    "raw_id", ["not-an-id", "prod_123", "usr_" + "0" * 32, "prod_" + "z" * 32, 42, None]
)
def test_malformed_product_id_is_refused(customer_client, raw_id):
    body = order_body()
    body["items"] = [{"productId": raw_id, "quantity": 1}]

    response = order_post(customer_client, body)

    assert response.status_code == 400
    assert "productId" in error_of(response)["details"]["items"][0]


@pytest.mark.parametrize("field", ["street", "city", "zip", "country"])
def test_missing_shipping_address_field_is_refused(customer_client, mug, field):
    body = order_body((mug, 1))
    del body["shippingAddress"][field]

    response = order_post(customer_client, body)

    assert response.status_code == 400
    assert field in error_of(response)["details"]["shippingAddress"]
    assert_nothing_written()


def test_missing_shipping_address_is_refused(customer_client, mug):
    body = order_body((mug, 1))
    del body["shippingAddress"]

    response = order_post(customer_client, body)

    assert response.status_code == 400
    assert "shippingAddress" in error_of(response)["details"]


def test_unknown_field_in_shipping_address_is_refused(customer_client, mug):
    body = order_body((mug, 1))
    body["shippingAddress"]["planet"] = "Mars"

    response = order_post(customer_client, body)

    assert response.status_code == 400
    assert error_of(response)["details"]["shippingAddress"] == {"planet": ["Unknown field."]}


@pytest.mark.parametrize("method", ["paypal", "cash", "", None])
def test_payment_method_other_than_card_is_refused(customer_client, mug, method):
    response = order_post(customer_client, order_body((mug, 1), paymentMethod=method))

    assert response.status_code == 400
    assert "paymentMethod" in error_of(response)["details"]
    assert_nothing_written()


def test_unknown_top_level_field_is_refused(customer_client, mug):
    response = order_post(customer_client, order_body((mug, 1), coupon="FREE"))

    assert response.status_code == 400
    assert error_of(response)["details"] == {"coupon": ["Unknown field."]}


def test_invalid_json_is_refused_as_invalid_json(customer_client):
    response = order_post(customer_client, None, raw=b'{"items": [')

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_body_that_is_not_an_object_is_refused(customer_client):
    response = order_post(customer_client, None, raw=b"[1, 2]")

    assert response.status_code == 400
    assert error_of(response)["code"] == "validation_error"


def test_anonymous_create_is_refused_with_401(api_client, mug):
    response = order_post(api_client, order_body((mug, 1)))

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert stock_of(mug) == 10
    assert_nothing_written()


# --- insufficient stock: 409 and nothing changes ------------------------------------------------


def test_insufficient_stock_is_409_listing_each_short_line(customer_client, mug, lamp):
    plenty = product_make(stock=100)

    response = order_post(customer_client, order_body((plenty, 1), (mug, 11), (lamp, 6)))

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "insufficient_stock"
    assert sorted(error["details"]["items"], key=lambda line: line["available"]) == [
        {**_variant_of(lamp), "requested": 6, "available": 5},
        {**_variant_of(mug), "requested": 11, "available": 10},
    ]


def test_insufficient_stock_changes_no_stock_and_writes_nothing(customer_client, mug, lamp):
    plenty = product_make(stock=100)

    order_post(customer_client, order_body((plenty, 1), (mug, 11), (lamp, 1)))

    assert stock_of(plenty) == 100
    assert stock_of(mug) == 10
    assert stock_of(lamp) == 5
    assert_nothing_written()


def test_insufficient_stock_counts_merged_lines(customer_client, mug):
    response = order_post(customer_client, order_body((mug, 6), (mug, 5)))

    assert response.status_code == 409
    assert response.json()["error"]["details"]["items"] == [
        {**_variant_of(mug), "requested": 11, "available": 10}
    ]
    assert stock_of(mug) == 10


def test_insufficient_stock_enqueues_no_charge(customer_client, mug, run_jobs):
    order_post(customer_client, order_body((mug, 11)))

    assert run_jobs() == 0


# --- the payment, through real RQ ---------------------------------------------------------------


@pytest.mark.parametrize("token", ["tok_visa", None])
def test_successful_charge_marks_order_paid(customer_client, mug, run_jobs, token):
    data = order_post(customer_client, order_body((mug, 3), token=token)).json()["data"]

    jobs_drain(run_jobs)

    order = order_of(data)
    assert order.status == OrderStatus.PAID
    assert order.payment.status == PaymentStatus.CAPTURED
    assert order.payment.captured_amount == order.total == Decimal("59.97")
    assert order.payment.provider_reference.startswith("ch_")


def test_create_enqueues_exactly_one_charge(customer_client, mug, run_jobs):
    order_post(customer_client, order_body((mug, 1)))

    assert run_jobs() == 1


def test_successful_charge_mails_one_confirmation(
    customer_client, customer, mug, run_jobs, mailoutbox
):
    data = order_post(customer_client, order_body((mug, 3))).json()["data"]

    jobs_drain(run_jobs)

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [customer.email]
    assert data["id"] in mail.subject
    assert "59.97 USD" in mail.body
    assert "Coffee Mug" in mail.body


def test_paid_order_reads_back_paid_with_captured_payment(customer_client, mug, run_jobs):
    data = order_post(customer_client, order_body((mug, 1))).json()["data"]
    jobs_drain(run_jobs)

    detail = customer_client.get(f"/v1/orders/{data['id']}").json()["data"]

    assert detail["status"] == "paid"
    assert detail["payment"]["status"] == "captured"


def test_declined_charge_marks_order_payment_failed(customer_client, mug, run_jobs):
    data = order_post(customer_client, order_body((mug, 3), token="tok_chargeDeclined")).json()[
        "data"
    ]

    jobs_drain(run_jobs)

    order = order_of(data)
    assert order.status == OrderStatus.PAYMENT_FAILED
    assert order.payment.status == PaymentStatus.FAILED
    assert order.payment.failure_code == "card_declined"
    assert order.payment.captured_amount == 0


def test_declined_charge_returns_stock_exactly_once(customer_client, mug, run_jobs, mailoutbox):
    order_post(customer_client, order_body((mug, 3), token="tok_chargeDeclined"))
    assert stock_of(mug) == 7

    jobs_drain(run_jobs)
    assert stock_of(mug) == 10
    # The charge job again (a retry, a sweep) gives nothing back twice.
    tasks.payment_charge(payment_id=str(Payment.objects.get().pk))
    jobs_drain(run_jobs)

    assert stock_of(mug) == 10
    assert mailoutbox == []


# --- Idempotency-Key -----------------------------------------------------------------------------


def test_same_key_and_body_replays_the_first_response(customer_client, mug):
    body = order_body((mug, 2))
    first = order_post(customer_client, body, key="key-1")

    second = order_post(customer_client, body, key="key-1")

    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert second["Content-Type"] == first["Content-Type"] == "application/json; charset=utf-8"
    assert "Idempotent-Replayed" not in first


def test_same_key_and_body_creates_one_order_and_takes_stock_once(customer_client, mug, run_jobs):
    body = order_body((mug, 2))
    order_post(customer_client, body, key="key-1")

    order_post(customer_client, body, key="key-1")

    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert stock_of(mug) == 8
    assert run_jobs() == 1


def test_same_key_and_body_in_another_key_order_replays(customer_client, mug):
    body = order_body((mug, 2))
    first = order_post(customer_client, body, key="key-1")
    reordered = {key: body[key] for key in reversed(list(body))}

    second = order_post(customer_client, reordered, key="key-1")

    assert second.content == first.content
    assert Order.objects.count() == 1


def test_same_key_with_another_body_is_422(customer_client, mug):
    order_post(customer_client, order_body((mug, 2)), key="key-1")

    response = order_post(customer_client, order_body((mug, 3)), key="key-1")

    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1
    assert stock_of(mug) == 8


def test_same_key_of_another_user_is_independent(customer_client, other_client, mug):
    body = order_body((mug, 2))
    mine = order_post(customer_client, body, key="shared-key")

    theirs = order_post(other_client, body, key="shared-key")

    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["data"]["id"] != mine.json()["data"]["id"]
    assert Order.objects.count() == 2
    assert stock_of(mug) == 6


def test_different_keys_create_different_orders(customer_client, mug):
    body = order_body((mug, 1))
    order_post(customer_client, body, key="key-1")

    order_post(customer_client, body, key="key-2")

    assert Order.objects.count() == 2


def test_key_of_256_characters_is_refused(customer_client, mug):
    response = order_post(customer_client, order_body((mug, 1)), key="k" * 256)

    assert response.status_code == 400
    assert "Idempotency-Key" in error_of(response)["details"]
    assert_nothing_written()
    assert IdempotencyRecord.objects.count() == 0


def test_key_of_255_characters_is_accepted(customer_client, mug):
    response = order_post(customer_client, order_body((mug, 1)), key="k" * 255)

    assert response.status_code == 201


def test_replayed_insufficient_stock_replays_the_409(customer_client, mug):
    body = order_body((mug, 11))
    first = order_post(customer_client, body, key="key-1")
    Product.objects.filter(pk=mug.pk).update(stock=100)

    second = order_post(customer_client, body, key="key-1")

    assert first.status_code == second.status_code == 409
    assert second.content == first.content
    assert error_of(second)["code"] == "insufficient_stock"
    assert second["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 0
    assert stock_of(mug) == 100


def test_key_is_forgotten_after_it_expires(customer_client, mug):
    body = order_body((mug, 1))
    order_post(customer_client, body, key="key-1")
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timezone.timedelta(seconds=1))

    response = order_post(customer_client, body, key="key-1")

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Order.objects.count() == 2


def test_key_still_in_progress_is_409(customer_client, customer, mug):
    body = order_body((mug, 1))
    idempotency_claim(user=customer, key="key-1", fingerprint=request_fingerprint(body))

    response = order_post(customer_client, body, key="key-1")

    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_request_in_progress"
    assert Order.objects.count() == 0


# --- cost ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lines", [1, 3])
def test_create_costs_the_same_queries_whatever_the_basket(
    customer_client, lines, django_assert_num_queries
):
    products = [product_make(price="2.50", stock=10) for _ in range(lines)]
    body = order_body(*[(product, 2) for product in products])

    # The token's user, the products locked, then their variants, one statement
    # for the stock of every line, its ledger rows and the products' totals
    # (catalog.stock._stock_move), the shipping methods and the address's tax
    # rates (the pricing), the order, its items, its payment; and the
    # transaction's savepoint and release (the test runs inside a transaction).
    with django_assert_num_queries(11):
        response = customer_client.post("/v1/orders", body, format="json")

    assert response.status_code == 201
    assert [stock_of(product) for product in products] == [8] * lines


def test_created_order_is_answered_as_it_is_stored(customer_client, mug, lamp):
    created = customer_client.post(
        "/v1/orders", order_body((lamp, 2), (mug, 1)), format="json"
    ).json()["data"]

    stored = customer_client.get(f"/v1/orders/{created['id']}").json()["data"]

    assert created == stored
    assert [item["name"] for item in created["items"]] == ["Desk Lamp", "Coffee Mug"]
