"""The charge job through real RQ: idempotent, retried, and never a second capture."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import django_rq
import pytest
from django.utils import timezone

from catalog.models import Product
from orders.models import Order
from orders.state import OrderStatus
from orders.tests.support import assert_no_stock_drift, order_body, run_in_threads
from payments import services, tasks
from payments.errors import PaymentNotRefundable, RefundExceedsCapture
from payments.models import Payment, Refund, SimulatedCharge
from payments.state import PaymentStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def place_order(make_product, customer_client):
    def place(
        token: str | None = None, stock: int = 10, quantity: int = 2, price: str = "19.99"
    ) -> Payment:
        product = make_product(stock=stock, price=price)
        response = customer_client.post(
            "/v1/orders", order_body((product, quantity), token=token), format="json"
        )
        assert response.status_code == 201, response.content
        return Payment.objects.select_related("order").get(
            order__id=response.json()["data"]["id"][4:]
        )

    return place


def _charges(payment: Payment) -> int:
    return SimulatedCharge.objects.filter(
        kind="charge", idempotency_key=f"charge-{payment.id}"
    ).count()


def test_order_enqueues_exactly_one_charge_job(place_order):
    place_order()
    assert django_rq.get_queue("payments").count == 1


def test_worker_captures_and_marks_order_paid(place_order, run_jobs):
    payment = place_order()

    assert run_jobs() >= 1

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.captured_amount == payment.amount
    assert payment.order.__class__.objects.get(pk=payment.order_id).status == OrderStatus.PAID
    assert _charges(payment) == 1


def test_charge_job_run_twice_captures_once(place_order, run_jobs):
    payment = place_order()
    run_jobs()

    assert tasks.payment_charge(payment_id=str(payment.id)) == "skipped"

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.attempts == 1
    assert _charges(payment) == 1


def test_charge_job_run_concurrently_captures_once(place_order):
    payment = place_order()

    results = run_in_threads(6, lambda i: tasks.payment_charge(payment_id=str(payment.id)))

    assert all(not isinstance(r, Exception) for r in results), results
    assert results.count("captured") == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.captured_amount == payment.amount
    assert _charges(payment) == 1
    assert_no_stock_drift()


def test_decline_fails_order_and_returns_stock_once(place_order, run_jobs):
    payment = place_order(token="tok_chargeDeclined", stock=10, quantity=4)
    product = Product.objects.get(order_items__order=payment.order_id)
    assert product.stock == 6

    run_jobs()
    tasks.payment_charge(payment_id=str(payment.id))

    payment.refresh_from_db()
    product.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "card_declined"
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PAYMENT_FAILED
    assert product.stock == 10


def test_transient_error_is_retried_then_captured(place_order, run_jobs, settings):
    # Zero waits: RQ re-queues at once, and the burst worker runs the retry.
    settings.PAYMENT_RETRY_INTERVALS = [0, 0, 0]
    payment = place_order(token="tok_processingError")

    run_jobs()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.attempts == 2
    assert _charges(payment) == 1


def test_gateway_down_fails_payment_after_last_attempt(place_order, run_jobs, settings):
    settings.PAYMENT_RETRY_INTERVALS = [0, 0, 0]
    settings.PAYMENT_MAX_ATTEMPTS = 3
    payment = place_order(token="tok_gatewayDown", stock=5, quantity=5)

    run_jobs()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "gateway_unavailable"
    assert payment.attempts == 3
    assert Product.objects.get(order_items__order=payment.order_id).stock == 5


def test_charge_for_cancelled_order_is_voided_without_charging(
    place_order, customer_client, run_jobs
):
    payment = place_order(stock=3, quantity=3)
    response = customer_client.post(f"/v1/orders/ord_{payment.order_id.hex}/cancel")
    assert response.status_code == 200

    run_jobs()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "order_cancelled"
    assert _charges(payment) == 0
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.CANCELLED
    assert Product.objects.get(order_items__order=payment.order_id).stock == 3


def test_capture_landing_after_a_cancel_is_refunded(place_order, customer_client, settings):
    # The provider takes 1.5 s: the customer cancels while the charge is there.
    settings.PAYMENT_SIMULATOR_DELAY_MS = 1500
    payment = place_order(stock=5, quantity=2)
    charging = threading.Thread(target=tasks.payment_charge, kwargs={"payment_id": str(payment.id)})
    charging.start()
    deadline = time.monotonic() + 5
    while not Payment.objects.filter(pk=payment.pk, attempts=1).exists():
        assert time.monotonic() < deadline, "the charge never started"
        time.sleep(0.02)

    response = customer_client.post(f"/v1/orders/ord_{payment.order_id.hex}/cancel")
    charging.join(timeout=10)

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "cancelled"
    payment.refresh_from_db()
    assert _charges(payment) == 1
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_amount == payment.captured_amount == payment.amount
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.CANCELLED
    assert Product.objects.get(order_items__order=payment.order_id).stock == 5
    assert_no_stock_drift()


def test_transient_error_is_retried_after_the_first_backoff_interval(
    place_order, run_jobs, settings
):
    settings.PAYMENT_RETRY_INTERVALS = [5, 30, 120]
    payment = place_order(token="tok_processingError")
    queue = django_rq.get_queue("payments")
    before = timezone.now()

    run_jobs()

    payment.refresh_from_db()
    assert (payment.status, payment.attempts) == (PaymentStatus.PROCESSING, 1)
    scheduled = queue.scheduled_job_registry
    (job_id,) = scheduled.get_job_ids()
    runs_at = scheduled.get_scheduled_time(job_id)
    assert 4 <= (runs_at - before).total_seconds() <= 7
    assert queue.fetch_job(job_id).retries_left == settings.PAYMENT_MAX_ATTEMPTS - 2


def test_sweep_requeues_a_lost_charge(place_order, run_jobs, settings):
    settings.PAYMENT_SWEEP_AFTER = 60
    payment = place_order()
    django_rq.get_queue("payments").empty()  # the job was lost
    Payment.objects.filter(pk=payment.pk).update(updated_at=timezone.now() - timedelta(minutes=5))

    assert services.payments_sweep() == 1
    run_jobs()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert _charges(payment) == 1


def test_sweep_leaves_recent_payments_alone(place_order, settings):
    settings.PAYMENT_SWEEP_AFTER = 60
    place_order()
    assert services.payments_sweep() == 0


def test_concurrent_refunds_never_exceed_the_capture(place_order, run_jobs):
    payment = place_order(quantity=4, price="25.00")  # 100.00 captured
    run_jobs()

    results = run_in_threads(
        8, lambda i: services.refund_create(payment_id=payment.id, amount=Decimal("25.00"))
    )

    refunded = [r for r in results if isinstance(r, Refund)]
    # A thread that comes after the last refund finds the payment refunded
    # (PaymentNotRefundable); before that, too little left (RefundExceedsCapture).
    refused = [r for r in results if isinstance(r, RefundExceedsCapture | PaymentNotRefundable)]
    assert (len(refunded), len(refused)) == (4, 4), results
    payment.refresh_from_db()
    assert payment.refunded_amount == payment.captured_amount == Decimal("100.00")
    assert payment.status == PaymentStatus.REFUNDED
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.REFUNDED
    assert_no_stock_drift()


def _refund_crashing(monkeypatch, target: str) -> None:
    """The process dies (an exception nothing handles) at ``target``, once."""
    from payments import gateway
    from payments import services as payment_services

    owner, name = {
        "provider": (gateway.SimulatedGateway, "refund"),
        "completion": (payment_services, "_refund_complete"),
    }[target]
    real = getattr(owner, name)

    def crash(*args, **kwargs):
        monkeypatch.setattr(owner, name, real)
        raise RuntimeError("process died")

    monkeypatch.setattr(owner, name, crash)


def _refund_entries(refund: Refund) -> int:
    return SimulatedCharge.objects.filter(
        kind="refund", idempotency_key=f"refund-{refund.id}"
    ).count()


def _age_refunds() -> None:
    Refund.objects.update(updated_at=timezone.now() - timedelta(minutes=5))


def test_refund_left_pending_by_a_crash_is_finished_by_the_sweep(
    place_order, run_jobs, monkeypatch, settings
):
    settings.PAYMENT_SWEEP_AFTER = 60
    payment = place_order(quantity=2, price="30.00")  # 60.00
    run_jobs()
    _refund_crashing(monkeypatch, "provider")
    with pytest.raises(RuntimeError):
        services.refund_create(payment_id=payment.id, amount=Decimal("20.00"))
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.PENDING
    # Its amount stays reserved: nothing can be refunded past the capture meanwhile.
    with pytest.raises(RefundExceedsCapture):
        services.refund_create(payment_id=payment.id, amount=Decimal("40.01"))
    _age_refunds()

    assert services.payments_sweep() == 1
    run_jobs()

    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert (payment.status, payment.refunded_amount) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        Decimal("20.00"),
    )
    assert _refund_entries(refund) == 1
    assert tasks.refund_resume(refund_id=str(refund.id)) == "skipped"


def test_resumed_refund_the_provider_already_made_is_not_made_twice(
    place_order, run_jobs, monkeypatch
):
    payment = place_order(quantity=2, price="30.00")
    run_jobs()
    _refund_crashing(monkeypatch, "completion")
    with pytest.raises(RuntimeError):
        services.refund_create(payment_id=payment.id)
    refund = Refund.objects.get()
    assert (refund.status, _refund_entries(refund)) == (Refund.Status.PENDING, 1)

    results = run_in_threads(4, lambda i: tasks.refund_resume(refund_id=str(refund.id)))

    assert all(not isinstance(r, Exception) for r in results), results
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, Decimal("60.00"))
    assert _refund_entries(refund) == 1
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.REFUNDED
    assert_no_stock_drift()
