"""Without REDIS_URL (``make run``) jobs run inline, after the request's commit.

``make run`` starts ``manage.py runserver`` with DEBUG on and no Redis: the
cache is the file cache, sessions live in the database and ``JOBS_SYNC`` is on,
so there is no queue and no worker. This starts that server for real on the
test's PostgreSQL database (a transactional test: the server sees the rows the
test commits) and places an order over HTTP: its charge must have run inside
the request, since nothing else would ever run it.
"""

import sys
from pathlib import Path

import django_rq
import pytest
from django.conf import settings

from accounts.tokens import token_pair_issue
from catalog.tests.factories import product_make
from orders.state import OrderStatus
from orders.tests.factories import order_body, order_of
from payments.models import SimulatedCharge
from payments.state import PaymentStatus
from tests.drills.support import service_env
from tests.processes import free_port, http_call, spawn, stop, wait_http

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server_without_redis(transactional_db, tmp_path: Path):
    """``manage.py runserver`` as ``make run`` starts it: DEBUG on, REDIS_URL unset."""
    port = free_port()
    env = service_env(redis_url="", DEBUG="1", ENV_FILE="", CACHE_DIR=str(tmp_path / "cache"))
    log = tmp_path / "runserver.log"
    process = spawn(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        log_path=log,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/health", process=process, log_path=log)
        yield port, log
    finally:
        stop(process)


def test_an_order_placed_without_redis_is_charged_within_its_request(
    server_without_redis, customer
):
    port, log = server_without_redis
    product = product_make(stock=5, price="12.50")
    access = token_pair_issue(user=customer).access
    queued_before = {name: django_rq.get_queue(name).count for name in settings.RQ_QUEUE_NAMES}

    reply = http_call(
        port,
        "POST",
        "/v1/orders",
        body=order_body((product, 2)),
        headers={"Authorization": f"Bearer {access}"},
    )

    assert reply.status == 201, (reply, log.read_text()[-3000:])
    order = order_of(reply.body["data"])
    # No worker exists: the charge ran inline, after the order's commit, before the reply.
    assert order.status == OrderStatus.PAID
    assert order.payment.status == PaymentStatus.CAPTURED
    charge = SimulatedCharge.objects.get(idempotency_key=f"charge-{order.payment.pk}")
    assert (charge.kind, charge.outcome, charge.amount) == ("charge", "succeeded", order.total)
    product.refresh_from_db()
    assert product.stock == 3
    # Nothing went to a queue (the test's own Redis is the only one there is).
    assert {name: django_rq.get_queue(name).count for name in settings.RQ_QUEUE_NAMES} == (
        queued_before
    )
