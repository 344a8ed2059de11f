"""Drill: gunicorn workers restarted and killed while clients browse and order.

gunicorn (docker/gunicorn.conf.py, sync workers: one request at a time each)
serves steady parallel load. Graceful restarts (the master's SIGHUP, which
replaces every worker by SIGTERM, and workers recycled after a few dozen
requests by ``max_requests``) must fail no request at all. A worker killed
outright (SIGKILL) may fail only the request it held: the drill holds one
order inside a known worker (an ``OrderGate`` at its payment row, the worker
found from its database connection), kills that worker, and counts.
"""

import signal
import threading
import uuid
from collections.abc import Callable

import pytest

from accounts.tests.factories import UserFactory
from accounts.tokens import token_pair_issue
from orders.models import IdempotencyRecord, Order, OrderItem
from orders.tests.factories import order_body
from orders.tests.support import stock_audit_report
from payments.models import Payment
from tests.drills.support import Load, figures, pid_owning_connection, wait_for

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

# Two sync workers: while one restarts (or is held), the other serves.
WORKERS = 2
ORDERS_PER_PHASE = 5
RECYCLES = 2
HOLD_TOKEN = "tok_drill_hold"  # the simulator charges an unknown token like a card


@pytest.fixture
def shop(stocked_product):
    customer = UserFactory(email="drill.gunicorn@example.com")
    auth = {"Authorization": f"Bearer {token_pair_issue(user=customer).access}"}
    return auth, stocked_product(stock=1000), stocked_product(stock=1000)


def browse_and_order(auth: dict, product) -> Callable[[Load, int], None]:
    def scenario(load: Load, index: int) -> None:
        load.call("catalog", "GET", "/v1/products?limit=5")
        load.call("catalog", "GET", f"/v1/products/prod_{product.pk.hex}")
        if len(load.select(kind="order", phase=load.phase)) < ORDERS_PER_PHASE:
            load.call(
                "order",
                "POST",
                "/v1/orders",
                body=order_body((product, 1)),
                headers={**auth, "Idempotency-Key": f"load-{uuid.uuid4()}"},
            )
        load.call("orders", "GET", "/v1/orders?limit=5", headers=auth)
        load.pause()

    return scenario


def assert_orders_whole_and_no_drift() -> int:
    """Every order has its lines and its payment; the audit finds no drift."""
    assert not Order.objects.filter(items__isnull=True).exists()
    assert Payment.objects.count() == Order.objects.count()
    report = stock_audit_report()
    assert report["drift"] == []
    return len(report["drift"])


def test_graceful_worker_restarts_under_load_fail_no_request(api_server, shop):
    auth, product, _ = shop
    # Workers are also recycled every few dozen requests, all through the drill.
    server = api_server(
        workers=WORKERS, GUNICORN_MAX_REQUESTS="50", GUNICORN_MAX_REQUESTS_JITTER="10"
    )
    first_workers = server.worker_pids()

    with (
        figures("gunicorn workers restarted gracefully under load") as record,
        Load(server, browse_and_order(auth, product), threads=3) as load,
    ):
        load.wait_for(ORDERS_PER_PHASE, kind="order", phase="before")

        # SIGHUP: the master starts new workers and sends each old one SIGTERM,
        # which finishes the request in hand and exits.
        load.phase = "sighup"
        before_hup = server.worker_pids()
        server.process.send_signal(signal.SIGHUP)
        record.faults += len(before_hup)
        wait_for(
            lambda: (
                not (server.worker_pids() & before_hup) and len(server.worker_pids()) == WORKERS
            ),
            what="SIGHUP to replace every worker",
        )
        load.wait_for(ORDERS_PER_PHASE, kind="order", phase="sighup")

        load.phase = "max_requests"
        wait_for(
            lambda: (
                server.log_text().count("Autorestarting worker after current request") >= RECYCLES
            ),
            what="workers recycled by max_requests",
        )
        load.wait_for(ORDERS_PER_PHASE, kind="order", phase="max_requests")

    recycled = server.log_text().count("Autorestarting worker after current request")
    record.faults += recycled
    record.notes.append(f"{recycled} recycled by max_requests")
    served_by = {entry["pid"] for entry in server.access_log()}
    assert len(served_by - first_workers) >= WORKERS
    failures = [s for s in load.samples if not s.ok]
    assert failures == [], failures[:5]
    record.orders_during_faults = len([s for s in load.select(kind="order") if s.phase != "before"])
    assert Order.objects.count() == len(load.select(kind="order"))
    record.drift = assert_orders_whole_and_no_drift()


