"""Gunicorn settings for the web role.

``gunicorn -c docker/gunicorn.conf.py ecommerce.wsgi:application`` (docker/entrypoint.sh web).

Every value can be overridden by an environment variable (named below), so a
benchmark or an operator tunes the server without rebuilding the image.
"""

import json
import logging
import multiprocessing
import os
import shutil
from pathlib import Path

# Sync workers, one request at a time each: the worker class the design was
# measured with. WEB_CONCURRENCY is the usual knob; 2 x CPU + 1 otherwise. In a
# pod, os.cpu_count() is the node's CPUs, not the pod's limit: set
# WEB_CONCURRENCY there (k8s/base/api-deployment.yaml does).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")

# A request that runs longer than this is killed (the worker is restarted).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM, workers finish their requests for at most this long: keep it below
# the pod's terminationGracePeriodSeconds minus the preStop sleep.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
# Longer than the load balancer's idle timeout would cut connections it reuses.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak cannot grow without bound; a
# fresh worker opens its database pool and Redis connections again, so not too
# often (at 1,000 requests a second a worker lasts a minute or so).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "1000"))
# The app (Django, every view, the URLconf: see when_ready) is imported once in
# the master and forked, so a worker recycled by max_requests starts in
# milliseconds instead of re-importing it (about 1.5 s of CPU each here, which
# at a few thousand requests a second is a recycle every few seconds). Nothing
# at import opens a connection: each worker opens its own database pool and
# Redis connections after the fork. GUNICORN_PRELOAD=0 imports per worker.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
# Heartbeat files on tmpfs: /tmp may be a slow or read-only disk in a container.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108
# --- Behind the pod's nginx (docker/nginx.conf) ---------------------------------
# In the web role gunicorn listens on a Unix socket only nginx reaches, and
# ecommerce.forwarded decides which peers' X-Forwarded-* count
# (TRUSTED_PROXY_NETWORKS). Run alone on TCP, gunicorn takes the scheme from
# these addresses only, never from anyone ("*").
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
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
# response header set by ecommerce.request_id), so a log line and a client's
# error report meet on the same id.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s "%(a)s"'

# --- Prometheus multiprocess mode --------------------------------------------
# Each worker writes its counters to files in this directory and /metrics adds
# them up. It must be empty when the server starts (stale files would add old
# counts) and writable: an emptyDir in Kubernetes. Set before any worker
# imports prometheus_client, which reads it at import time.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/prometheus-multiproc")  # noqa: S108
PROMETHEUS_MULTIPROC_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

# Imported here, in the master, once, after the variable above is set. Never
# inside a hook: child_exit runs in the master's SIGCHLD handler, and a second
# worker exiting during a first, half-done import re-enters it and sees a
# partially initialised prometheus_client (ImportError), which stops the master.
from prometheus_client import multiprocess  # noqa: E402

# Exists before a preloaded app creates its metrics in the master.
PROMETHEUS_MULTIPROC_DIR.mkdir(parents=True, exist_ok=True)


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


_debug = os.environ.get("DEBUG", "").lower() in ("1", "true", "yes", "on")
if os.environ.get("LOG_FORMAT", "plain" if _debug else "json") == "json":
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
        },
        "loggers": {
            "gunicorn.error": {
                "handlers": ["console"],
                "level": loglevel.upper(),
                "propagate": False,
            },
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
