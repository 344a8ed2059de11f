#!/usr/bin/env bash
# The image's entry point: one image, four roles.
#
#   web      nginx on WEB_BIND (docker/nginx.conf) in front of gunicorn serving
#            ecommerce.wsgi:application (docker/gunicorn.conf.py) on a Unix socket
#   worker   RQ worker for every queue in settings.RQ_QUEUE_NAMES, with the scheduler
#   cron     the periodic jobs' scheduler (manage.py rqcron ecommerce.jobs.cron): one per deployment
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

# The web role: gunicorn on a Unix socket only nginx reaches, nginx on the
# pod's port buffering every request and answer (docker/nginx.conf says why).
# Either one stopping stops the other, and the container with them. On
# SIGTERM (after the pod's preStop sleep), nginx stops first and gracefully:
# it stops accepting, finishes the requests in flight (gunicorn answers them),
# and then gunicorn, idle by then, stops too.
web_run() {
  # Read and checked with every other variable (ecommerce.config): a bad value
  # stops here with its one line and exit code 2.
  local values run_dir bind max_body
  values="$(python -c 'from ecommerce import config
c = config.load_or_exit()
print(c.WEB_RUN_DIR, c.WEB_BIND, c.MAX_BODY_BYTES, sep="\n")')" || exit $?
  { read -r run_dir; read -r bind; read -r max_body; } <<<"$values"
  mkdir -p "$run_dir"
  rm -f "$run_dir/gunicorn.sock"
  local conf
  conf="$(<docker/nginx.conf)"
  conf="${conf//@RUN_DIR@/$run_dir}"
  conf="${conf//@WEB_BIND@/$bind}"
  conf="${conf//@MAX_BODY_BYTES@/$max_body}"
  # nginx started by root would run its workers as "nobody", who may not reach
  # the socket; they run as whoever runs gunicorn (uid 10001 in the image).
  if [ "$(id -u)" = 0 ]; then
    conf="${conf//@USER@/user root;}"
  else
    conf="${conf//@USER@/}"
  fi
  printf '%s\n' "$conf" >"$run_dir/nginx.conf"
  nginx -e stderr -p "$run_dir" -c "$run_dir/nginx.conf" -t -q

  GUNICORN_BIND="unix:$run_dir/gunicorn.sock" \
    gunicorn --config docker/gunicorn.conf.py "$@" ecommerce.wsgi:application &
  local gunicorn_pid=$!
  # nginx opens the port once gunicorn listens (it imports the app first):
  # until then a connection is refused rather than answered 503.
  local waited
  for waited in $(seq 1 600); do
    [ -S "$run_dir/gunicorn.sock" ] && break
    if ! kill -0 "$gunicorn_pid" 2>/dev/null; then
      wait "$gunicorn_pid" || exit $?
      exit 1
    fi
    sleep 0.1
  done
  [ -S "$run_dir/gunicorn.sock" ] || echo "web: no gunicorn socket after ${waited}00 ms" >&2
  nginx -e stderr -p "$run_dir" -c "$run_dir/nginx.conf" &
  local nginx_pid=$!

  web_stop() {
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    kill -TERM "$gunicorn_pid" 2>/dev/null || true
    wait "$gunicorn_pid" 2>/dev/null || true
  }
  trap 'web_stop; exit 0' TERM INT QUIT

  local exited=0
  wait -n -p exited "$gunicorn_pid" "$nginx_pid" || true
  if [ "$exited" = "$nginx_pid" ]; then
    echo "web: nginx exited; stopping gunicorn" >&2
  else
    echo "web: gunicorn exited; stopping nginx" >&2
  fi
  trap - TERM INT QUIT
  web_stop
  exit 1
}

case "$role" in
  web)
    web_run "$@"
    ;;
  worker)
    # WORKER_QUEUES narrows a worker to some queues ("payments emails", or
    # "media" for a worker that only makes image renditions); read
    # and checked with the rest (exit 2 and its line when something is wrong).
    queues="$(python -c 'from ecommerce import config; print(" ".join(config.load_or_exit().WORKER_QUEUES))')"
    # shellcheck disable=SC2086  # one word per queue name
    exec python manage.py rqworker $queues --with-scheduler "$@"
    ;;
  cron)
    # django-rq's rqcron on the project's schedule (ecommerce/jobs/cron.py).
    exec python manage.py rqcron ecommerce.jobs.cron "$@"
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
