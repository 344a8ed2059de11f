"""Drill: Redis stopped and started again while clients browse, log in and order.

A live gunicorn serves the test database and a redis-server the drill owns.
Parallel clients read the catalog, log in and place orders; mid-load Redis is
frozen (SIGSTOP: a hung server or a partition) and thawed, then stopped (its
process terminated, its data gone, as in a restart) and started again.
Meanwhile nothing may fail: the catalog and login answer 200 from
PostgreSQL, orders are created, /ready says 503 naming Redis and recovers.
The charge jobs of the orders placed while Redis was down never reached a
queue (and those queued before were lost with Redis's memory): the payments
sweep re-queues them and a worker charges each exactly once.
"""

import os
import signal
import time
import uuid
from collections.abc import Iterator

import pytest
from django.conf import global_settings

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tokens import token_pair_issue
from orders.models import Order
from orders.state import OrderStatus
from orders.tests.factories import jobs_drain, order_body
from orders.tests.support import stock_audit_report
from payments import services as payment_services
from payments.models import Payment, SimulatedCharge
from payments.state import PaymentStatus
from tests.drills.support import Load, figures, wait_for
from tests.processes import RedisServer

# How long a worker's breaker refuses Redis after a failed attempt.
BACKOFF_SECONDS = 1.0

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

CLIENTS = 4  # thread 0 logs in over and over; the others browse and order
# Orders a phase (all are charged at the end): more while the fault lasts.
ORDERS_PER_PHASE = {"before": 3, "frozen": 5, "thawed": 3, "outage": 5, "after": 3}
LOGINS_PER_PHASE = 1


