"""Liveness and readiness probes.

Written here rather than taken from django-health-check: the contract fixes the
response shape, and a readiness probe hit every few seconds by every pod must
be read-only and cheap (that library's database check writes a row).
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from ecommerce.views import safe_methods_only

logger = logging.getLogger(__name__)


@never_cache
@safe_methods_only
def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches neither PostgreSQL nor Redis."""
    return JsonResponse({"status": "ok"})


@never_cache
@safe_methods_only
def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database and Redis answer, 503 naming what failed.

    ``degraded`` (present only when something is) names what works badly
    without making the pod unready: the payment provider's last permanent
    refusal (a bad key, an invalid request) within the hour. Taking every pod
    out of the load balancer for it would stop the catalog too, and a probe
    that flaps with it would not fix the key.
    """
    checks = {"database": _check_database(), "redis": _check_redis()}
    healthy = all(result in ("ok", "not configured") for result in checks.values())
    body: dict = {"status": "ok" if healthy else "unavailable", "checks": checks}
    if checks["redis"] != "unavailable":
        degraded = _degraded()
        if degraded:
            body["degraded"] = degraded
    return JsonResponse(body, status=200 if healthy else 503)


# name -> a callable returning what is degraded (a dict), or None. Apps register
# theirs (payments: the provider's last permanent error), so that this module
# depends on none of them.
DEGRADATION_REPORTERS: dict[str, Callable[[], dict | None]] = {}


def degradation_register(name: str, reporter: Callable[[], dict | None]) -> None:
    DEGRADATION_REPORTERS[name] = reporter


def _degraded() -> dict:
    degraded = {}
    for name, reporter in DEGRADATION_REPORTERS.items():
        try:
            state = reporter()
        except Exception as exc:
            logger.warning("Readiness: %s state unreadable: %s", name, exc)
            continue
        if state:
            degraded[name] = state
    return degraded


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.warning("Readiness: database check failed: %s", exc)
        return "unavailable"
    return "ok"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    try:
        from django_redis import get_redis_connection

        get_redis_connection("default").ping()
    except Exception as exc:
        logger.warning("Readiness: redis check failed: %s", exc)
        return "unavailable"
    return "ok"