def test_killed_worker_fails_only_the_request_it_held(api_server, order_gate, shop):
    auth, product, held_product = shop
    # The dead worker's key is taken over after 2 s instead of 60.
    server = api_server(workers=WORKERS, IDEMPOTENCY_LOCK_TIMEOUT="2")
    held_key = f"held-{uuid.uuid4()}"
    held_body = order_body((held_product, 2), token=HOLD_TOKEN)
    held_reply = {}

    def place_held() -> None:
        held_reply["reply"] = server.call(
            "POST", "/v1/orders", body=held_body, headers={**auth, "Idempotency-Key": held_key}
        )

    with (
        figures("gunicorn worker killed under load") as record,
        Load(server, browse_and_order(auth, product), threads=3) as load,
    ):
        load.wait_for(ORDERS_PER_PHASE, kind="order", phase="before")
        order_gate.close(
            table="payments", event="INSERT", when=f"NEW.payment_token = '{HOLD_TOKEN}'"
        )
        holder = threading.Thread(target=place_held)
        holder.start()
        [(backend, client_port)] = wait_for(order_gate.held, what="the order held at the gate")
        # The worker holding it: the process owning the client end of that connection.
        victim = pid_owning_connection(client_port, order_gate.server_port, server.worker_pids())
        assert victim is not None

        load.phase = "kill"
        server.signal_worker(victim, signal.SIGKILL)
        record.faults += 1
        holder.join(timeout=60)
        wait_for(
            lambda: victim not in server.worker_pids() and len(server.worker_pids()) == WORKERS,
            what="the master to replace the killed worker",
        )
        load.wait_for(ORDERS_PER_PHASE, kind="order", phase="kill")
        # Its backend learns that its client is gone once it may go on, and
        # rolls the transaction back.
        order_gate.release()
        wait_for(
            lambda: not order_gate.backend_exists(backend),
            what="the dead worker's transaction to end",
        )
        load.phase = "after"
        load.wait_for(ORDERS_PER_PHASE, kind="order", phase="after")

    # Exactly one failure: the request the killed worker held, cut without an answer.
    held = held_reply["reply"]
    assert held.status is None, held
    assert any(name in held.error for name in ("RemoteDisconnected", "Reset", "Incomplete")), held
    failures = [s for s in load.samples if not s.ok]
    assert failures == [], failures[:5]
    record.notes.append("1 request failed: the one the killed worker held")
    record.orders_during_faults = 1 + len(load.select(kind="order", phase="kill"))

    # Nothing of the held order was written; its key waits for the lock to expire,
    # then the client's retry places it once.
    assert not OrderItem.objects.filter(product=held_product).exists()
    assert IdempotencyRecord.objects.get(key=held_key).order_id is None

    def retry():
        reply = server.call(
            "POST", "/v1/orders", body=held_body, headers={**auth, "Idempotency-Key": held_key}
        )
        assert reply.status in (201, 409), reply
        assert reply.status == 201 or reply.error_code == "idempotency_request_in_progress"
        return reply.status == 201 and reply

    placed = wait_for(retry, interval=0.25, what="the retry to take over the dead worker's key")
    assert placed.headers.get("idempotent-replayed") is None
    assert OrderItem.objects.filter(product=held_product).count() == 1
    assert Order.objects.count() == len(load.select(kind="order")) + 1
    record.drift = assert_orders_whole_and_no_drift()
