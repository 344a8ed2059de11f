"""Orders under concurrency, against PostgreSQL: no oversell, no deadlock,
one order per Idempotency-Key. Each thread is its own client and connection.
Every test ends with the stock audit: zero drift."""

from collections import Counter

import pytest
from django.db.models import Sum

from catalog.models import Product
from orders.models import Order, OrderItem
from orders.state import OrderStatus
from orders.tests.support import assert_no_stock_drift, order_body, run_in_threads
from payments import tasks
from payments.models import Payment
from payments.state import PaymentStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_orders_never_oversell(make_product, client_for, customer):
    product = make_product(stock=10)
    clients = [client_for(customer) for _ in range(25)]

    results = run_in_threads(
        25, lambda i: clients[i].post("/v1/orders", order_body((product, 1)), format="json")
    )

    statuses = Counter(getattr(r, "status_code", repr(r)) for r in results)
    assert statuses == {201: 10, 409: 15}
    product.refresh_from_db()
    assert product.stock == 0
    sold = OrderItem.objects.filter(product=product).aggregate(n=Sum("quantity"))["n"]
    assert sold == 10
    assert_no_stock_drift()


def test_parallel_orders_of_varied_sizes_sell_at_most_the_stock(
    make_product, client_for, customer, rng
):
    product = make_product(stock=30)
    quantities = [rng.randint(1, 5) for _ in range(20)]
    clients = [client_for(customer) for _ in quantities]

    results = run_in_threads(
        len(quantities),
        lambda i: clients[i].post(
            "/v1/orders", order_body((product, quantities[i])), format="json"
        ),
    )

    assert all(r.status_code in (201, 409) for r in results), results
    sold = sum(q for q, r in zip(quantities, results, strict=True) if r.status_code == 201)
    product.refresh_from_db()
    assert product.stock == 30 - sold
    assert product.stock >= 0
    assert OrderItem.objects.aggregate(n=Sum("quantity"))["n"] == sold
    # A refused order was refused because the stock had really run short.
    for quantity, response in zip(quantities, results, strict=True):
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "insufficient_stock"
            assert response.json()["error"]["details"]["items"][0]["requested"] == quantity
    assert_no_stock_drift()


def test_crossed_baskets_do_not_deadlock(make_product, client_for, customer):
    first, second, third = (make_product(stock=100) for _ in range(3))
    baskets = [
        order_body((first, 1), (second, 1), (third, 1)),
        order_body((third, 1), (second, 1), (first, 1)),
        order_body((second, 1), (first, 1)),
        order_body((third, 1), (first, 1)),
    ]
    clients = [client_for(customer) for _ in range(16)]

    results = run_in_threads(
        16, lambda i: clients[i].post("/v1/orders", baskets[i % 4], format="json")
    )

    assert [r.status_code for r in results] == [201] * 16
    stocks = dict(Product.objects.values_list("pk", "stock"))
    assert stocks[first.pk] == 100 - 16
    assert stocks[second.pk] == 100 - 12
    assert stocks[third.pk] == 100 - 12
    assert_no_stock_drift()


def test_concurrent_retries_with_one_key_create_one_order(make_product, client_for, customer):
    product = make_product(stock=50)
    body = order_body((product, 2))
    clients = [client_for(customer) for _ in range(10)]

    results = run_in_threads(
        10,
        lambda i: clients[i].post(
            "/v1/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-storm-1"
        ),
    )

    codes = Counter(r.status_code for r in results)
    assert set(codes) <= {201, 409}, codes
    assert codes[201] >= 1
    for response in results:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "idempotency_request_in_progress"
    assert Order.objects.count() == 1
    created_ids = {r.json()["data"]["id"] for r in results if r.status_code == 201}
    assert len(created_ids) == 1
    product.refresh_from_db()
    assert product.stock == 48
    assert_no_stock_drift()


def test_concurrent_cancels_return_stock_once(make_product, client_for, customer):
    product = make_product(stock=5)
    client = client_for(customer)
    order_id = client.post("/v1/orders", order_body((product, 3)), format="json").json()["data"][
        "id"
    ]
    clients = [client_for(customer) for _ in range(6)]

    results = run_in_threads(6, lambda i: clients[i].post(f"/v1/orders/{order_id}/cancel"))

    assert sorted(r.status_code for r in results) == [200] + [409] * 5
    product.refresh_from_db()
    assert product.stock == 5
    assert_no_stock_drift()


@pytest.mark.parametrize("token", ["tok_visa", "tok_chargeDeclined"])
def test_cancels_racing_the_charge_return_stock_once(make_product, client_for, customer, token):
    product = make_product(stock=5)
    body = order_body((product, 3), token=token)
    order_id = client_for(customer).post("/v1/orders", body, format="json").json()["data"]["id"]
    order = Order.objects.get(pk=order_id.removeprefix("ord_"))
    payment_id = str(Payment.objects.get(order=order).pk)
    clients = [client_for(customer) for _ in range(5)]

    def act(index: int):
        if index == 0:
            return tasks.payment_charge(payment_id=payment_id)
        return clients[index - 1].post(f"/v1/orders/{order_id}/cancel")

    results = run_in_threads(6, act)

    assert not any(isinstance(r, Exception) for r in results), results
    cancels = Counter(r.status_code for r in results[1:])
    order.refresh_from_db()
    payment = Payment.objects.get(order=order)
    if order.status == OrderStatus.CANCELLED:
        assert cancels == {200: 1, 409: 4}
        # Charged or not, no money is kept for a cancelled order.
        assert payment.refunded_amount == payment.captured_amount
    else:
        # The decline won the race: nothing left to cancel.
        assert (token, order.status, cancels) == (
            "tok_chargeDeclined",
            OrderStatus.PAYMENT_FAILED,
            {409: 5},
        )
        assert payment.status == PaymentStatus.FAILED
    product.refresh_from_db()
    assert product.stock == 5
    assert_no_stock_drift()