def test_redis_stopped_and_started_under_load(
    api_server, own_redis, stocked_product, run_jobs, settings
):
    # The server checks passwords with its production hashers, not the tests' MD5.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    customer = UserFactory(email="drill.redis@example.com")
    token = token_pair_issue(user=customer).access
    products = [stocked_product(stock=500), stocked_product(stock=500)]
    server = api_server(workers=2, REDIS_FAILURE_BACKOFF=str(BACKOFF_SECONDS))

    def scenario(load: Load, index: int) -> None:
        if index == 0:
            # Password hashing is slow by design: a few logins a phase make the point.
            if len(load.select(kind="login", phase=load.phase)) < LOGINS_PER_PHASE:
                load.call(
                    "login",
                    "POST",
                    "/v1/auth/login",
                    body={"email": customer.email, "password": DEFAULT_PASSWORD},
                )
            load.pause()
            return
        product = products[index % 2]
        load.call("catalog", "GET", "/v1/products?limit=5&sort=price_asc")
        load.call("catalog", "GET", f"/v1/products/prod_{product.pk.hex}")
        if len(load.select(kind="order", phase=load.phase)) < ORDERS_PER_PHASE[load.phase]:
            load.call(
                "order",
                "POST",
                "/v1/orders",
                body=order_body((product, 1)),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Idempotency-Key": str(uuid.uuid4()),
                },
            )
        load.pause()

    with (
        figures("redis frozen, then stopped and started, under load") as record,
        Load(server, scenario, CLIENTS) as load,
    ):
        load.wait_for(ORDERS_PER_PHASE["before"], kind="order", phase="before")
        load.wait_for(LOGINS_PER_PHASE, kind="login", phase="before")

        # Frozen (SIGSTOP): calls hang until their socket timeout instead of
        # being refused, and Redis keeps its data.
        load.phase = "frozen"
        os.kill(own_redis.process.pid, signal.SIGSTOP)
        record.faults += 1
        try:
            frozen = wait_for(
                lambda: (reply := server.call("GET", "/ready")).status == 503 and reply,
                what="/ready to report the freeze",
            )
            load.wait_for(ORDERS_PER_PHASE["frozen"], kind="order", phase="frozen")
            load.wait_for(LOGINS_PER_PHASE, kind="login", phase="frozen")
        finally:
            os.kill(own_redis.process.pid, signal.SIGCONT)
        load.phase = "thawed"
        wait_for(lambda: server.call("GET", "/ready").status == 200, what="/ready to recover")
        load.wait_for(ORDERS_PER_PHASE["thawed"], kind="order", phase="thawed")

        # Stopped: connections refused, and Redis comes back empty.
        load.phase = "outage"
        own_redis.stop()
        record.faults += 1
        ready = wait_for(
            lambda: (reply := server.call("GET", "/ready")).status == 503 and reply,
            what="/ready to report the outage",
        )
        load.wait_for(ORDERS_PER_PHASE["outage"], kind="order", phase="outage")
        load.wait_for(LOGINS_PER_PHASE, kind="login", phase="outage")
        load.wait_for(10, kind="catalog", phase="outage")

        own_redis.start()
        load.phase = "after"
        wait_for(lambda: server.call("GET", "/ready").status == 200, what="/ready to recover")
        load.wait_for(ORDERS_PER_PHASE["after"], kind="order", phase="after")
        load.wait_for(LOGINS_PER_PHASE, kind="login", phase="after")
    # A worker whose last attempt failed just before Redis returned keeps
    # refusing it for up to REDIS_FAILURE_BACKOFF, and the "after" phase can be
    # over sooner (one client's /ready calls may all land on the other
    # worker). Past that window every worker tries Redis for real.
    time.sleep(BACKOFF_SECONDS + 0.5)
    ready_after = server.call("GET", "/ready")

    # Nothing failed, in any phase: no 5xx, no reset connection, no 429.
    failures = [s for s in load.samples if not s.ok]
    assert failures == [], failures[:5]
    assert ready.body["status"] == "unavailable"
    assert ready.body["checks"] == {"database": "ok", "redis": "unavailable"}
    assert frozen.body["checks"] == {"database": "ok", "redis": "unavailable"}
    assert ready_after.body["checks"] == {"database": "ok", "redis": "ok"}

    placed_in_outage = {
        s.body["data"]["id"]
        for phase in ("outage", "frozen")
        for s in load.select(kind="order", phase=phase, status=201)
    }
    record.orders_during_faults = len(placed_in_outage)
    all_placed = {s.body["data"]["id"] for s in load.select(kind="order", status=201)}
    assert Order.objects.count() == len(all_placed)

    # Redis came back empty from its stop: every charge queued before it is gone,
    # and none could be queued while it was frozen or stopped. The sweep (here
    # with no grace period) re-queues what is still processing, and a worker
    # (real RQ on the drill's Redis) charges it; a charge queued twice skips.
    assert Payment.objects.filter(status=PaymentStatus.PROCESSING).exists()
    settings.PAYMENT_SWEEP_AFTER = 0
    assert payment_services.payments_sweep() > 0
    jobs_drain(run_jobs)

    orders = Order.objects.select_related("payment").prefetch_related("items")
    for order in orders:
        assert order.status == OrderStatus.PAID, order
        payment = order.payment
        assert payment.status == PaymentStatus.CAPTURED
        assert payment.captured_amount == payment.amount == order.total
        charge = SimulatedCharge.objects.get(idempotency_key=f"charge-{payment.pk}")
        assert (charge.kind, charge.reference) == ("charge", payment.provider_reference)
    assert SimulatedCharge.objects.filter(kind="charge").count() == len(all_placed)
    assert {f"ord_{o.pk.hex}" for o in orders if o.status == OrderStatus.PAID} >= placed_in_outage

    # Stock: taken once per order line, and what the cached API shows is what
    # the database holds (no invalidation lost in the outages outlives them).
    for product in products:
        product.refresh_from_db()
        sold = sum(
            item.quantity
            for order in orders
            for item in order.items.all()
            if item.product_id == product.pk
        )
        assert product.stock == 500 - sold
        shown = server.call("GET", f"/v1/products/prod_{product.pk.hex}")
        assert shown.body["data"]["stock"] == product.stock
    report = stock_audit_report()
    record.drift = len(report["drift"])
    assert report["drift"] == []
    assert report["ordersChecked"] == len(all_placed)


@pytest.fixture
def persistent_redis(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer.on_free_port(data_dir=tmp_path / "redis-data")
    try:
        yield server
    finally:
        server.stop()


def test_stock_changed_while_redis_was_down_is_shown_once_it_returns(
    api_server, persistent_redis, stocked_product
):
    """A Redis that comes back with its data (persistence, a promoted replica).

    The same happens after a freeze, and right after any outage in a process
    whose breaker still refuses Redis (REDIS_FAILURE_BACKOFF) while another
    has already cached the product again: every dropped invalidation leaves
    an entry older than the database.
    """
    customer = UserFactory(email="drill.persistent@example.com")
    auth = {"Authorization": f"Bearer {token_pair_issue(user=customer).access}"}
    product = stocked_product(stock=50)
    server = api_server(workers=1, redis_url=persistent_redis.url)
    detail = f"/v1/products/prod_{product.pk.hex}"
    server.call("GET", detail)
    assert server.call("GET", detail).headers["x-cache"] == "HIT"

    persistent_redis.stop()
    order = server.call(
        "POST",
        "/v1/orders",
        body=order_body((product, 5)),
        headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status == 201, order
    persistent_redis.start()
    wait_for(lambda: server.call("GET", "/ready").status == 200, what="/ready to recover")

    product.refresh_from_db()
    assert product.stock == 45
    assert server.call("GET", detail).body["data"]["stock"] == 45
