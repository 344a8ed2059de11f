"""An order placed while Redis is down is created, and charged once Redis is back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order
from orders.state import OrderStatus
from orders.tests.support import assert_no_stock_drift, order_body
from payments import services as payment_services
from payments.models import Payment, SimulatedCharge
from payments.state import PaymentStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_order_placed_during_redis_outage_is_charged_once_redis_returns(
    own_redis, make_product, customer_client, run_jobs, settings
):
    product = make_product(stock=5)
    own_redis.stop()

    response = customer_client.post("/v1/orders", order_body((product, 2)), format="json")

    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["data"]["id"][4:])
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.PROCESSING
    product.refresh_from_db()
    assert product.stock == 3

    own_redis.start()
    assert run_jobs() == 0  # the charge job never reached the queue
    settings.PAYMENT_SWEEP_AFTER = 60
    Payment.objects.filter(pk=payment.pk).update(updated_at=timezone.now() - timedelta(minutes=2))

    assert payment_services.payments_sweep() == 1
    run_jobs()

    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert order.status == OrderStatus.PAID
    assert SimulatedCharge.objects.filter(kind="charge").count() == 1
    assert_no_stock_drift()
