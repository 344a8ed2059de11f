"""GET /metrics: Prometheus metrics, refused to anyone not allowed to read them.

What is exported:

- Request metrics under django-prometheus's names (``django_http_*``, recorded
  by RequestMetricsMiddleware): responses by status, view and method, and
  latency histograms by view and method.
- RQ, read from Redis at scrape time: jobs waiting per queue
  (``rq_queue_jobs``), jobs in each queue's failed and started registries
  (``rq_queue_failed_jobs``, ``rq_queue_started_jobs``).
- The product response cache: responses answered from Redis or rendered from
  PostgreSQL, by view (``ecommerce_response_cache_total{view, result="hit|miss"}``,
  counted from the ``X-Cache`` header by RequestMetricsMiddleware); the hit
  ratio is ``sum(rate(..{result="hit"}[5m])) / sum(rate(..[5m]))``.
- The cache Redis's keyspace hits and misses (``ecommerce_cache_redis_keyspace_*``):
  server-wide, every client's lookups (throttling, sessions, RQ) included.

Several gunicorn workers each count their own requests. With
``PROMETHEUS_MULTIPROC_DIR`` set (docker/gunicorn.conf.py sets and empties it),
prometheus_client keeps every worker's values in files there and a scrape of
any worker adds them up.

Access: a caller presenting ``Authorization: Bearer <METRICS_TOKEN>``, or one
connecting straight from an address in ``METRICS_ALLOWED_NETWORKS``. A request
that went through a proxy (it carries X-Forwarded-For, X-Real-IP or Forwarded)
arrives from the proxy's address, which says nothing about the real caller, so
it needs the token whatever its address.
"""

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

import prometheus_client
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from ecommerce.api.exceptions import error_body
from ecommerce.api.renderers import render_json
from ecommerce.views import safe_methods_only

logger = logging.getLogger(__name__)

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Headers a reverse proxy adds: their presence means REMOTE_ADDR is the proxy's.
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs)
    except ValueError as exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from exc


def allowed_networks() -> tuple[IpNetwork, ...]:
    return _networks(tuple(settings.METRICS_ALLOWED_NETWORKS))


def metrics_access_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return True
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in allowed_networks())


# Counted in the request's process; in multiprocess mode (gunicorn) every
# worker's count lands in PROMETHEUS_MULTIPROC_DIR and /metrics adds them up.
RESPONSE_CACHE = prometheus_client.Counter(
    "ecommerce_response_cache",
    "Responses of cached endpoints by view: result=hit when Redis served them, "
    "miss when they were rendered from PostgreSQL (their X-Cache header).",
    ["view", "result"],
)
CACHE_RESULTS = {"HIT": "hit", "MISS": "miss"}


_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "CONNECT", "PATCH")
)


