"""The periodic jobs of orders: expiring pending orders, purging idempotency keys."""

from datetime import timedelta

import django_rq
import pytest
from django.utils import timezone

from catalog.models import Product, StockMovement
from checkout import tasks
from orders import tasks as order_tasks
from orders.models import IdempotencyRecord, Order
from orders.state import OrderStatus
from orders.tests.factories import (
    capture_on_commit,
    jobs_drain,
    order_body,
    order_of,
    order_place,
    order_post,
)
from orders.tests.factories import product_make as make
from payments.models import SimulatedCharge
from payments.state import PaymentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def pending_timeout(settings):
    settings.ORDER_PENDING_TIMEOUT = 1800


def _age(order: Order, seconds: int) -> None:
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))


def _stock(product: Product) -> int:
    return Product.objects.get(pk=product.pk).stock


def test_expiry_cancels_orders_pending_past_the_timeout_and_returns_stock(customer_client):
    product = make(stock=10)
    order = order_of(order_place(customer_client, (product, 4)))
    _age(order, 1801)

    assert tasks.orders_expire_pending() == 1

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert _stock(product) == 10


def test_expiry_leaves_recent_pending_and_paid_orders_alone(customer_client, run_jobs):
    product = make(stock=10)
    paid = order_of(order_place(customer_client, (product, 2), run_jobs=run_jobs))
    _age(paid, 7200)
    recent = order_of(order_place(customer_client, (product, 1)))
    _age(recent, 1700)

    assert tasks.orders_expire_pending() == 0

    assert Order.objects.get(pk=recent.pk).status == OrderStatus.PENDING
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.PAID
    assert _stock(product) == 7


def test_expiry_run_twice_returns_stock_once(customer_client):
    product = make(stock=10)
    order = order_of(order_place(customer_client, (product, 4)))
    _age(order, 3600)

    assert tasks.orders_expire_pending() == 1
    assert tasks.orders_expire_pending() == 0

    assert _stock(product) == 10
    releases = StockMovement.objects.filter(order_id=order.pk, reason="order_release")
    assert [movement.delta for movement in releases] == [4]


def test_charge_of_an_expired_order_is_voided_without_charging(customer_client, run_jobs):
    product = make(stock=5)
    order = order_of(order_place(customer_client, (product, 5)))
    _age(order, 1801)
    tasks.orders_expire_pending()

    jobs_drain(run_jobs)

    payment = order_of({"id": f"ord_{order.pk.hex}"}).payment
    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "order_cancelled")
    assert SimulatedCharge.objects.count() == 0
    assert _stock(product) == 5


def test_expiry_runs_as_an_rq_job(customer_client, run_jobs):
    product = make(stock=3)
    order = order_of(order_place(customer_client, (product, 3)))
    _age(order, 1801)
    django_rq.get_queue("payments").empty()  # only the periodic job below

    job = django_rq.get_queue("default").enqueue(tasks.orders_expire_pending)
    run_jobs()

    assert job.get_status() == "finished"
    assert job.return_value() == 1
    assert _stock(product) == 3


def test_purge_deletes_idempotency_records_past_their_24_hours_only(customer_client, run_jobs):
    product = make(stock=10)
    order_post(customer_client, order_body((product, 1)), key="old")
    order_post(customer_client, order_body((product, 1)), key="fresh")
    IdempotencyRecord.objects.filter(key="old").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    django_rq.get_queue("payments").empty()

    job = django_rq.get_queue("default").enqueue(order_tasks.idempotency_records_purge)
    run_jobs()

    assert job.return_value() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
    assert Order.objects.count() == 2  # orders outlive their keys


def test_idempotency_record_expires_24_hours_after_the_request(customer_client, settings):
    product = make(stock=10)
    before = timezone.now()

    order_post(customer_client, order_body((product, 1)), key="key-1")

    record = IdempotencyRecord.objects.get()
    assert settings.IDEMPOTENCY_TTL == 24 * 3600
    expected = before + timedelta(hours=24)
    assert expected <= record.expires_at <= expected + timedelta(seconds=5)


def test_confirmation_mail_leaves_with_the_charge_and_no_second_job(
    customer_client, run_jobs, settings, mailoutbox
):
    order = order_place(customer_client, (make(stock=5), 1))
    with capture_on_commit(execute=True):
        assert run_jobs() == 1  # the charge: the order is paid and mailed by this job

    (message,) = mailoutbox
    assert message.subject == f"Your order {order['id']} is confirmed"
    assert sum(django_rq.get_queue(name).count for name in settings.RQ_QUEUE_NAMES) == 0


def test_confirmation_mail_is_retried_when_the_mail_server_is_down(
    customer_client, run_jobs, settings, mailoutbox
):
    from tests.redis_server import free_port

    order_place(customer_client, (make(stock=5), 1))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    with capture_on_commit(execute=True):
        # The charge: the order is paid; its mail, refused inline, is queued.
        assert run_jobs() == 1
    assert Order.objects.get().status == OrderStatus.PAID
    emails = django_rq.get_queue("emails")
    assert emails.count == 1
    before = timezone.now()

    run_jobs()

    assert mailoutbox == []
    scheduled = emails.scheduled_job_registry
    (job_id,) = scheduled.get_job_ids()
    assert 9 <= (scheduled.get_scheduled_time(job_id) - before).total_seconds() <= 12
    assert emails.fetch_job(job_id).retries_left == 2
