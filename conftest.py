"""Fixtures shared by every app's tests: clients per role, a clean Redis, jobs."""

import copy
import itertools
import json
import os
import re
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, AdminFactory, UserFactory
from tests import summaries
from tests.drills.support import LocalStripe
from tests.processes import RedisServer


def pytest_configure(config):
    """Under pytest-xdist (make test runs a worker per CPU), a Redis database per worker.

    pytest-django gives each worker a PostgreSQL database of its own
    (test_<name>_gw<N>); tests flush Redis between them, so workers need
    separate Redis databases too: REDIS_URL's number plus the worker's. Done
    before any test touches the cache, and in the environment too, for the
    servers and commands tests start.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not settings.REDIS_URL:
        return
    base, _, number = re.match(r"^(.*?)(/(\d+))?/?$", settings.REDIS_URL).groups()
    url = f"{base}/{int(number or 0) + int(worker[2:])}"
    for alias in settings.CACHES.values():
        if alias.get("LOCATION") == settings.REDIS_URL:
            alias["LOCATION"] = url
    settings.REDIS_URL = os.environ["REDIS_URL"] = url


def pytest_sessionfinish(session):
    """An xdist worker hands its fuzzing and drill figures to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["figures"] = json.dumps(summaries.local().to_json())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    payload = getattr(node, "workeroutput", {}).get("figures")
    if payload:
        summaries.FROM_WORKERS.add(json.loads(payload))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if getattr(config, "workeroutput", None) is not None:
        return  # a worker: the controller prints
    under_xdist = config.pluginmanager.has_plugin("dsession")
    summaries.write(terminalreporter, summaries.FROM_WORKERS if under_xdist else summaries.local())


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded media (local storage) go to a directory of the test's own, never the tree's."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _clean_redis():
    """Each test starts with an empty cache, no counters and no queued jobs."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def customer(db):
    return UserFactory(email="customer@example.com", name="Carla Customer")


@pytest.fixture
def other_customer(db):
    return UserFactory(email="other@example.com", name="Oscar Other")


@pytest.fixture
def admin_user(db):
    return AdminFactory(email="admin@example.com", name="Ada Admin")


def _client_for(user) -> APIClient:
    from accounts.tokens import token_pair_issue

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_issue(user=user).access}")
    return client


@pytest.fixture
def customer_client(customer) -> APIClient:
    return _client_for(customer)


@pytest.fixture
def other_client(other_customer) -> APIClient:
    return _client_for(other_customer)


@pytest.fixture
def admin_client_api(admin_user) -> APIClient:
    return _client_for(admin_user)


@pytest.fixture
def client_for() -> Callable:
    return _client_for


@pytest.fixture
def run_jobs() -> Callable[[], int]:
    """Process every queued RQ job in this process, the way a worker would.

    Returns how many jobs ran. Jobs go through real Redis and RQ; SimpleWorker
    only skips the fork so that the test's database transaction is visible.
    """
    import django_rq
    from rq import SimpleWorker

    def run() -> int:
        assert not settings.JOBS_SYNC, "tests expect REDIS_URL to be set"
        queues = [django_rq.get_queue(name) for name in settings.RQ_QUEUE_NAMES]
        pending = sum(queue.count for queue in queues)
        worker = SimpleWorker(queues, connection=queues[0].connection)
        worker.work(burst=True, with_scheduler=False)
        return pending

    return run


_product_numbers = itertools.count(1)


@pytest.fixture
def make_product(db) -> Callable:
    """``make_product(stock=10, price="19.99", **fields)``: a simple product in the catalog.

    Its one variant has that price and stock, and its stock ledger is opened as
    every real write path does, so the stock audit balances in any test that
    uses it.
    """
    from catalog.tests.factories import ProductFactory

    def make(*, stock: int = 10, price: str = "19.99", **fields):
        number = next(_product_numbers)
        defaults = {
            "name": f"Test product {number}",
            "slug": f"test-product-{number}",
            "category": "test",
            "price": Decimal(price),
            "stock": stock,
        }
        return ProductFactory(**{**defaults, **fields})

    return make


@pytest.fixture
def own_redis(settings) -> Iterator[RedisServer]:
    """Cache, sessions, throttling, RQ and /ready on a Redis this test controls.

    On a free port rather than a fixed one: test runs side by side must not
    stop each other's servers.
    """
    server = RedisServer.on_free_port()
    caches = copy.deepcopy(settings.CACHES)
    for config in caches.values():
        config["LOCATION"] = server.url
    settings.CACHES = caches
    settings.REDIS_URL = server.url
    # Retry at once: these tests bring Redis back and expect the next call to see it.
    settings.REDIS_FAILURE_BACKOFF = 0
    try:
        yield server
    finally:
        server.stop()
        get_redis_connection("default").connection_pool.disconnect()


@pytest.fixture(scope="session")
def localstripe_server(tmp_path_factory) -> Iterator[LocalStripe]:
    """One localstripe per test process (each xdist worker has its own), on a free port."""
    server = LocalStripe(log_path=tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def localstripe(localstripe_server) -> LocalStripe:
    """localstripe with no objects left by an earlier test."""
    reply = localstripe_server.call("DELETE", "/_config/data")
    assert reply.status == 200, reply
    return localstripe_server
