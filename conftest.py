"""Fixtures shared by every app's tests: clients per role, a clean Redis, jobs."""

import copy
import json
import os
import random
import re
import secrets
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, AdminFactory, UserFactory
from tests import summaries
from tests.drills.support import LocalStripe
from tests.processes import RedisServer


def pytest_report_header(config):
    return f"random seed: {os.environ['TEST_SEED']} (replay a run with TEST_SEED=that number)"


def pytest_configure(config):
    """The run's random seed (TEST_SEED, or a new one), chosen before xdist starts its
    workers, which inherit it; then, under pytest-xdist (make test runs a worker per
    CPU), a Redis database per worker.

    pytest-django gives each worker a PostgreSQL database of its own
    (test_<name>_gw<N>); tests flush Redis between them, so workers need
    separate Redis databases too: REDIS_URL's number plus the worker's. Done
    before any test touches the cache, and in the environment too, for the
    servers and commands tests start.
    """
    os.environ.setdefault("TEST_SEED", str(secrets.randbits(32)))
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
def rng(request) -> random.Random:
    """Randomness a failure can replay: seeded by the run's TEST_SEED and the test's id.

    The seed is in the run's header and in a failing test's captured output;
    ``TEST_SEED=<seed>`` makes the same choices again.
    """
    seed = os.environ["TEST_SEED"]
    print(f"rng: TEST_SEED={seed} for {request.node.nodeid}")
    return random.Random(f"{seed}:{request.node.nodeid}")  # noqa: S311 - test data, not secrets


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


@pytest.fixture
def make_product(db) -> Callable:
    """``make_product(stock=10, price="10.00", **fields)``: ``catalog.tests.factories.product_make``
    (the one product factory, its stock ledger open), for tests that take it as a fixture."""
    from catalog.tests.factories import product_make

    return product_make


@pytest.fixture
def plain_static_storage(settings):
    """The admin's pages without a collectstatic manifest (tests do not run it):
    ``pytestmark = pytest.mark.usefixtures("plain_static_storage")``."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def site(db):
    """A Django test client logged in to the admin site as a superuser."""
    from django.test import Client

    from orders.tests.factories import SuperuserFactory

    client = Client()
    client.force_login(SuperuserFactory())
    return client


@pytest.fixture
def admin_login(db) -> Callable:
    """``admin_login(email, client=None, password=..., **extra)``: the admin site's login form
    posted as a browser does; the response, and ``response.client`` the client it logged in
    (a new one unless given; ``extra`` are its request headers, such as ``REMOTE_ADDR``)."""
    from django.test import Client

    def login(email: str, client=None, *, password: str = DEFAULT_PASSWORD, **extra: str):
        client = client or Client(**extra)  # type: ignore[arg-type]  # headers as keywords
        return client.post(
            "/admin/login/?next=/admin/",
            {"username": email, "password": password, "next": "/admin/"},
        )

    return login


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
        server.thaw()
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
