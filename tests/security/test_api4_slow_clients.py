"""API4 unrestricted resource consumption: slow clients against a whole pod.

gunicorn's sync workers serve one connection each, from its first byte to
its last. The review held every worker with as many sockets sending their
headers one line every 2 s (0 of 5 probes answered in 20 s), and with a body
sent one byte every 2 s. The image's web role now puts nginx in front
(docker/nginx.conf): it reads each request whole before gunicorn sees it.

These run the real web role (``docker/entrypoint.sh web``: nginx and
gunicorn, production settings, the test database and a Redis of the test's
own), open the slow connections, four times as many as there are workers,
and show probes and an API read answered meanwhile.
"""

import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from catalog.services import product_create
from ecommerce.api.ids import PREFIXES, public_id
from tests.processes import ApiServer, Reply, wait_for

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

WORKERS = 3
SLOW_SOCKETS = 4 * WORKERS
TRICKLE_SECONDS = 2.0
# Bounds a hang, measures nothing: an answered probe takes milliseconds.
PROBE_TIMEOUT = 10.0


class SlowClient:
    """One attacker socket, trickling a request that never ends.

    ``chunks`` yields what to send, one piece every TRICKLE_SECONDS. When the
    server closes the connection (nginx gives a request's headers 10 s in
    all) the client connects again and starts over, as an attacker would.
    """

    def __init__(self, port: int, opening: bytes, trickle: bytes) -> None:
        self.port = port
        self.opening = opening
        self.trickle = trickle
        self.sent_pieces = 0
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=TRICKLE_SECONDS * 3)
        assert not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                    self.connections += 1
                    sock.sendall(self.opening)
                    while not self._stop.wait(TRICKLE_SECONDS):
                        sock.sendall(self.trickle)
                        self.sent_pieces += 1
            except OSError:
                self._stop.wait(0.1)


@pytest.fixture
def product_path(transactional_db) -> str:
    product = product_create(
        name="Slow client probe", price=Decimal("9.90"), category="probe", stock=5
    )
    return f"/v1/products/{public_id(PREFIXES['product'], product.id)}"


def slow_headers(port: int) -> SlowClient:
    opening = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    return SlowClient(port, opening, b"X-Slow: still-coming\r\n")


def slow_body(port: int) -> SlowClient:
    opening = (
        b"POST /v1/auth/refresh HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
    )
    return SlowClient(port, opening, b" ")


def probes_while(server: ApiServer, attackers: list[SlowClient], product_path: str) -> list[Reply]:
    """Five /health probes and one API read, in parallel, while the attack runs."""
    for attacker in attackers:
        attacker.start()
    try:
        # Every socket connected and trickling: each worker would hold one by now.
        wait_for(
            lambda: all(attacker.sent_pieces >= 1 for attacker in attackers),
            timeout=TRICKLE_SECONDS * 5,
            what="every slow client to be trickling",
        )
        calls: list[Callable[[], Reply]] = [
            lambda: server.call("GET", "/health", timeout=PROBE_TIMEOUT) for _ in range(5)
        ]
        calls.append(lambda: server.call("GET", product_path, timeout=PROBE_TIMEOUT))
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            replies = [future.result() for future in [pool.submit(call) for call in calls]]
        # The attack was still on when the last answer came.
        pieces = [attacker.sent_pieces for attacker in attackers]
        time.sleep(TRICKLE_SECONDS * 1.5)
        assert all(a.sent_pieces > p for a, p in zip(attackers, pieces, strict=True))
    finally:
        for attacker in attackers:
            attacker.stop()
    return replies


@pytest.mark.parametrize("attack", [slow_headers, slow_body], ids=["slow-headers", "slow-body"])
def test_slow_clients_on_every_worker_leave_probes_and_reads_answered(
    web_role, product_path, attack
):
    server = web_role(workers=WORKERS)
    attackers = [attack(server.port) for _ in range(SLOW_SOCKETS)]

    replies = probes_while(server, attackers, product_path)

    assert [reply.status for reply in replies] == [200] * 6, [
        (reply.status, reply.error) for reply in replies
    ]
    assert all(reply.body == {"status": "ok"} for reply in replies[:5])
    assert replies[5].body["data"]["name"] == "Slow client probe"
    # And the server is still whole: every worker alive, answering at once.
    assert len(server.worker_pids()) == WORKERS
    assert server.call("GET", "/ready", timeout=PROBE_TIMEOUT).status == 200
