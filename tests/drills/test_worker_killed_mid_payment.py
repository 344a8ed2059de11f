"""Drill: the payments worker killed in the middle of a charge, and the charge retried.

Real ``manage.py rqworker payments`` processes on the test database and the
drill's Redis run the charge job of an order placed through the API. The
provider (``tests.drills.gateway``: the simulator, stalling on the first call
of a charge) holds the worker inside the call until the drill kills it:

- the whole worker after the provider captured, before the answer reached the
  application: the payments sweep re-queues the charge and a new worker asks
  the provider again with the same idempotency key;
- the worker (the default ecommerce.jobs.worker.JobWorker runs jobs in its own
  process) before the provider saw the request: RQ finds the job abandoned
  and retries it under its retry policy;
- with RQ_WORKER_CLASS=rq.worker.Worker, only the work-horse it forked, before
  the provider saw the request: the parent worker sees its horse die and
  retries the job.

Either way: exactly one capture at the provider, recorded on the payment with
the provider's reference and amount; the order paid once; stock taken once.
"""

import os
import signal
import time

import django_rq
import pytest
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry

from catalog.models import Product, StockMovement
from orders.models import Order
from orders.state import OrderStatus
from orders.tests.factories import order_body
from orders.tests.support import stock_audit_report
from payments import services as payment_services
from payments.models import Payment, SimulatedCharge
from payments.state import PaymentStatus
from tests.drills.support import DrillFigures, figures, wait_for

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

# Far longer than the drill takes to kill the worker: it is never waited out.
STALL_MS = "120000"
STOCK = 10
QUANTITY = 3


@pytest.fixture
def worker_env(tmp_path) -> tuple:
    markers = tmp_path / "gateway"
    markers.mkdir()

    def env(stall_at: str) -> dict[str, str]:
        return {
            "PAYMENT_GATEWAY": "tests.drills.gateway.FirstCallStallsGateway",
            "PAYMENT_SIMULATOR_DELAY_MS": STALL_MS,
            "DRILL_GATEWAY_DIR": str(markers),
            "DRILL_GATEWAY_HANG": stall_at,
        }

    return env, markers


def place_order(client, product: Product) -> Payment:
    """Through the API: its charge job goes to the drill's Redis as the request commits."""
    response = client.post("/v1/orders", order_body((product, QUANTITY)), format="json")
    assert response.status_code == 201, response.content
    return Payment.objects.get(order_id=response.json()["data"]["id"].removeprefix("ord_"))


def order_awaiting_charge(settings, stocked_product, customer_client, markers) -> tuple:
    """``(product, payment, marker)``: an order whose charge job is queued, and the
    file the drill's provider writes (with the charging pid) once the call is in it."""
    # The retry policy travels with the job from the enqueuing process: at once.
    settings.PAYMENT_RETRY_INTERVALS = [0]
    product = stocked_product(stock=STOCK)
    payment = place_order(customer_client, product)
    return product, payment, markers / f"charge-{payment.pk}"


def requeue_abandoned_job(queue) -> str:
    """What RQ's registry maintenance does once a dead worker's job is past its
    timeout (here: pretend a day has passed): retried, attempts being left."""
    started = StartedJobRegistry(queue=queue)
    [abandoned] = started.get_job_ids()
    started.cleanup(timestamp=time.time() + 24 * 3600)
    return abandoned


def assert_captured_once(payment: Payment, product: Product, record: DrillFigures) -> None:
    payment.refresh_from_db()
    order = Order.objects.get(pk=payment.order_id)
    entry = SimulatedCharge.objects.get(kind="charge")  # exactly one, at the provider
    assert entry.idempotency_key == f"charge-{payment.pk}"
    assert entry.outcome == "succeeded"
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.provider_reference == entry.reference
    assert payment.captured_amount == payment.amount == entry.amount == order.total
    assert order.status == OrderStatus.PAID
    # Stock taken once: one reservation, nothing returned, nothing taken again.
    movements = StockMovement.objects.filter(order_id=order.pk)
    assert [(m.reason, m.delta) for m in movements] == [
        (StockMovement.Reason.ORDER_RESERVE, -QUANTITY)
    ]
    product.refresh_from_db()
    assert product.stock == STOCK - QUANTITY
    report = stock_audit_report()
    record.drift += len(report["drift"])
    assert report["drift"] == []


