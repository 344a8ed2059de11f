"""The periodic jobs' schedule: ``manage.py rqcron ecommerce.jobs.cron``.

django-rq's ``rqcron`` command (django-rq 4) loads this module and runs RQ's
cron scheduler on it. One process per deployment (the jobs are idempotent, so
an accidental second one does no harm); each run goes through RQ like any job,
so a worker runs it. The schedule itself is ``settings.PERIODIC_JOBS``, by
dotted path: ``ecommerce`` imports no app.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from rq import cron

if settings.JOBS_SYNC:
    # Without REDIS_URL the queues' fallback URL would point at some local
    # Redis that no worker of this deployment reads.
    raise ImproperlyConfigured("REDIS_URL is not set: there is no queue to schedule on.")

for path, queue, interval in settings.PERIODIC_JOBS:
    cron.register(import_string(path), queue_name=queue, interval=interval)
