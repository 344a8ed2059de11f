"""Run the periodic jobs: expire pending orders, sweep lost charges, purge keys, sweep media.

One process per deployment (the jobs are idempotent, so an accidental second
one does no harm). Each run goes through RQ like any job, so a worker runs it.
"""

from django.core.management.base import BaseCommand
from django_rq import get_connection
from rq.cron import CronScheduler

from catalog.media.tasks import media_sweep
from checkout.tasks import orders_expire_pending
from orders.tasks import idempotency_records_purge
from payments.tasks import payments_sweep

PERIODIC_JOBS = [
    # (function, queue, every N seconds)
    (payments_sweep, "payments", 60),
    (orders_expire_pending, "default", 60),
    (idempotency_records_purge, "default", 3600),
    (media_sweep, "media", 600),
]


class Command(BaseCommand):
    help = "Schedule the periodic jobs on RQ (needs REDIS_URL and a running worker)."

    def handle(self, *args, **options) -> None:
        from django.conf import settings

        if settings.JOBS_SYNC:
            self.stderr.write("REDIS_URL is not set: there is no queue to schedule on.")
            raise SystemExit(1)
        scheduler = CronScheduler(connection=get_connection("default"))
        for func, queue, interval in PERIODIC_JOBS:
            scheduler.register(func, queue_name=queue, interval=interval)
            self.stdout.write(f"every {interval:>5}s  {func.__module__}.{func.__name__} on {queue}")
        scheduler.start()