class RequestMetricsMiddleware:
    """Per request: its count by view, method and status, its latency, its cache result.

    First in MIDDLEWARE, so the latency covers every middleware. The metrics are
    django-prometheus's own (``django_http_responses_total_by_status_view_method``,
    ``django_http_requests_latency_seconds_by_view_method``), recorded by one
    middleware instead of its pair, which writes about fifteen series per
    request (by transport, by charset, body sizes...) where these two answer
    what operators ask: how many, how fast, how many failed, per route. In
    multiprocess mode each write is a locked mmap update, so they add up on
    the hot path. Responses that say ``X-Cache: HIT`` or ``MISS`` are counted
    in ``ecommerce_response_cache_total`` by view too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django_prometheus.middleware import Metrics

        self.get_response = get_response
        metrics = Metrics.get_instance()
        self.responses = metrics.responses_by_status_view_method
        self.latency = metrics.requests_latency_by_view_method
        # The labelled series of each (status, view, method, cache result) seen:
        # ``labels()`` checks and joins its values and takes the metric's lock on
        # every call, where a dict lookup finds the same child. Bounded: route
        # names, the methods above, the status codes Django sends, hit/miss.
        self._series: dict[tuple[int, str, str, str | None], tuple[Any, Any, Any]] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # The route's name, never the raw path: bounded label values.
        view = (match.view_name if match else "") or "<unnamed view>"
        method = request.method if request.method in _METHODS else "<invalid method>"
        result = CACHE_RESULTS.get(response.get("X-Cache", ""))
        key = (response.status_code, view, method, result)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (
                self.responses.labels(status=str(response.status_code), view=view, method=method),
                self.latency.labels(view=view, method=method),
                RESPONSE_CACHE.labels(view=view, result=result) if result is not None else None,
            )
        responses, latency, cache_result = series
        responses.inc()
        latency.observe(time.perf_counter() - started)
        if cache_result is not None:
            cache_result.inc()
        return response


class RQCollector(Collector):
    """Queue depth and failed jobs of every queue in RQ_QUEUE_NAMES, read at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if settings.JOBS_SYNC:  # no Redis: jobs run inline, there is no queue
            return
        from django_rq.queues import get_redis_connection
        from rq import Queue

        up = GaugeMetricFamily("rq_up", "1 when the queue Redis answered this scrape.")
        waiting = GaugeMetricFamily(
            "rq_queue_jobs", "Jobs waiting in the RQ queue.", labels=["queue"]
        )
        failed = GaugeMetricFamily(
            "rq_queue_failed_jobs", "Jobs in the queue's failed-job registry.", labels=["queue"]
        )
        started = GaugeMetricFamily(
            "rq_queue_started_jobs", "Jobs a worker is running now.", labels=["queue"]
        )
        # The queues' own connections (with Redis, the cache's pool and its
        # socket timeouts): a scrape during an outage fails fast.
        try:
            for name in settings.RQ_QUEUE_NAMES:
                connection = get_redis_connection(settings.RQ_QUEUES[name])
                queue = Queue(name, connection=connection)
                waiting.add_metric([name], queue.count)
                # cleanup=False: a scrape only reads; the workers maintain the registries.
                failed.add_metric([name], queue.failed_job_registry.get_job_count(cleanup=False))
                started.add_metric([name], queue.started_job_registry.get_job_count(cleanup=False))
        except Exception as exc:
            logger.warning("Metrics: RQ queues unreadable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from (up, waiting, failed, started)


class CacheRedisCollector(Collector):
    """Hits and misses of the cache's Redis (INFO stats), read at scrape time.

    Server-wide counters: RQ's reads on the same Redis count too. The hit ratio
    is ``rate(..._hits_total[5m]) / (rate(..._hits_total[5m]) + rate(..._misses_total[5m]))``.
    """

    def collect(self) -> Iterable[CounterMetricFamily]:
        backend = settings.CACHES["default"]["BACKEND"]
        if not backend.startswith("django_redis."):
            return []
        try:
            from django_redis import get_redis_connection

            stats = get_redis_connection("default").info("stats")
        except Exception as exc:
            logger.warning("Metrics: cache Redis unreadable: %s", exc)
            return []
        hits = CounterMetricFamily(
            "ecommerce_cache_redis_keyspace_hits", "Successful key lookups in the cache Redis."
        )
        misses = CounterMetricFamily(
            "ecommerce_cache_redis_keyspace_misses", "Failed key lookups in the cache Redis."
        )
        hits.add_metric([], stats.get("keyspace_hits", 0))
        misses.add_metric([], stats.get("keyspace_misses", 0))
        return [hits, misses]


_scrape_time_registry = CollectorRegistry(auto_describe=False)
_scrape_time_registry.register(RQCollector())
_scrape_time_registry.register(CacheRedisCollector())


def _process_registry() -> CollectorRegistry:
    """This process's metrics, or every gunicorn worker's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


def metrics_exposition() -> bytes:
    return prometheus_client.generate_latest(_process_registry()) + (
        prometheus_client.generate_latest(_scrape_time_registry)
    )


@never_cache
@safe_methods_only
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_access_allowed(request):
        body = render_json(error_body("permission_denied", "Metrics are not public."))
        return HttpResponse(body, status=403, content_type="application/json; charset=utf-8")
    return HttpResponse(
        metrics_exposition(), content_type=prometheus_client.exposition.CONTENT_TYPE_PLAIN_0_0_4
    )
