"""Discount codes under concurrency, against PostgreSQL: many buyers race for the last
uses of a code. Uses never exceed the limit (total or per customer), nothing
deadlocks, and every test ends with both audits: stock and code uses."""

from collections import Counter

import pytest

from accounts.tests.factories import UserFactory
from checkout.models import DiscountCode, DiscountRedemption
from checkout.tests.factories import discount_code_make, shipping_method_make, tax_rate_make
from checkout.tests.test_code_uses import assert_no_code_drift
from orders.models import Order
from orders.tests.support import assert_no_stock_drift, order_body, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def _outcomes(results) -> Counter:
    return Counter(getattr(r, "status_code", repr(r)) for r in results)


def _code_errors(results) -> list[str]:
    return [
        r.json()["error"]["details"]["discountCode"][0]
        for r in results
        if getattr(r, "status_code", None) == 400
    ]


def test_buyers_racing_for_the_last_uses_never_exceed_the_limit(make_product, client_for):
    shipping_method_make(name="Standard", price="4.99")
    tax_rate_make(rate="8.25")
    product = make_product(stock=100, price="25.00")
    code = discount_code_make(code="LAST3", value="20", max_uses=5)
    buyers = [UserFactory() for _ in range(20)]
    clients = [client_for(buyer) for buyer in buyers]
    # Two uses are gone already: 3 left for 20 buyers.
    for client in clients[:2]:
        first = client.post(
            "/v1/orders", order_body((product, 1)) | {"discountCode": "last3"}, format="json"
        )
        assert first.status_code == 201, first.content
    body = order_body((product, 1)) | {"discountCode": "LAST3"}

    results = run_in_threads(20, lambda i: clients[i].post("/v1/orders", body, format="json"))

    assert _outcomes(results) == {201: 3, 400: 17}, results
    assert set(_code_errors(results)) == {"Code LAST3 has been used up."}
    code.refresh_from_db()
    assert code.uses == code.max_uses == 5
    assert DiscountRedemption.objects.filter(released_at__isnull=True).count() == 5
    assert Order.objects.count() == 5
    product.refresh_from_db()
    assert product.stock == 95  # the refused orders reserved nothing
    assert_no_stock_drift()
    assert_no_code_drift()


def test_one_customer_racing_themselves_gets_the_per_customer_limit(
    make_product, client_for, customer
):
    product = make_product(stock=50)
    discount_code_make(code="TWICE", value="10", max_uses_per_customer=2)
    clients = [client_for(customer) for _ in range(12)]
    body = order_body((product, 1)) | {"discountCode": "TWICE"}

    results = run_in_threads(12, lambda i: clients[i].post("/v1/orders", body, format="json"))

    assert _outcomes(results) == {201: 2, 400: 10}, results
    assert DiscountCode.objects.get(code="TWICE").uses == 2
    assert_no_stock_drift()
    assert_no_code_drift()


def test_crossed_baskets_with_one_code_and_cancels_do_not_deadlock(make_product, client_for):
    first, second, third = (make_product(stock=100) for _ in range(3))
    discount_code_make(code="MANY", value="5", max_uses=1000)
    baskets = [
        order_body((first, 1), (second, 1), (third, 1)),
        order_body((third, 1), (second, 1), (first, 1)),
        order_body((second, 1), (first, 1)),
        order_body((third, 1), (first, 1)),
    ]
    buyers = [UserFactory() for _ in range(4)]
    placed = [
        client_for(buyers[i]).post(
            "/v1/orders", baskets[i] | {"discountCode": "MANY"}, format="json"
        )
        for i in range(4)
    ]
    to_cancel = [r.json()["data"]["id"] for r in placed]
    clients = [client_for(buyers[i % 4]) for i in range(20)]

    def act(i: int):
        if i < 4:  # cancels: order row, products, variants, then the code's row
            return clients[i].post(f"/v1/orders/{to_cancel[i]}/cancel")
        return clients[i].post(
            "/v1/orders", baskets[i % 4] | {"discountCode": "MANY"}, format="json"
        )

    results = run_in_threads(20, act)

    assert _outcomes(results) == {200: 4, 201: 16}, results
    assert DiscountCode.objects.get(code="MANY").uses == 16
    assert_no_stock_drift()
    assert_no_code_drift()
