"""Drill: PostgreSQL connections cut while orders are being placed.

Orders are placed in parallel through a live gunicorn while background clients
keep browsing and ordering other products. A trigger (``OrderGate``) holds the
marked orders at one statement of their transaction; the drill then kills
their backends with ``pg_terminate_backend``, as a failover, a network cut or
an operator would. Each gate is a different point: stock just decremented,
order row, its lines, its payment, the idempotency key bound (commit next),
and after the commit while the answer is being stored.

What must hold: the client gets a clean error in the envelope (never a trace,
never a half order), a retry with the same ``Idempotency-Key`` gets its one
order, no order lacks its lines or payment, no stock is taken without an
order, the background clients never notice, and the audit finds no drift.
"""

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from django.db.models import Count

from accounts.tests.factories import UserFactory
from accounts.tokens import token_pair_issue
from catalog.models import Product
from orders.models import IdempotencyRecord, Order, OrderItem
from orders.state import OrderStatus
from orders.tests.factories import ADDRESS, jobs_drain, order_body
from orders.tests.support import stock_audit_report
from payments.models import Payment, SimulatedCharge
from tests.drills.support import Load, Reply, figures, wait_for

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

GATED_STREET = "1 Drill Gate"
# Any token the simulator does not know is charged like a card.
GATED_TOKEN = "tok_drill_gate"
ORDERS_PER_ROUND = 3
CUTS_PER_ROUND = 2
QUANTITY = 2
BACKGROUND_ORDERS_PER_ROUND = 2


@dataclass(frozen=True)
class Gate:
    name: str
    table: str
    event: str
    when: str
    # Whether the order has committed when its connection is cut there.
    committed: bool = False


GATES = [
    Gate("stock decremented", "stock_movements", "INSERT", "NEW.product_id = '{product}'::uuid"),
    Gate("order row", "orders", "INSERT", f"NEW.shipping_address->>'street' = '{GATED_STREET}'"),
    Gate("order lines", "order_items", "INSERT", "NEW.product_id = '{product}'::uuid"),
    Gate("payment row", "payments", "INSERT", f"NEW.payment_token = '{GATED_TOKEN}'"),
    Gate(
        "key bound, commit next",
        "idempotency_records",
        "UPDATE",
        "NEW.key LIKE 'gate-%' AND NEW.order_id IS NOT NULL AND OLD.order_id IS NULL",
    ),
    Gate(
        "committed, answer being stored",
        "idempotency_records",
        "UPDATE",
        "NEW.key LIKE 'gate-%' AND NEW.response_status IS NOT NULL",
        committed=True,
    ),
]


def assert_clean_error(reply: Reply) -> None:
    """A refusal a client can act on: 503 in the envelope, retry advice, no internals."""
    assert reply.status == 503, reply
    assert reply.body["success"] is False
    assert reply.body["error"]["code"] == "service_unavailable"
    assert reply.headers["retry-after"].isdigit()
    text = str(reply.body)
    assert "Traceback" not in text
    assert "psycopg" not in text