def test_worker_killed_after_the_provider_captured_is_recovered_by_the_sweep(
    rq_worker, worker_env, stocked_product, customer_client, run_jobs, settings
):
    env, markers = worker_env
    product, payment, marker = order_awaiting_charge(
        settings, stocked_product, customer_client, markers
    )

    with figures("worker killed mid-payment, answer in flight") as record:
        worker = rq_worker(**env("response"))
        wait_for(marker.exists, what="the worker inside the provider call")
        # The provider captured; the application has not heard back.
        entry = SimulatedCharge.objects.get(idempotency_key=f"charge-{payment.pk}")
        payment.refresh_from_db()
        assert (payment.status, payment.attempts) == (PaymentStatus.PROCESSING, 1)
        assert int(marker.read_text()) in worker.job_processes()

        worker.kill()
        record.faults += 1
        record.orders_during_faults += 1

        # The sweep (no grace period here) re-queues the charge still processing,
        # and a new worker asks the provider again with the same idempotency key.
        settings.PAYMENT_SWEEP_AFTER = 0
        assert payment_services.payments_sweep() == 1
        assert rq_worker(burst=True, **env("response")).wait() == 0

        entry.refresh_from_db()
        assert entry.attempts == 2  # the provider replayed its capture, it did not charge again
        payment.refresh_from_db()
        assert payment.attempts == 2
        assert_captured_once(payment, product, record)

        # Later RQ finds the dead worker's job abandoned (once its timeout has
        # passed) and retries it too: the charge sees the capture and skips.
        queue = django_rq.get_queue("payments")
        abandoned = requeue_abandoned_job(queue)
        assert queue.job_ids == [abandoned]
        run_jobs()
        assert Job.fetch(abandoned, connection=queue.connection).return_value() == "skipped"
        entry.refresh_from_db()
        assert entry.attempts == 2
        assert_captured_once(payment, product, record)


def test_worker_killed_before_the_capture_is_retried_once_found_abandoned(
    rq_worker, worker_env, stocked_product, customer_client, settings
):
    env, markers = worker_env
    product, payment, marker = order_awaiting_charge(
        settings, stocked_product, customer_client, markers
    )

    with figures("worker killed mid-payment, request in flight") as record:
        worker = rq_worker(**env("request"))
        wait_for(marker.exists, what="the worker inside the provider call")
        assert int(marker.read_text()) == worker.pid  # the job runs in the worker itself
        assert not worker.horses()
        assert not SimulatedCharge.objects.exists()  # the provider has seen nothing yet

        worker.kill()
        record.faults += 1
        record.orders_during_faults += 1

        # Any worker's registry maintenance finds the job abandoned and puts it
        # back on the queue; a new worker charges.
        queue = django_rq.get_queue("payments")
        abandoned = requeue_abandoned_job(queue)
        assert queue.job_ids == [abandoned]
        assert rq_worker(burst=True, **env("request")).wait() == 0

        payment.refresh_from_db()
        assert payment.attempts == 2
        assert SimulatedCharge.objects.get().attempts == 1
        assert FailedJobRegistry(queue=queue).count == 0
        assert_captured_once(payment, product, record)


def test_forking_workers_horse_killed_before_the_capture_is_retried_by_rq(
    rq_worker, worker_env, stocked_product, customer_client, settings
):
    env, markers = worker_env
    product, payment, marker = order_awaiting_charge(
        settings, stocked_product, customer_client, markers
    )

    with figures("work-horse killed mid-payment, request in flight") as record:
        worker = rq_worker(burst=True, RQ_WORKER_CLASS="rq.worker.Worker", **env("request"))
        wait_for(marker.exists, what="the work-horse inside the provider call")
        horse = int(marker.read_text())
        assert horse in worker.horses()
        assert not SimulatedCharge.objects.exists()  # the provider has seen nothing yet

        os.kill(horse, signal.SIGKILL)
        record.faults += 1
        record.orders_during_faults += 1

        # RQ's parent worker sees its horse die, and retries the job; in burst
        # mode it exits once the queue is empty.
        assert worker.wait() == 0, worker.log_text()
        assert "Work-horse terminated unexpectedly" in worker.log_text()

        payment.refresh_from_db()
        assert payment.attempts == 2
        assert SimulatedCharge.objects.get().attempts == 1
        queue = django_rq.get_queue("payments")
        assert FailedJobRegistry(queue=queue).count == 0
        assert_captured_once(payment, product, record)
