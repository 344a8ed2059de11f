"""Keep answering when Redis is not: a fail-fast pool and a fail-open cache.

Every Redis user in a process (cache, sessions, throttling, RQ) shares one
connection pool per URL (django-redis keeps pools per URL process-wide), so
this pool is the one place that knows Redis just failed. After a failed
connect it refuses new connections for ``REDIS_FAILURE_BACKOFF`` seconds
instead of letting every request wait for the connect timeout again; after
that, the next call tries for real, so the service recovers by itself.

The cache client logs each Redis error that django-redis swallows (a read
that became a miss, a dropped write) as one warning line.
"""

import logging
import socket
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django_redis.client import DefaultClient
from redis.connection import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("ecommerce.redis")

# What a Redis call raises when the server is down, slow or unreachable.
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, socket.timeout)


class FailFastConnectionPool(ConnectionPool):
    """A ConnectionPool that stops dialling a Redis that just refused or timed out.

    Only connection attempts are short-circuited: a command on an established
    connection that fails is reported by redis-py as usual, and the next
    attempt to connect trips the breaker.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._failed_at: float | None = None
        self._breaker_lock = threading.Lock()

    def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        failed_at = self._failed_at
        if failed_at is not None and time.monotonic() - failed_at < _backoff_seconds():
            raise RedisConnectionError("Redis marked unavailable after a recent failure")
        try:
            connection = super().get_connection(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError, OSError):
            with self._breaker_lock:
                self._failed_at = time.monotonic()
            raise
        if failed_at is not None:
            with self._breaker_lock:
                if self._failed_at == failed_at:
                    self._failed_at = None
            logger.info("Redis is reachable again")
        return connection


def _backoff_seconds() -> float:
    return float(getattr(settings, "REDIS_FAILURE_BACKOFF", 1.0))


class _IgnoredRedisErrorLogger:
    """Stands in for django-redis's logger: one WARNING line, no traceback."""

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
        error = sys.exc_info()[1]
        cause = getattr(error, "__cause__", None) or error
        logger.warning("Redis unavailable, cache call skipped: %s", cause)


class FailOpenClient(DefaultClient):
    """django-redis client for a cache that never lets a Redis outage fail a request.

    With ``IGNORE_EXCEPTIONS`` in the cache's OPTIONS, django-redis turns a
    failed read into a miss and drops a failed write; this client makes each
    such event one WARNING line (django-redis's own logging is an ERROR with a
    traceback per call). The backend stays ``django_redis.cache.RedisCache``.
    ``get_redis_connection`` users (throttling, sessions, /ready) still see the
    exception and decide for themselves.
    """

    def __init__(self, server: str, params: dict[str, Any], backend: Any) -> None:
        super().__init__(server, params, backend)
        if getattr(backend, "_ignore_exceptions", False):
            backend._log_ignored_exceptions = True
            backend.logger = _IgnoredRedisErrorLogger()
