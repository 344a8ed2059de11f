"""POST /v1/orders/:id/cancel and PATCH /v1/orders/:id {status}."""

from decimal import Decimal

import pytest

from catalog.models import Product
from orders.models import Order
from orders.state import OrderStatus
from orders.tests.factories import jobs_drain, order_of, order_place, product_make
from payments.models import Refund
from payments.state import PaymentStatus

pytestmark = pytest.mark.django_db

ORDERS = "/v1/orders"


@pytest.fixture
def product(db):
    return product_make(price="12.50", stock=10)


@pytest.fixture
def pending(customer_client, product) -> dict:
    return order_place(customer_client, (product, 4))


@pytest.fixture
def paid(customer_client, product, run_jobs) -> dict:
    data = order_place(customer_client, (product, 4), run_jobs=run_jobs)
    assert order_of(data).status == OrderStatus.PAID
    return data


def stock_of(product: Product) -> int:
    return Product.objects.get(pk=product.pk).stock


def cancel(client, data: dict):
    return client.post(f"{ORDERS}/{data['id']}/cancel")


def patch(client, data: dict, body):
    return client.patch(f"{ORDERS}/{data['id']}", body, format="json")


def set_status(data: dict, status: str) -> None:
    """Put an order in a status directly: for tests of what follows from it."""
    Order.objects.filter(pk=order_of(data).pk).update(status=status)


# --- cancel --------------------------------------------------------------------------------------


def test_cancel_pending_order_answers_cancelled(customer_client, pending):
    response = cancel(customer_client, pending)

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == pending["id"]
    assert data["status"] == "cancelled"


def test_cancel_pending_order_returns_stock(customer_client, pending, product):
    assert stock_of(product) == 6

    cancel(customer_client, pending)

    assert stock_of(product) == 10


def test_cancel_pending_order_voids_its_queued_charge(customer_client, pending, run_jobs):
    cancel(customer_client, pending)

    run_jobs()

    order = order_of(pending)
    assert order.status == OrderStatus.CANCELLED
    assert order.payment.status == PaymentStatus.FAILED
    assert order.payment.failure_code == "order_cancelled"
    assert order.payment.captured_amount == 0


def test_cancel_paid_order_refunds_the_payment(customer_client, paid):
    response = cancel(customer_client, paid)

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "cancelled"
    assert response.json()["data"]["payment"]["status"] == "refunded"
    payment = order_of(paid).payment
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_amount == payment.captured_amount == Decimal("50.00")
    assert list(payment.refunds.values_list("amount", "status")) == [
        (Decimal("50.00"), Refund.Status.SUCCEEDED)
    ]


def test_cancel_paid_order_returns_stock(customer_client, paid, product):
    cancel(customer_client, paid)

    assert stock_of(product) == 10


def test_cancel_paid_order_stays_cancelled_not_refunded(customer_client, paid):
    cancel(customer_client, paid)

    assert order_of(paid).status == OrderStatus.CANCELLED


def test_cancel_twice_is_409_and_returns_stock_once(customer_client, pending, product):
    cancel(customer_client, pending)

    response = cancel(customer_client, pending)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert stock_of(product) == 10


def test_cancel_paid_twice_refunds_once(customer_client, paid):
    cancel(customer_client, paid)

    response = cancel(customer_client, paid)

    assert response.status_code == 409
    assert Refund.objects.count() == 1


@pytest.mark.parametrize(
    "status",
    [OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.REFUNDED, OrderStatus.PAYMENT_FAILED],
)
def test_cancel_in_other_statuses_is_409(customer_client, paid, product, status):
    set_status(paid, status)

    response = cancel(customer_client, paid)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert order_of(paid).status == status
    assert stock_of(product) == 6


def test_cancel_of_declined_order_is_409_and_keeps_stock_returned_once(
    customer_client, product, run_jobs
):
    declined = order_place(customer_client, (product, 4), token="tok_chargeDeclined")
    jobs_drain(run_jobs)

    response = cancel(customer_client, declined)

    assert response.status_code == 409
    assert stock_of(product) == 10


def test_cancel_of_another_customers_order_is_404(other_client, pending, product):
    response = cancel(other_client, pending)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert order_of(pending).status == OrderStatus.PENDING
    assert stock_of(product) == 6


