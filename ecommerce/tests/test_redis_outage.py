"""A real Redis goes away and comes back: the API keeps answering from PostgreSQL.

Each test points the cache, sessions, throttling and RQ at a redis-server
process it starts itself on a free port (never the shared one), stops or kills
that process by its pid, and starts it again on the same port.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD
from catalog.tests.factories import ProductFactory
from tests.redis_server import redis_commands_sent


@pytest.fixture(autouse=True)
def _contract_default_limits(settings):
    """The contract's defaults, whatever the environment running the tests sets."""
    settings.RATE_LIMIT = "1000/hour"
    settings.LOGIN_RATE_LIMIT = "10/minute"
    settings.TRUSTED_PROXY_COUNT = 0


@pytest.fixture
def products(db):
    return [ProductFactory() for _ in range(3)]


def redis_warnings(caplog) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING and record.name.startswith("ecommerce")
    ]


# --- the cache ----------------------------------------------------------------------


def test_cache_reads_miss_and_writes_are_dropped_with_a_warning(own_redis, caplog):
    cache.set("outage-probe", "cached")
    own_redis.stop()
    caplog.set_level(logging.WARNING)

    value = cache.get("outage-probe", "miss")
    cache.set("outage-probe", "dropped")
    cache.delete("outage-probe")

    assert value == "miss"
    records = [
        record
        for record in caplog.records
        if record.name == "ecommerce.redis" and "cache call skipped" in record.getMessage()
    ]
    assert len(records) == 3
    assert all(record.levelno == logging.WARNING for record in records)
    assert all(record.exc_info is None for record in records)


def test_the_cache_works_again_when_redis_returns(own_redis):
    own_redis.stop()
    cache.set("outage-probe", "dropped")
    own_redis.start()

    cache.set("outage-probe", "cached")

    assert cache.get("outage-probe") == "cached"


def test_redis_is_not_dialled_again_during_the_backoff(own_redis, settings):
    settings.REDIS_FAILURE_BACKOFF = 3600
    own_redis.stop()
    cache.get("outage-probe")  # fails and opens the breaker
    own_redis.start()

    cache.set("outage-probe", "dropped")
    skipped = cache.get("outage-probe")
    never_written = own_redis.client().exists("outage-probe")
    settings.REDIS_FAILURE_BACKOFF = 0
    cache.set("outage-probe", "cached")

    assert skipped is None
    assert not never_written
    assert cache.get("outage-probe") == "cached"


def test_a_restart_between_two_calls_costs_neither_call(own_redis, settings):
    # The process holds pooled connections to the Redis that is about to go;
    # it makes no call until the new one is up (a quick restart, a failover).
    settings.REDIS_FAILURE_BACKOFF = 3600
    cache.set("restart-probe", "before")
    connection = get_redis_connection("default")
    connection.execute_command("CLIENT", "SETNAME", "pooled")  # a second command, same socket
    own_redis.stop()
    own_redis.start()

    cache.set("restart-probe", "after")

    # Had a dead pooled connection opened the breaker, this would be a miss for an hour.
    assert cache.get("restart-probe") == "after"
    assert own_redis.client().get(cache.make_key("restart-probe")) is not None
    assert connection.connection_pool._failed_at is None


def test_a_frozen_redis_costs_one_timeout_then_calls_fail_fast(own_redis, settings, monkeypatch):
    settings.REDIS_FAILURE_BACKOFF = 3600
    cache.set("outage-probe", "cached")  # a pooled connection is now open

    with own_redis.frozen(), redis_commands_sent(monkeypatch) as sent:
        first = cache.get("outage-probe", "miss")
        after_first = len(sent)
        rest = [cache.get("outage-probe", "miss") for _ in range(10)]

    assert first == "miss"
    # The first call waited on the frozen server and timed out; that tripped
    # the breaker, so the next ten never touched a socket.
    assert after_first == 1
    assert rest == ["miss"] * 10
    assert len(sent) == 1


def test_the_cache_works_again_after_a_freeze(own_redis, settings):
    cache.set("outage-probe", "cached")
    with own_redis.frozen():
        cache.get("outage-probe")
    settings.REDIS_FAILURE_BACKOFF = 0

    value = cache.get("outage-probe")

    assert value == "cached"


def test_the_api_stays_fast_while_redis_is_frozen(
    own_redis, products, customer_client, settings, monkeypatch
):
    settings.REDIS_FAILURE_BACKOFF = 3600
    client = APIClient()
    client.get("/v1/products")  # warm: pooled connections open

    with own_redis.frozen(), redis_commands_sent(monkeypatch) as sent:
        first = client.get("/v1/products")
        waited_on = len(sent)
        later = [client.get("/v1/products", {"page": 1 + i % 2}) for i in range(5)] + [
            customer_client.get("/v1/users/me") for _ in range(5)
        ]

    assert first.status_code == 200
    assert [response.status_code for response in later] == [200] * 10
    # Only the first request's first Redis call waited for the socket timeout;
    # the ten after it were answered from PostgreSQL without a Redis call.
    assert waited_on == 1
    assert len(sent) == 1


# --- the API --------------------------------------------------------------------------


