"""API6 unrestricted access to sensitive business flows.

Buying is the flow worth abusing: holding stock with orders never paid,
placing orders faster than a person would, charging or refunding twice.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Product
from checkout.tasks import orders_expire_pending
from orders.models import Order
from payments.models import Payment
from tests.security.conftest import order_body

pytestmark = pytest.mark.django_db


def test_stock_held_by_an_unpaid_order_comes_back_after_the_pending_timeout(
    product, place_order, customer_client, settings
):
    place_order(customer_client, quantity=50)  # every unit, never paid (no job runs)
    Order.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.ORDER_PENDING_TIMEOUT + 1)
    )

    expired = orders_expire_pending()

    assert expired == 1
    assert Order.objects.get().status == "cancelled"
    product.refresh_from_db()
    assert product.stock == 50


def test_a_fresh_pending_order_is_not_expired(product, place_order, customer_client):
    place_order(customer_client, quantity=5)

    assert orders_expire_pending() == 0
    product.refresh_from_db()
    assert product.stock == 45


def test_placing_orders_is_rate_limited_per_user(product, customer_client, settings):
    settings.RATE_LIMIT = "3/minute"
    body = order_body(f"prod_{product.id.hex}")

    statuses = [
        customer_client.post("/v1/orders", body, format="json").status_code for _ in range(4)
    ]

    assert statuses == [201, 201, 201, 429]
    assert Order.objects.count() == 3


def test_a_retried_order_with_its_idempotency_key_charges_once(
    product, customer_client, run_jobs, django_capture_on_commit_callbacks
):
    body = order_body(f"prod_{product.id.hex}", 2)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            response = customer_client.post(
                "/v1/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1"
            )
            assert response.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        assert run_jobs() == 1

    assert Order.objects.count() == 1
    assert Payment.objects.get().captured_amount == Decimal("50.00")
    product.refresh_from_db()
    assert product.stock == 48


def test_an_idempotency_key_cannot_be_reused_for_another_basket(product, customer_client):
    first = order_body(f"prod_{product.id.hex}", 1)
    second = order_body(f"prod_{product.id.hex}", 9)
    customer_client.post("/v1/orders", first, format="json", HTTP_IDEMPOTENCY_KEY="k")

    response = customer_client.post("/v1/orders", second, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_cancelling_a_paid_order_twice_refunds_once(customer_order, customer_client, run_jobs):
    path = f"/v1/orders/{customer_order['id']}/cancel"
    assert customer_client.post(path).status_code == 200
    run_jobs()

    again = customer_client.post(path)

    assert again.status_code == 409
    payment = Payment.objects.get()
    assert payment.refunded_amount == payment.captured_amount == Decimal("25.00")


def test_refunds_together_never_exceed_the_capture(customer_order, admin_client_api):
    path = f"/v1/payments/{customer_order['payment']['id']}/refund"

    statuses = [
        admin_client_api.post(path, {"amount": 10}, format="json").status_code for _ in range(3)
    ]

    assert statuses == [201, 201, 409]
    assert Payment.objects.get().refunded_amount == Decimal("20.00")


def test_a_customer_cannot_order_more_than_the_stock(product, customer_client):
    response = customer_client.post(
        "/v1/orders", order_body(f"prod_{product.id.hex}", 51), format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_stock"
    assert Product.objects.get().stock == 50
    assert not Order.objects.exists()