def test_cancel_of_a_missing_order_is_404(customer_client):
    response = customer_client.post(f"{ORDERS}/ord_{'0' * 32}/cancel")

    assert response.status_code == 404


def test_admin_cancels_anyones_order(admin_client_api, paid, product):
    response = cancel(admin_client_api, paid)

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "cancelled"
    assert order_of(paid).payment.status == PaymentStatus.REFUNDED
    assert stock_of(product) == 10


def test_anonymous_cancel_is_401(api_client, pending):
    response = cancel(api_client, pending)

    assert response.status_code == 401
    assert order_of(pending).status == OrderStatus.PENDING


def test_cancel_refuses_get(customer_client, pending):
    response = customer_client.get(f"{ORDERS}/{pending['id']}/cancel")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


# --- PATCH {status} ------------------------------------------------------------------------------


def test_admin_ships_a_paid_order(admin_client_api, paid):
    response = patch(admin_client_api, paid, {"status": "shipped"})

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "shipped"
    assert order_of(paid).status == OrderStatus.SHIPPED


def test_admin_delivers_a_shipped_order(admin_client_api, paid):
    patch(admin_client_api, paid, {"status": "shipped"})

    response = patch(admin_client_api, paid, {"status": "delivered"})

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "delivered"


def test_shipping_keeps_the_stock_taken(admin_client_api, paid, product):
    patch(admin_client_api, paid, {"status": "shipped"})
    patch(admin_client_api, paid, {"status": "delivered"})

    assert stock_of(product) == 6


def test_admin_cancel_by_patch_refunds_and_returns_stock(admin_client_api, paid, product):
    response = patch(admin_client_api, paid, {"status": "cancelled"})

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "cancelled"
    assert order_of(paid).payment.status == PaymentStatus.REFUNDED
    assert stock_of(product) == 10


def test_shipping_a_pending_order_is_409(admin_client_api, pending):
    response = patch(admin_client_api, pending, {"status": "shipped"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert order_of(pending).status == OrderStatus.PENDING


def test_delivering_a_paid_order_that_was_not_shipped_is_409(admin_client_api, paid):
    response = patch(admin_client_api, paid, {"status": "delivered"})

    assert response.status_code == 409
    assert order_of(paid).status == OrderStatus.PAID


@pytest.mark.parametrize("status", ["paid", "refunded", "payment_failed", "pending"])
def test_statuses_that_follow_from_payment_cannot_be_set_by_hand(admin_client_api, paid, status):
    response = patch(admin_client_api, paid, {"status": status})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert order_of(paid).status == OrderStatus.PAID


def test_setting_paid_by_hand_on_a_pending_order_is_409(admin_client_api, pending):
    response = patch(admin_client_api, pending, {"status": "paid"})

    assert response.status_code == 409
    assert order_of(pending).status == OrderStatus.PENDING


@pytest.mark.parametrize("status", ["lost", "", None, 3])
def test_unknown_status_value_is_400(admin_client_api, paid, status):
    response = patch(admin_client_api, paid, {"status": status})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "status" in response.json()["error"]["details"]


def test_missing_status_is_400(admin_client_api, paid):
    response = patch(admin_client_api, paid, {})

    assert response.status_code == 400
    assert "status" in response.json()["error"]["details"]


def test_unknown_field_in_patch_is_400(admin_client_api, paid):
    response = patch(admin_client_api, paid, {"status": "shipped", "total": "0.01"})

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"total": ["Unknown field."]}
    assert order_of(paid).status == OrderStatus.PAID


def test_customer_patch_is_403(customer_client, paid):
    response = patch(customer_client, paid, {"status": "shipped"})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert order_of(paid).status == OrderStatus.PAID


def test_anonymous_patch_is_401(api_client, paid):
    response = patch(api_client, paid, {"status": "shipped"})

    assert response.status_code == 401


def test_admin_patch_of_a_missing_order_is_404(admin_client_api):
    response = admin_client_api.patch(
        f"{ORDERS}/ord_{'0' * 32}", {"status": "shipped"}, format="json"
    )

    assert response.status_code == 404
