"""Fixtures shared by every app's tests: clients per role, a clean Redis, jobs."""

from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, AdminFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
