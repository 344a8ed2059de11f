"""PostgreSQL goes away and comes back: /v1 answers 503 in the envelope meanwhile.

The test database is reached through a small TCP relay that the test owns;
stopping the relay cuts every connection (pooled ones included) and refuses
new ones, exactly what a database restart or a network partition looks like
to the app. The shared PostgreSQL server itself is never touched.
"""

import contextlib
import copy
import socket
import threading
from collections.abc import Iterator

import pytest
from django.db import close_old_connections, connections
from django.test import Client
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


class TcpRelay:
    """Forwards 127.0.0.1:<port> to the real database until stopped."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._running = threading.Event()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._running.set()
        self._spawn(self._accept_loop)

    def stop(self) -> None:
        self._running.clear()
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            _close(sock)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while self._running.is_set():
            try:
                client, _ = self._listener.accept()  # type: ignore[union-attr]
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            self._spawn(self._pump, client, upstream)
            self._spawn(self._pump, upstream, client)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@pytest.fixture
def database(settings) -> Iterator[TcpRelay]:
    """The default database, reached through a relay this test can cut."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("the outage test needs PostgreSQL")
    original = copy.deepcopy(connection.settings_dict)
    relay = TcpRelay((original["HOST"] or "127.0.0.1", int(original["PORT"] or 5432)))
    relay.start()
    _reconnect(connection, {**original, "HOST": "127.0.0.1", "PORT": str(relay.port)})
    options = connection.settings_dict["OPTIONS"]
    if isinstance(options.get("pool"), dict):
        # Wait 1 s for a connection instead of DB_POOL_TIMEOUT: the test is bounded.
        options["pool"] = {**options["pool"], "timeout": 1.0}
    try:
        yield relay
    finally:
        relay.stop()
        _reconnect(connection, original)


def _reconnect(connection, settings_dict: dict) -> None:
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    connection.settings_dict.clear()
    connection.settings_dict.update(copy.deepcopy(settings_dict))


def assert_service_unavailable(response) -> None:
    assert response.status_code == 503
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "service_unavailable"
    assert response["Retry-After"].isdigit()
    assert "Traceback" not in response.content.decode()
    assert "psycopg" not in response.content.decode()


def answer_once_back(request, attempts: int = 30):
    """The first non-503 answer after the database returns (bounded).

    Between two requests a server runs ``close_old_connections`` (request
    started / finished), which drops a connection that broke; Django's test
    client switches that off, so it is done here.
    """
    for _ in range(attempts):
        close_old_connections()
        response = request()
        if response.status_code != 503:
            return response
    return response


def test_v1_answers_503_in_the_envelope_while_postgresql_is_down(customer_client, database):
    assert customer_client.get("/v1/users/me").status_code == 200
    anonymous = APIClient()
    database.stop()

    # The first request meets the pooled connection the outage broke; the
    # later ones (after the request cycle dropped it) find no database at all.
    orders = customer_client.get("/v1/orders")
    close_old_connections()
    products = anonymous.get("/v1/products", {"search": "outage"})
    close_old_connections()
    login = anonymous.post(
        "/v1/auth/login",
        {"email": "customer@example.com", "password": DEFAULT_PASSWORD},
        format="json",
    )

    for response in (orders, products, login):
        assert_service_unavailable(response)
        assert response["X-RateLimit-Limit"].isdigit()
    # The profile needs no query: it answers from the caller's auth record.
    close_old_connections()
    me = customer_client.get("/v1/users/me")
    assert me.status_code == 200
    assert me.json()["data"]["email"] == "customer@example.com"


def test_probes_while_postgresql_is_down(database):
    client = Client()
    database.stop()

    health = client.get("/health")
    ready = client.get("/ready")

    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "unavailable"
    assert ready.json()["checks"]["redis"] == "ok"


def test_the_api_recovers_by_itself_when_postgresql_returns(customer_client, database):
    assert customer_client.get("/v1/users/me").status_code == 200
    database.stop()
    assert_service_unavailable(customer_client.get("/v1/orders"))

    database.start()
    me = answer_once_back(lambda: customer_client.get("/v1/users/me"))
    ready = answer_once_back(lambda: Client().get("/ready"))

    assert me.status_code == 200
    assert me.json()["data"]["email"] == "customer@example.com"
    assert ready.status_code == 200


def test_no_connection_to_be_had_answers_503_too(customer_client, database):
    database.stop()
    # A process that starts (or whose pool was emptied) during the outage:
    # the pool cannot open a connection and gives up after its timeout.
    connection = connections["default"]
    connection.close()
    connection.close_pool()

    response = customer_client.get("/v1/orders")

    assert_service_unavailable(response)
