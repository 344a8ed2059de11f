"""Gunicorn settings for the web role.

``gunicorn -c docker/gunicorn.conf.py ecommerce.wsgi:application`` (docker/entrypoint.sh web).

Every value can be overridden by an environment variable (named below), so a
benchmark or an operator tunes the server without rebuilding the image. They
are read and checked by ecommerce.config, with the app's, before anything
starts: a value that cannot work stops the master with one line per problem
and exit code 2.
"""

import json
import logging
import os
import shutil
import sys
from pathlib import Path

# gunicorn's console script does not put the working directory on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Not "config": gunicorn takes every name here for one of its settings, and that one is -c.
from ecommerce import config as app_config

CONFIG = app_config.load_or_exit()


def _worker_class_or_exit(uri: str) -> None:
    """GUNICORN_WORKER_CLASS imports, or one line and exit 2 (gunicorn would print a
    traceback and exit 1)."""
    from gunicorn.util import load_class

    try:
        load_class(uri)
    except (RuntimeError, ImportError, AttributeError):
        with app_config.exit_on_error():
            raise app_config.ConfigError(
                [
                    f'GUNICORN_WORKER_CLASS: "{uri}" cannot be imported; accepted: sync, gthread '
                    "or the dotted path of a gunicorn worker class"
                ]
            ) from None


