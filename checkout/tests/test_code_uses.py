"""A code's use is counted with the order and given back when the order gives back its stock."""

import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from checkout import tasks
from checkout.models import DiscountCode, DiscountRedemption
from checkout.tests.factories import discount_code_make
from orders.models import Order
from orders.state import OrderStatus
from orders.tests.factories import jobs_drain, order_body, order_post, product_make
from orders.tests.support import assert_no_stock_drift

pytestmark = pytest.mark.django_db


def code_audit_report() -> dict:
    """``manage.py audit_discount_codes --json``, as an operator runs it."""
    out = io.StringIO()
    try:
        call_command("audit_discount_codes", "--json", stdout=out)
    except SystemExit as exc:
        assert exc.code == 1, exc.code
    return json.loads(out.getvalue())


def assert_no_code_drift() -> dict:
    report = code_audit_report()
    assert report["drift"] == [], report["drift"]
    return report


@pytest.fixture
def mug(db):
    return product_make(name="Mug", price="20.00", stock=10)


def _place(client, mug, *, token: str | None = None) -> dict:
    response = order_post(client, order_body((mug, 1), token=token, discountCode="LAUNCH"))
    assert response.status_code == 201, response.content
    return response.json()["data"]


def _uses() -> int:
    return DiscountCode.objects.get(code="LAUNCH").uses


def test_an_order_counts_one_use_and_records_it(customer_client, customer, mug):
    code = discount_code_make(code="LAUNCH", max_uses=5)

    data = _place(customer_client, mug)

    assert _uses() == 1
    redemption = DiscountRedemption.objects.get()
    assert (redemption.code_id, redemption.user_id, str(redemption.order_id.hex)) == (
        code.pk,
        customer.pk,
        data["id"].removeprefix("ord_"),
    )
    assert data["discount"]["code"] == "LAUNCH"
    assert assert_no_code_drift()["codesChecked"] == 1


def test_a_cancelled_order_gives_its_use_back_once(customer_client, mug):
    discount_code_make(code="LAUNCH", max_uses=1)
    data = _place(customer_client, mug)

    assert customer_client.post(f"/v1/orders/{data['id']}/cancel").status_code == 200
    assert customer_client.post(f"/v1/orders/{data['id']}/cancel").status_code == 409

    assert _uses() == 0
    assert DiscountRedemption.objects.get().released_at is not None
    # The use is there again for the next customer.
    _place(customer_client, mug)
    assert _uses() == 1
    assert_no_code_drift()
    assert_no_stock_drift()


def test_a_declined_payment_gives_the_use_back(customer_client, mug, run_jobs):
    discount_code_make(code="LAUNCH", max_uses=1)
    data = _place(customer_client, mug, token="tok_chargeDeclined")

    jobs_drain(run_jobs)

    assert Order.objects.get(pk=data["id"].removeprefix("ord_")).status == (
        OrderStatus.PAYMENT_FAILED
    )
    assert _uses() == 0
    assert_no_code_drift()
    assert_no_stock_drift()


def test_an_expired_order_gives_the_use_back(customer_client, mug):
    discount_code_make(code="LAUNCH", max_uses=1)
    _place(customer_client, mug)
    Order.objects.update(created_at=timezone.now() - timezone.timedelta(days=1))

    assert tasks.orders_expire_pending() == 1

    assert _uses() == 0
    assert_no_code_drift()


def test_a_paid_order_keeps_its_use(customer_client, mug, run_jobs):
    discount_code_make(code="LAUNCH", max_uses=1)
    data = _place(customer_client, mug, token="tok_visa")

    jobs_drain(run_jobs)

    assert Order.objects.get(pk=data["id"].removeprefix("ord_")).status == OrderStatus.PAID
    assert _uses() == 1
    assert_no_code_drift()


def test_the_audit_reports_a_use_count_that_drifted(customer_client, mug):
    discount_code_make(code="LAUNCH", max_uses=5)
    _place(customer_client, mug)
    DiscountCode.objects.update(uses=3)

    report = code_audit_report()

    assert report["drift"] == [
        {"kind": "uses", "code": "LAUNCH", "orderId": None, "expected": 1, "actual": 3}
    ]


def test_the_audit_reports_a_use_held_by_a_cancelled_order(customer_client, mug):
    discount_code_make(code="LAUNCH")
    data = _place(customer_client, mug)
    Order.objects.update(status=OrderStatus.CANCELLED)

    kinds = [row["kind"] for row in code_audit_report()["drift"]]

    assert kinds == ["redemption"]
    assert code_audit_report()["drift"][0]["orderId"] == data["id"]
