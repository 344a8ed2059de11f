"""The worker role's RQ worker: jobs in its own process, connections kept between jobs.

These tests commit for real (transactional database): the worker returns its
connection to the pool after each job, which would end a test's transaction.
"""

import os

import django_rq
import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django_rq.workers import get_worker_class

from accounts.models import User
from ecommerce.jobs.worker import JobWorker

pytestmark = pytest.mark.django_db(transaction=True)


def report_process() -> dict:
    """A job: which process ran it, on which PostgreSQL backend, seeing what."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    return {"pid": os.getpid(), "backend": backend, "users": User.objects.count()}


def run_burst() -> None:
    queue = django_rq.get_queue("default")
    JobWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)


def enqueue():
    return django_rq.get_queue("default").enqueue(report_process)


def test_rqworker_uses_the_job_worker():
    assert get_worker_class() is JobWorker


def test_jobs_run_in_the_workers_process_and_see_committed_rows(customer):
    job = enqueue()

    run_burst()

    assert job.get_status(refresh=True) == "finished"
    assert job.return_value() == {
        "pid": os.getpid(),
        "backend": job.return_value()["backend"],
        "users": 1,
    }
    # Handed back to the pool, as after a request: nothing held between jobs.
    assert connection.connection is None


def test_a_connection_that_died_between_jobs_is_replaced():
    if "pool" not in settings.DATABASES["default"].get("OPTIONS", {}):
        pytest.skip("needs DATABASE_URL (PostgreSQL with the pool)")
    first = enqueue()
    run_burst()
    dead = first.return_value()["backend"]
    # PostgreSQL restarts, say: the backend the worker used is gone.
    dsn = connection.get_connection_params()
    with psycopg.connect(
        dbname=dsn["dbname"], host=dsn.get("host"), port=dsn.get("port"), user=dsn.get("user"),
        password=dsn.get("password"), autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute("SELECT pg_terminate_backend(%s)", [dead])

    second = enqueue()
    run_burst()

    assert second.get_status(refresh=True) == "finished"
    assert second.return_value()["backend"] != dead