def _app_loads_or_exit() -> None:
    """With GUNICORN_PRELOAD=0 the master never loads the app, and a worker that
    cannot (an unknown PAYMENT_GATEWAY: ecommerce.config) would be restarted
    forever. Load it once in a child, which exits 2 with the problem's line."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", CONFIG.DJANGO_SETTINGS_MODULE)
            import django

            with app_config.exit_on_error():
                django.setup()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:  # a traceback, as the worker would print
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if code := os.waitstatus_to_exitcode(status):
        sys.exit(code)


_worker_class_or_exit(CONFIG.GUNICORN_WORKER_CLASS)

# Sync workers, one request at a time each: the worker class the design was
# measured with. WEB_CONCURRENCY is the usual knob; 2 x CPU + 1 otherwise. In a
# pod, os.cpu_count() is the node's CPUs, not the pod's limit: set
# WEB_CONCURRENCY there (k8s/base/api-deployment.yaml does).
workers = CONFIG.WEB_CONCURRENCY
worker_class = CONFIG.GUNICORN_WORKER_CLASS
threads = CONFIG.GUNICORN_THREADS
bind = CONFIG.GUNICORN_BIND

# A request that runs longer than this is killed (the worker is restarted).
timeout = CONFIG.GUNICORN_TIMEOUT
# On SIGTERM, workers finish their requests for at most this long: keep it below
# the pod's terminationGracePeriodSeconds minus the preStop sleep.
graceful_timeout = CONFIG.GUNICORN_GRACEFUL_TIMEOUT
# Longer than the load balancer's idle timeout would cut connections it reuses.
keepalive = CONFIG.GUNICORN_KEEPALIVE
# Recycle workers now and then so a slow leak cannot grow without bound; a
# fresh worker opens its database pool and Redis connections again, so not too
# often (at 1,000 requests a second a worker lasts a minute or so).
max_requests = CONFIG.GUNICORN_MAX_REQUESTS
max_requests_jitter = CONFIG.GUNICORN_MAX_REQUESTS_JITTER
# The app (Django, every view, the URLconf: see when_ready) is imported once in
# the master and forked, so a worker recycled by max_requests starts in
# milliseconds instead of re-importing it (about 1.5 s of CPU each here, which
# at a few thousand requests a second is a recycle every few seconds). Nothing
# at import opens a connection: each worker opens its own database pool and
# Redis connections after the fork. GUNICORN_PRELOAD=0 imports per worker.
preload_app = CONFIG.GUNICORN_PRELOAD
# Heartbeat files on tmpfs: /tmp may be a slow or read-only disk in a container.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108
# --- Behind the pod's nginx (docker/nginx.conf) ---------------------------------
# In the web role gunicorn listens on a Unix socket only nginx reaches, and
# ecommerce.forwarded decides which peers' X-Forwarded-* count
# (TRUSTED_PROXY_NETWORKS). Run alone on TCP, gunicorn takes the scheme from
# these addresses only, never from anyone ("*").
forwarded_allow_ips = ",".join(CONFIG.FORWARDED_ALLOW_IPS)
# The scheme from X-Forwarded-Proto only (what the ingress and Django use); the
# SCRIPT_NAME and PATH_INFO headers never rewrite the path, whoever sends them.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
forwarder_headers = ""
# At or above nginx's limits, so a request nginx let through is never refused
# here with gunicorn's HTML 400 (a request line or a header over 8 KiB is
# nginx's enveloped 400; gunicorn's maxima are 8190 and 32768).
limit_request_line = 8190
limit_request_field_size = 8190
limit_request_fields = 32768

# Access log on stdout, one line per request with its X-Request-ID (the
# response header set by ecommerce.request_id_middleware), so a log line and a client's
# error report meet on the same id. GUNICORN_ACCESS_LOG sends them to a file
# instead (/dev/null: none), in both log formats.
accesslog = CONFIG.GUNICORN_ACCESS_LOG
errorlog = "-"
loglevel = CONFIG.LOG_LEVEL
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s "%(a)s"'

# --- Prometheus multiprocess mode --------------------------------------------
# Each worker writes its counters to files in this directory and /metrics adds
# them up. It must be empty when the server starts (stale files would add old
# counts) and writable: an emptyDir in Kubernetes. Set before any worker
# imports prometheus_client, which reads it at import time.
PROMETHEUS_MULTIPROC_DIR = Path(CONFIG.PROMETHEUS_MULTIPROC_DIR)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(PROMETHEUS_MULTIPROC_DIR)

# Imported here, in the master, once, after the variable above is set. Never
# inside a hook: child_exit runs in the master's SIGCHLD handler, and a second
# worker exiting during a first, half-done import re-enters it and sees a
# partially initialised prometheus_client (ImportError), which stops the master.
from prometheus_client import multiprocess  # noqa: E402

# Exists before a preloaded app creates its metrics in the master.
PROMETHEUS_MULTIPROC_DIR.mkdir(parents=True, exist_ok=True)

if not preload_app:
    _app_loads_or_exit()


def on_starting(server) -> None:
    shutil.rmtree(PROMETHEUS_MULTIPROC_DIR, ignore_errors=True)
    PROMETHEUS_MULTIPROC_DIR.mkdir(parents=True, exist_ok=True)


def when_ready(server) -> None:
    """Before the first fork: build the URL resolver, importing every view.

    Django does it on a process's first request; done here once, every worker
    (and every replacement of one) inherits it.
    """
    if server.cfg.preload_app:
        from django.urls import get_resolver

        # Walking the reverse map imports every included URLconf and its views.
        len(get_resolver().reverse_dict)


def child_exit(server, worker) -> None:
    multiprocess.mark_process_dead(worker.pid)


# --- JSON logs ------------------------------------------------------------------
# With LOG_FORMAT=json (the default when DEBUG is off, as in ecommerce.settings)
# gunicorn's own lines are JSON objects too; access lines carry their fields.
class GunicornJsonFormatter(logging.Formatter):
    ACCESS_FIELDS = {
        "h": "remote_addr",
        "m": "method",
        "U": "path",
        "q": "query",
        "s": "status",
        "B": "bytes",
        "M": "duration_ms",
        "{x-request-id}o": "request_id",
        "a": "user_agent",
    }

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            atoms = record.args
            entry["message"] = f"{atoms.get('m')} {atoms.get('U')} {atoms.get('s')}"
            for atom, field in self.ACCESS_FIELDS.items():
                entry[field] = atoms.get(atom)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


# The same access line, built from the atoms it uses only (gunicorn builds some
# sixty per request): ecommerce.access_log.
from ecommerce.access_log import AccessLogger  # noqa: E402

AccessLogger.json_atoms = frozenset(GunicornJsonFormatter.ACCESS_FIELDS)
logger_class = AccessLogger


def _access_handler() -> dict:
    if accesslog == "-":
        return {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
    return {"class": "logging.FileHandler", "formatter": "json", "filename": accesslog}


if CONFIG.LOG_FORMAT == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": GunicornJsonFormatter}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
            "access": _access_handler(),
        },
        "loggers": {
            "gunicorn.error": {
                "handlers": ["console"],
                "level": loglevel.upper(),
                "propagate": False,
            },
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }
