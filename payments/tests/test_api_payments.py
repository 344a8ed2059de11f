"""GET /v1/payments/:id and POST /v1/payments/:id/refund."""

import re
from decimal import Decimal

import pytest

from orders.state import OrderStatus
from orders.tests.factories import jobs_drain, money, order_of, order_place, product_make
from payments.models import Payment, Refund
from payments.state import PaymentStatus

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def product(db):
    return product_make(price="40.00", stock=10)


@pytest.fixture
def paid(customer_client, product, run_jobs) -> dict:
    """A paid order of 100.00."""
    data = order_place(customer_client, (product, 2), (product_make(price="20.00"), 1))
    jobs_drain(run_jobs)
    assert order_of(data).status == OrderStatus.PAID
    return data


@pytest.fixture
def payment_url(paid) -> str:
    return f"/v1/payments/{paid['payment']['id']}"


def refund(client, url: str, body=None):
    return client.post(f"{url}/refund", body if body is not None else {}, format="json")


def payment_of(data: dict) -> Payment:
    return order_of(data).payment


# --- reading a payment --------------------------------------------------------------------------


def test_owner_reads_the_payment_with_its_shape(customer_client, paid, payment_url):
    response = customer_client.get(payment_url)

    assert response.status_code == 200
    data = money(response)["data"]
    assert set(data) == {
        "id",
        "orderId",
        "status",
        "amount",
        "currency",
        "capturedAmount",
        "refundedAmount",
        "provider",
        "failureCode",
        "refunds",
        "createdAt",
        "updatedAt",
    }
    assert data["id"] == paid["payment"]["id"]
    assert data["orderId"] == paid["id"]
    assert data["status"] == "captured"
    assert data["amount"] == Decimal("100.00")
    assert data["currency"] == "USD"
    assert data["capturedAmount"] == Decimal("100.00")
    assert data["refundedAmount"] == Decimal("0.00")
    assert data["provider"] == "simulated"
    assert data["failureCode"] == ""
    assert data["refunds"] == []
    assert TIMESTAMP.match(data["createdAt"])
    assert TIMESTAMP.match(data["updatedAt"])


def test_processing_payment_reads_as_processing(customer_client, product):
    data = order_place(customer_client, (product, 1))

    body = customer_client.get(f"/v1/payments/{data['payment']['id']}").json()["data"]

    assert body["status"] == "processing"
    assert body["capturedAmount"] == 0


def test_declined_payment_reads_with_its_failure_code(customer_client, product, run_jobs):
    data = order_place(customer_client, (product, 1), token="tok_chargeDeclined")
    jobs_drain(run_jobs)

    body = customer_client.get(f"/v1/payments/{data['payment']['id']}").json()["data"]

    assert body["status"] == "failed"
    assert body["failureCode"] == "card_declined"


def test_other_customers_payment_is_404_like_a_missing_one(other_client, payment_url):
    hidden = other_client.get(payment_url)
    missing = other_client.get(f"/v1/payments/pay_{'0' * 32}")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


@pytest.mark.parametrize("bad_id", ["42", f"ord_{'0' * 32}", "pay_nothex"])
def test_malformed_payment_id_is_404(customer_client, bad_id):
    assert customer_client.get(f"/v1/payments/{bad_id}").status_code == 404


def test_admin_reads_anyones_payment(admin_client_api, paid, payment_url):
    response = admin_client_api.get(payment_url)

    assert response.status_code == 200
    assert response.json()["data"]["orderId"] == paid["id"]


def test_anonymous_payment_read_is_401(api_client, payment_url):
    response = api_client.get(payment_url)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


# --- refunds ------------------------------------------------------------------------------------


def test_partial_refund_makes_the_payment_partially_refunded(admin_client_api, paid, payment_url):
    response = refund(admin_client_api, payment_url, {"amount": "30.00", "reason": "Damaged"})

    assert response.status_code == 201
    data = money(response)["data"]
    assert data["status"] == "partially_refunded"
    assert data["refundedAmount"] == Decimal("30.00")
    assert len(data["refunds"]) == 1
    assert data["refunds"][0]["amount"] == Decimal("30.00")
    assert data["refunds"][0]["status"] == "succeeded"
    assert data["refunds"][0]["reason"] == "Damaged"
    assert re.fullmatch(r"re_[0-9a-f]{32}", data["refunds"][0]["id"])


def test_partial_refund_leaves_the_order_paid(admin_client_api, paid, payment_url):
    refund(admin_client_api, payment_url, {"amount": "30.00"})

    assert order_of(paid).status == OrderStatus.PAID


def test_refunding_the_rest_makes_payment_and_order_refunded(admin_client_api, paid, payment_url):
    refund(admin_client_api, payment_url, {"amount": "30.00"})

    response = refund(admin_client_api, payment_url, {"amount": "70.00"})

    assert response.status_code == 201
    data = money(response)["data"]
    assert data["status"] == "refunded"
    assert data["refundedAmount"] == Decimal("100.00")
    assert [r["amount"] for r in data["refunds"]] == [Decimal("30.00"), Decimal("70.00")]
    assert order_of(paid).status == OrderStatus.REFUNDED


