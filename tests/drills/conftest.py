"""Fixtures of the failure drills: live servers on the test database, an order gate.

Every drill is a transactional test (``django_db(transaction=True)``): rows the
test creates are committed, so the gunicorn and rqworker processes it starts
see them, and what those processes commit is what the test asserts on.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from catalog.models import Product
from catalog.tests.factories import product_make
from tests.drills.support import service_env
from tests.processes import ApiServer, RedisServer, RqWorker


@pytest.fixture
def api_server(own_redis: RedisServer, transactional_db, tmp_path: Path) -> Iterator[Callable]:
    """``api_server(workers=3, redis_url=None, **env)``: gunicorn on the test database
    and ``own_redis`` (or the Redis at ``redis_url``).

    Stopped before the test's database flush, so no worker holds a connection then.
    """
    servers: list[ApiServer] = []

    def start(*, workers: int = 3, redis_url: str | None = None, **env: str) -> ApiServer:
        log_dir = tmp_path / f"server-{len(servers)}"
        log_dir.mkdir()
        server = ApiServer(
            log_dir=log_dir,
            env=service_env(redis_url=redis_url or own_redis.url, **env),
            workers=workers,
        )
        servers.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def rq_worker(own_redis: RedisServer, transactional_db, tmp_path: Path) -> Iterator[Callable]:
    """``rq_worker(burst=False, **env)``: a payments worker on the test database and ``own_redis``.

    Whatever is still running at the end is killed with its process group.
    """
    workers: list[RqWorker] = []

    def start(*, burst: bool = False, **env: str) -> RqWorker:
        worker = RqWorker(
            env=service_env(redis_url=own_redis.url, **env),
            log_path=tmp_path / f"rqworker-{len(workers)}.log",
            burst=burst,
        )
        workers.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.kill()


@pytest.fixture
def stocked_product(transactional_db) -> Callable[..., Product]:
    """``stocked_product(stock=..., price=...)``: the one product factory
    (``catalog.tests.factories.product_make``), its rows committed for the servers."""
    return product_make


class OrderGate:
    """Holds chosen order transactions at one statement, for a drill to cut them there.

    A ``BEFORE`` trigger on ``table`` makes each row matching ``when`` wait for
    an advisory lock the gate holds, so the transaction sits mid-way (its
    earlier writes done, its row locks held) and shows in pg_stat_activity as
    waiting on an advisory lock. The gate's own connection is separate from
    the test's, and only backends of this test database are ever touched.
    """

    LOCK_KEY = 808_808_808
    TRIGGER = "drill_order_gate"

    def __init__(self) -> None:
        config = connection.settings_dict
        self.database = config["NAME"]
        self.conn = psycopg.connect(
            host=config["HOST"] or "127.0.0.1",
            port=config["PORT"] or "5432",
            user=config["USER"],
            password=config["PASSWORD"] or None,
            dbname=self.database,
            autocommit=True,
        )
        self.conn.execute(
            f"""
            CREATE OR REPLACE FUNCTION {self.TRIGGER}() RETURNS trigger AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock_shared({self.LOCK_KEY});
                RETURN NEW;
            END
            $$ LANGUAGE plpgsql
            """
        )
        self._tables: set[str] = set()

    def close(self, *, table: str, event: str, when: str) -> None:
        """Hold every ``event`` (INSERT or UPDATE) on ``table`` matching ``when``."""
        self.release()
        self.conn.execute(f"SELECT pg_advisory_lock({self.LOCK_KEY})")
        self.conn.execute(
            f"CREATE TRIGGER {self.TRIGGER} BEFORE {event} ON {table} FOR EACH ROW "
            f"WHEN ({when}) EXECUTE FUNCTION {self.TRIGGER}()"
        )
        self._tables.add(table)

    def release(self) -> None:
        """Let held transactions go on, and drop the trigger."""
        self.conn.execute("SELECT pg_advisory_unlock_all()")
        for table in self._tables:
            self.conn.execute(f"DROP TRIGGER IF EXISTS {self.TRIGGER} ON {table}")
        self._tables.clear()

    def held(self) -> list[tuple[int, int]]:
        """``(backend pid, client port)`` of each transaction waiting at the gate."""
        return self.conn.execute(
            """
            SELECT pid, client_port FROM pg_stat_activity
            WHERE datname = %s AND pid <> pg_backend_pid()
              AND wait_event_type = 'Lock' AND wait_event = 'advisory'
            ORDER BY xact_start
            """,
            [self.database],
        ).fetchall()

    def backend_exists(self, pid: int) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND datname = %s", [pid, self.database]
        ).fetchone()
        return row is not None

    @property
    def server_port(self) -> int:
        return int(self.conn.info.port)

    def cut(self, pid: int) -> bool:
        """Terminate one backend of this test database (never any other database's)."""
        row = self.conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE pid = %s AND datname = %s",
            [pid, self.database],
        ).fetchone()
        return bool(row and row[0])

    def teardown(self) -> None:
        try:
            self.release()
            self.conn.execute(f"DROP FUNCTION IF EXISTS {self.TRIGGER}() CASCADE")
        finally:
            self.conn.close()


@pytest.fixture
def order_gate(transactional_db) -> Iterator[OrderGate]:
    gate = OrderGate()
    try:
        yield gate
    finally:
        gate.teardown()
