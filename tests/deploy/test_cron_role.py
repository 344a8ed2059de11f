"""The image's cron role starts the project's schedule, not an empty one.

django-rq 4 ships its own ``rqcron`` command, and ``django_rq`` comes before
``ecommerce`` in INSTALLED_APPS, so its command is the one manage.py runs. The
role runs it on the project's config module (``manage.py rqcron ecommerce.jobs.cron``):
this starts the role as the image does, against the test's Redis, and checks
that every job of settings.PERIODIC_JOBS lands on its queue.
"""

import signal
import subprocess
import time

import django_rq
from django.conf import settings
from rq.cron import CronScheduler

from tests.deploy.test_config_roles import ENTRYPOINT, role_env


def _queued(queue_names: set[str]) -> set[tuple[str | None, str]]:
    return {
        (job.func_name, name)
        for name in queue_names
        for job in django_rq.get_queue(name).get_jobs()
    }


def test_the_cron_role_enqueues_every_periodic_job(tmp_path):
    expected = {(path, queue) for path, queue, _ in settings.PERIODIC_JOBS}
    queues = {queue for _, queue in expected}
    for name in queues:
        django_rq.get_queue(name).empty()
    env = role_env(tmp_path, REDIS_URL=settings.REDIS_URL)

    process = subprocess.Popen(  # noqa: S603 - our own argv
        [ENTRYPOINT, "cron"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    seen: set[tuple[str, str]] = set()
    try:
        # An interval job is due at once: the first pass enqueues each of them.
        deadline = time.monotonic() + 60
        while not seen >= expected and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[0]
            time.sleep(0.2)
            seen = _queued(queues)
        schedulers = CronScheduler.all(django_rq.get_connection("default"))
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
        for name in queues:
            django_rq.get_queue(name).empty()

    assert seen >= expected, output
    assert f"Starting cron scheduler with {len(expected)} jobs" in output, output
    assert [scheduler.config_file for scheduler in schedulers] == ["ecommerce.jobs.cron"]


def test_the_schedule_refuses_to_start_without_redis(tmp_path):
    result = subprocess.run(  # noqa: S603 - our own argv
        [ENTRYPOINT, "cron"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=role_env(tmp_path, REDIS_URL=""),
    )

    assert result.returncode != 0
    assert "REDIS_URL is not set: there is no queue to schedule on." in result.stderr