def test_refund_without_amount_refunds_what_remains(admin_client_api, paid, payment_url):
    refund(admin_client_api, payment_url, {"amount": "0.01"})

    response = refund(admin_client_api, payment_url)

    assert response.status_code == 201
    assert money(response)["data"]["refunds"][1]["amount"] == Decimal("99.99")
    assert payment_of(paid).status == PaymentStatus.REFUNDED


def test_full_refund_of_a_shipped_order_makes_it_refunded(admin_client_api, paid, payment_url):
    admin_client_api.patch(f"/v1/orders/{paid['id']}", {"status": "shipped"}, format="json")

    refund(admin_client_api, payment_url)

    assert order_of(paid).status == OrderStatus.REFUNDED


def test_refund_above_what_remains_is_409_and_changes_nothing(admin_client_api, paid, payment_url):
    refund(admin_client_api, payment_url, {"amount": "60.00"})

    response = refund(admin_client_api, payment_url, {"amount": "40.01"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert "amount" in response.json()["error"]["details"]
    payment = payment_of(paid)
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert payment.refunded_amount == Decimal("60.00")
    assert Refund.objects.count() == 1
    assert order_of(paid).status == OrderStatus.PAID


def test_refund_above_the_capture_is_409(admin_client_api, paid, payment_url):
    response = refund(admin_client_api, payment_url, {"amount": "100.01"})

    assert response.status_code == 409
    assert Refund.objects.count() == 0
    assert payment_of(paid).status == PaymentStatus.CAPTURED


def test_refund_of_a_fully_refunded_payment_is_409(admin_client_api, paid, payment_url):
    refund(admin_client_api, payment_url)

    response = refund(admin_client_api, payment_url)

    assert response.status_code == 409
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("amount", ["0", "0.00", "-5.00", -1, "1.005", "abc", "", None, [1]])
def test_refund_amount_not_a_positive_two_decimal_number_is_400(
    admin_client_api, paid, payment_url, amount
):
    response = refund(admin_client_api, payment_url, {"amount": amount})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "amount" in response.json()["error"]["details"]
    assert Refund.objects.count() == 0
    assert payment_of(paid).status == PaymentStatus.CAPTURED


def test_refund_with_an_unknown_field_is_400(admin_client_api, paid, payment_url):
    response = refund(admin_client_api, payment_url, {"amount": "1.00", "currency": "EUR"})

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"currency": ["Unknown field."]}


def test_refund_of_a_processing_payment_is_409(admin_client_api, customer_client, product):
    data = order_place(customer_client, (product, 1))

    response = refund(admin_client_api, f"/v1/payments/{data['payment']['id']}")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert Refund.objects.count() == 0
    assert payment_of(data).status == PaymentStatus.PROCESSING


def test_refund_of_a_failed_payment_is_409(admin_client_api, customer_client, product, run_jobs):
    data = order_place(customer_client, (product, 1), token="tok_chargeDeclined")
    jobs_drain(run_jobs)

    response = refund(admin_client_api, f"/v1/payments/{data['payment']['id']}", {"amount": "1"})

    assert response.status_code == 409
    assert Refund.objects.count() == 0


def test_customer_refund_is_403(customer_client, paid, payment_url):
    response = refund(customer_client, payment_url)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert payment_of(paid).status == PaymentStatus.CAPTURED


def test_anonymous_refund_is_401(api_client, paid, payment_url):
    response = refund(api_client, payment_url)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert payment_of(paid).status == PaymentStatus.CAPTURED


def test_refund_of_a_missing_payment_is_404(admin_client_api):
    response = refund(admin_client_api, f"/v1/payments/pay_{'0' * 32}")

    assert response.status_code == 404


def test_refund_records_the_admin_who_made_it(admin_client_api, admin_user, paid, payment_url):
    refund(admin_client_api, payment_url, {"amount": "5.00"})

    assert Refund.objects.get().created_by == admin_user


@pytest.fixture
def refunds_refused(monkeypatch):
    """The provider says no to every refund (a real provider can: e.g. a closed card)."""
    from payments.gateway import PaymentDeclined, SimulatedGateway

    def refuse(self, **kwargs):
        raise PaymentDeclined("refund_refused", "The provider refused the refund.")

    monkeypatch.setattr(SimulatedGateway, "refund", refuse)


def test_refund_refused_by_the_provider_is_402_and_reserves_nothing(
    admin_client_api, paid, payment_url, refunds_refused, monkeypatch
):
    response = refund(admin_client_api, payment_url, {"amount": "30.00"})

    assert response.status_code == 402
    assert response.json()["success"] is False
    assert response.json()["error"]["code"] == "payment_failed"
    payment = payment_of(paid)
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.CAPTURED, Decimal(0))
    assert list(Refund.objects.values_list("status", flat=True)) == ["failed"]
    # The failed attempt holds back no amount: the whole capture can still go back.
    monkeypatch.undo()
    assert refund(admin_client_api, payment_url).status_code == 201
    assert payment_of(paid).refunded_amount == Decimal("100.00")


def test_cancel_of_a_paid_order_stands_when_the_refund_is_refused(
    customer_client, paid, product, refunds_refused
):
    response = customer_client.post(f"/v1/orders/{paid['id']}/cancel")

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "cancelled"
    assert response.json()["data"]["payment"]["status"] == "captured"
    product.refresh_from_db()
    assert product.stock == 10
    assert list(Refund.objects.values_list("status", flat=True)) == ["failed"]