def test_connections_cut_mid_order_leave_no_half_order(
    api_server, order_gate, stocked_product, run_jobs
):
    customer = UserFactory(email="drill.pg@example.com")
    auth = {"Authorization": f"Bearer {token_pair_issue(user=customer).access}"}
    gated = stocked_product(stock=1000)
    background = stocked_product(stock=1000)
    # One worker more than the orders a round holds, so browsing never waits on them.
    server = api_server(workers=ORDERS_PER_ROUND + 1)

    def place(key: str) -> Reply:
        body = order_body((gated, QUANTITY), token=GATED_TOKEN)
        body["shippingAddress"] = {**ADDRESS, "street": GATED_STREET}
        return server.call(
            "POST", "/v1/orders", body=body, headers={**auth, "Idempotency-Key": key}
        )

    def scenario(load: Load, index: int) -> None:
        load.call("catalog", "GET", f"/v1/products/prod_{background.pk.hex}")
        if len(load.select(kind="order", phase=load.phase)) < BACKGROUND_ORDERS_PER_ROUND:
            load.call(
                "order",
                "POST",
                "/v1/orders",
                body=order_body((background, 1)),
                headers={**auth, "Idempotency-Key": f"load-{uuid.uuid4()}"},
            )
        load.pause()

    cut_keys: dict[str, Gate] = {}
    with figures("PostgreSQL connections cut mid-order") as record:
        with (
            Load(server, scenario, threads=2) as load,
            ThreadPoolExecutor(ORDERS_PER_ROUND) as pool,
        ):
            for gate in GATES:
                load.phase = gate.name
                keys = [f"gate-{uuid.uuid4()}" for _ in range(ORDERS_PER_ROUND)]
                order_gate.close(
                    table=gate.table, event=gate.event, when=gate.when.format(product=gated.pk)
                )
                pending = {key: pool.submit(place, key) for key in keys}
                cut: set[int] = set()
                while len(cut) < CUTS_PER_ROUND:
                    held = wait_for(
                        lambda cut=cut: [row for row in order_gate.held() if row[0] not in cut],
                        what=f"an order held at the gate '{gate.name}'",
                    )
                    pid = held[0][0]
                    assert order_gate.cut(pid)
                    cut.add(pid)
                # Other customers' orders go through while these are held.
                load.wait_for(BACKGROUND_ORDERS_PER_ROUND, kind="order", phase=gate.name)
                order_gate.release()
                replies = {key: future.result(timeout=60) for key, future in pending.items()}
                record.faults += len(cut)
                record.orders_during_faults += len(replies)

                if gate.committed:
                    # The order stands and the client is told so; only its
                    # stored answer is missing.
                    assert {r.status for r in replies.values()} == {201}, replies
                    unstored = IdempotencyRecord.objects.filter(
                        key__in=keys, state=IdempotencyRecord.State.IN_PROGRESS
                    )
                    assert unstored.filter(order__isnull=False).count() == CUTS_PER_ROUND
                    cut_keys.update(dict.fromkeys(unstored.values_list("key", flat=True), gate))
                    continue
                failed = [key for key, reply in replies.items() if reply.status != 201]
                assert len(failed) == CUTS_PER_ROUND, (gate.name, replies)
                for key in failed:
                    assert_clean_error(replies[key])
                    # Rolled back whole, and the key released for the retry.
                    assert not IdempotencyRecord.objects.filter(key=key).exists()
                    cut_keys[key] = gate
        record.orders_during_faults += len(
            [s for s in load.select(kind="order") if s.phase != "before"]
        )
        background_failures = [s for s in load.samples if not s.ok]
        assert background_failures == [], background_failures[:5]

        # The client retries with its key: it gets its one order, never two.
        for key, gate in cut_keys.items():
            retry = place(key)
            assert retry.status == 201, (gate.name, retry)
            replayed = retry.headers.get("idempotent-replayed") == "true"
            assert replayed == gate.committed, gate.name
        for key in cut_keys:
            assert place(key).headers.get("idempotent-replayed") == "true"

        # No half order: every order has its lines and its payment; every key one order.
        assert not Order.objects.annotate(lines=Count("items")).filter(lines=0).exists()
        assert Payment.objects.count() == Order.objects.count()
        # No key is left blocking its retries: each is bound to its one order.
        assert not IdempotencyRecord.objects.filter(order__isnull=True).exists()
        gated_keys = IdempotencyRecord.objects.filter(key__startswith="gate-")
        assert gated_keys.count() == len(GATES) * ORDERS_PER_ROUND
        assert gated_keys.filter(order__isnull=True).count() == 0
        assert gated_keys.values("order").distinct().count() == gated_keys.count()

        # No stock without an order: the gated product lost exactly what its orders hold.
        gated.refresh_from_db()
        sold = OrderItem.objects.filter(product=gated).values_list("quantity", flat=True)
        assert len(sold) == len(GATES) * ORDERS_PER_ROUND
        assert gated.stock == 1000 - sum(sold)
        assert Product.objects.get(pk=background.pk).stock == 1000 - sum(
            OrderItem.objects.filter(product=background).values_list("quantity", flat=True)
        )

        # Every order goes on to be charged once.
        jobs_drain(run_jobs)
        assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.PAID}
        assert SimulatedCharge.objects.filter(kind="charge").count() == Order.objects.count()

        report = stock_audit_report()
        record.drift = len(report["drift"])
        assert report["drift"] == []
