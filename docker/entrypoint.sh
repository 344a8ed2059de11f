#!/usr/bin/env bash
# The image's entry point: one image, four roles.
#
#   web      gunicorn serving ecommerce.wsgi:application (docker/gunicorn.conf.py)
#   worker   RQ worker for every queue in settings.RQ_QUEUE_NAMES, with the scheduler
#   cron     the periodic jobs' scheduler (manage.py rqcron): one per deployment
#   migrate  manage.py migrate --noinput under a PostgreSQL advisory lock, so that
#            any number of pods starting at once apply migrations one at a time
#   manage   any manage.py command: `manage createsuperuser --noinput`
#
# Anything else is run as given (`bash`, `python -V`). Every role reads its
# configuration from the environment (README "Configuration") through
# ecommerce.config: a value that cannot work stops the role with one line per
# problem and exit code 2.
set -euo pipefail

cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-ecommerce.settings}"

role="${1:-web}"
[ "$#" -gt 0 ] && shift

# Prometheus multiprocess files are the web role's (gunicorn's workers add them
# up for /metrics). Any other process in the api container (`kubectl exec ...
# manage`, `migrate`) would leave its own files there, and stale series in /metrics.
if [ "$role" != web ]; then unset PROMETHEUS_MULTIPROC_DIR; fi

case "$role" in
  web)
    exec gunicorn --config docker/gunicorn.conf.py "$@" ecommerce.wsgi:application
    ;;
  worker)
    # WORKER_QUEUES narrows a worker to some queues ("payments emails"); read
    # and checked with the rest (exit 2 and its line when something is wrong).
    queues="$(python -c 'from ecommerce import config; print(" ".join(config.load_or_exit().WORKER_QUEUES))')"
    # shellcheck disable=SC2086  # one word per queue name
    exec python manage.py rqworker $queues --with-scheduler "$@"
    ;;
  cron)
    exec python manage.py rqcron "$@"
    ;;
  migrate)
    exec python - "$@" <<'PY'
import sys

import django
from django.core.management import call_command

from ecommerce import config

with config.exit_on_error():
    config.load()
    django.setup()
from django.db import connection  # noqa: E402

# Any 64-bit number shared by every process of this project: "ecommerce" in ASCII.
LOCK_ID = 0x65636F6D6D65726365 & 0x7FFFFFFFFFFFFFFF

if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        print("migrate: waiting for the migration lock", flush=True)
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_ID])
    try:
        call_command("migrate", *sys.argv[1:], interactive=False)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_ID])
else:
    call_command("migrate", *sys.argv[1:], interactive=False)
PY
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