def test_the_catalog_answers_from_postgresql_while_redis_is_down(own_redis, products, caplog):
    client = APIClient()
    own_redis.stop()
    caplog.set_level(logging.WARNING)

    listing = client.get("/v1/products")
    detail = client.get(f"/v1/products/{products[0].slug}")

    assert listing.status_code == 200
    assert len(listing.json()["data"]) == 3
    assert detail.status_code == 200
    assert detail.json()["data"]["slug"] == products[0].slug
    assert redis_warnings(caplog)


def test_rate_limiting_fails_open_with_full_quota_headers(own_redis, customer_client):
    own_redis.stop()

    responses = [customer_client.get("/v1/users/me") for _ in range(3)]

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert responses[-1]["X-RateLimit-Limit"] == "1000"
    assert responses[-1]["X-RateLimit-Remaining"] == "1000"
    assert responses[-1]["X-RateLimit-Reset"] == "3600"


def test_an_over_the_limit_client_is_let_through_while_redis_is_down(
    own_redis, customer_client, settings
):
    settings.RATE_LIMIT = "1/hour"
    customer_client.get("/v1/users/me")
    assert customer_client.get("/v1/users/me").status_code == 429
    own_redis.stop()

    assert customer_client.get("/v1/users/me").status_code == 200


def test_login_and_register_answer_while_redis_is_down(own_redis, customer):
    client = APIClient()
    own_redis.stop()

    login = client.post(
        "/v1/auth/login", {"email": customer.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    register = client.post(
        "/v1/auth/register",
        {"email": "new@example.com", "password": "a-long-passphrase-42", "name": "New"},
        format="json",
    )

    assert login.status_code == 200
    assert register.status_code == 201


def test_throttling_counts_again_when_redis_returns(own_redis, customer_client):
    own_redis.stop()
    customer_client.get("/v1/users/me")
    own_redis.start()

    first = customer_client.get("/v1/users/me")
    second = customer_client.get("/v1/users/me")

    assert first["X-RateLimit-Remaining"] == "999"
    assert second["X-RateLimit-Remaining"] == "998"
    assert own_redis.client().exists("rate_limit:api:" + first.json()["data"]["id"])


# --- readiness ----------------------------------------------------------------------------


def test_ready_answers_503_naming_redis_and_recovers(own_redis, db):
    client = Client()
    own_redis.stop()

    down = client.get("/ready")
    own_redis.start()
    up = client.get("/ready")

    assert down.status_code == 503
    assert down.json()["checks"] == {"database": "ok", "redis": "unavailable"}
    assert client.get("/health").status_code == 200
    assert up.status_code == 200
    assert up.json()["checks"] == {"database": "ok", "redis": "ok"}


# --- admin sessions ----------------------------------------------------------------------


@pytest.mark.usefixtures("plain_static_storage")
def test_the_admin_logs_in_again_after_a_redis_outage(own_redis, admin_user, admin_login):
    client = Client()
    admin_login(admin_user.email, client)
    assert client.get("/admin/").status_code == 200
    own_redis.stop()

    during = client.get("/admin/")
    login_page = client.get("/admin/login/")
    login_during = admin_login(admin_user.email, client)
    own_redis.start()
    after = client.get("/admin/")
    login_after = admin_login(admin_user.email, client)

    # Down: the session cannot be read, so the admin is sent to the login page,
    # which answers; a login then goes through but cannot be remembered.
    assert during.status_code == 302
    assert during["Location"].startswith("/admin/login/")
    assert login_page.status_code == 200
    assert login_during.status_code == 302
    # Back: the old session is gone; logging in again works and sticks.
    assert after.status_code == 302
    assert login_after.status_code == 302
    assert client.get("/admin/").status_code == 200


# --- under load ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_killing_redis_under_load_leaves_the_catalog_and_login_answering(own_redis, settings):
    from accounts.tests.factories import UserFactory

    settings.LOGIN_RATE_LIMIT = "10000/minute"
    user = UserFactory()
    for _ in range(3):
        ProductFactory()
    done = {"before": 0, "after": 0}
    lock = threading.Lock()
    killed = threading.Event()
    warmed_up = threading.Event()

    def client_loop(worker: int) -> list[int]:
        client = APIClient()
        statuses = []
        try:
            for i in range(24):
                if worker % 2:
                    response = client.post(
                        "/v1/auth/login",
                        {"email": user.email, "password": DEFAULT_PASSWORD},
                        format="json",
                    )
                else:
                    response = client.get("/v1/products", {"page": 1 + i % 2})
                statuses.append(response.status_code)
                with lock:
                    done["after" if killed.is_set() else "before"] += 1
                    if done["before"] >= 30:
                        warmed_up.set()
                # Half way through, wait (bounded) for the kill so that the
                # second half of every client's requests meet a dead Redis.
                if i == 11:
                    killed.wait(timeout=30)
        finally:
            connections.close_all()
        return statuses

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(client_loop, worker) for worker in range(4)]
        assert warmed_up.wait(timeout=60)
        own_redis.stop(kill=True)
        killed.set()
        statuses = [status for future in futures for status in future.result()]

    assert len(statuses) == 96
    assert set(statuses) == {200}
    assert done["after"] >= 48
