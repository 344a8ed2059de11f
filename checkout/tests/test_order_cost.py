"""What one order costs, pinned: its statements (round trips) and its jobs, from the
request to the captured payment and the customer's e-mail.

Counted with real PostgreSQL transactions (``transaction=True``), so BEGIN and
COMMIT are round trips here too; a checkout as the benchmark places it: an
``Idempotency-Key``, two lines, a shipping method and a tax rate.
"""

import django_rq
import pytest
from django.conf import settings
from django.core import mail

from checkout.tests.factories import shipping_method_make, tax_rate_make
from orders.models import Order
from orders.state import OrderStatus
from orders.tests.factories import order_body, order_post, product_make
from orders.tests.support import assert_no_stock_drift
from payments.models import Payment
from payments.state import PaymentStatus

pytestmark = pytest.mark.django_db(transaction=True)


def _queued() -> dict[str, int]:
    return {name: django_rq.get_queue(name).count for name in settings.RQ_QUEUE_NAMES}


@pytest.fixture
def basket(db):
    shipping_method_make(name="Ground", price="4.99", per_kg="0.50")
    tax_rate_make(rate="6.25", country="US", state="IL")
    return order_body(
        (product_make(price="10.00", stock=20), 1),
        (product_make(price="12.00", stock=20), 2),
        token="tok_visa",
    )


def test_an_order_is_sixteen_round_trips_and_one_job(
    customer_client, basket, django_assert_max_num_queries
):
    # 1 the token's user (authentication);
    # 2-4 the Idempotency-Key claimed in its own transaction: BEGIN, INSERT, COMMIT;
    # 5 BEGIN of the order's transaction;
    # 6 the products locked, 7 then their variants (catalog.stock._lock);
    # 8 the variants' stock, their ledger rows and the products' totals, one
    #   statement (catalog.stock._stock_move);
    # 9 the shipping methods, 10 the address's tax rates (the pricing);
    # 11 the order, 12 its items, 13 the key bound to it, 14 its payment;
    # 15 COMMIT;
    # 16 the answer stored with the key (orders.idempotency.idempotency_complete).
    with django_assert_max_num_queries(16):
        response = order_post(customer_client, basket, key="order-cost-1")

    assert response.status_code == 201, response.content
    # One job for the whole order: the charge (the e-mail leaves from it).
    assert _queued() == {"default": 0, "payments": 1, "emails": 0, "media": 0}


def test_a_charge_is_ten_round_trips_one_job_and_sends_the_confirmation(
    customer_client, basket, run_jobs, django_assert_max_num_queries
):
    order_post(customer_client, basket, key="order-cost-2")
    mail.outbox.clear()

    # 1 the attempt claimed and counted, one UPDATE ... FROM orders RETURNING
    #   (payments.services._attempt_claim), committed before the provider call;
    # 2-4 the simulated provider's own ledger: BEGIN, INSERT, COMMIT;
    # 5 BEGIN, 6 the payment captured, 7 its order paid (two conditional
    #   UPDATEs, payment row then order row), 8 COMMIT;
    # 9 the order with its customer and payment, 10 its items: the e-mail.
    with django_assert_max_num_queries(10):
        ran = run_jobs()

    assert ran == 1
    assert _queued() == {"default": 0, "payments": 0, "emails": 0, "media": 0}
    payment = Payment.objects.select_related("order").get()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.attempts == 1
    assert payment.captured_amount == payment.amount
    assert payment.order.status == OrderStatus.PAID
    (message,) = mail.outbox
    assert message.to == [payment.order.user.email]
    assert_no_stock_drift()


def test_a_charge_for_an_order_cancelled_before_it_voids_without_calling_the_provider(
    customer_client, basket, run_jobs
):
    """The one-statement claim finds no pending order: the locked path decides."""
    data = order_post(customer_client, basket, key="order-cost-3").json()["data"]
    order = Order.objects.get()
    cancel = customer_client.post(f"/v1/orders/{data['id']}/cancel")
    assert cancel.status_code == 200, cancel.content

    assert run_jobs() == 2  # the charge, and the cancellation's e-mail

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "order_cancelled"
    assert payment.attempts == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert_no_stock_drift()
