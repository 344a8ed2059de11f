"""Keep answering when Redis is not: a fail-fast pool and a fail-open cache.

Every Redis user in a process (cache, sessions, throttling, RQ) shares one
connection pool per URL (django-redis keeps pools per URL process-wide), so
this pool is the one place that knows Redis just failed. After a failed
connect, or a command whose connection timed out or dropped, it refuses
connections for ``REDIS_FAILURE_BACKOFF`` seconds instead of letting every
request wait for a timeout again; after that, the next call tries for real, so
the service recovers by itself.

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
from redis.connection import (
    Connection,
    ConnectionPool,
    SSLConnection,
    UnixDomainSocketConnection,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("ecommerce.redis")

# What a Redis call raises when the server is down, slow or unreachable.
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, socket.timeout)


class FailFastConnectionPool(ConnectionPool):
    """A ConnectionPool that stops calling a Redis that just refused, dropped or stalled.

    The breaker trips on a failed connect and on a connection-level failure of a
    command (a socket timeout, a dropped connection): a Redis that accepts
    connections but no longer answers (frozen, overloaded, a half-open network
    path) would otherwise cost every call the full socket timeout. Errors Redis
    itself answers (a wrong type, ...) do not trip it. While tripped, getting a
    connection fails at once; after ``REDIS_FAILURE_BACKOFF`` seconds the next
    call tries for real, and its success closes the breaker.
    """

    def __init__(self, *args: Any, connection_class: type = Connection, **kwargs: Any) -> None:
        connection_class = _BREAKER_CONNECTIONS.get(connection_class, connection_class)
        super().__init__(*args, connection_class=connection_class, **kwargs)  # type: ignore[misc]
        self._failed_at: float | None = None
        self._breaker_lock = threading.Lock()

    def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        failed_at = self._failed_at
        if failed_at is not None and time.monotonic() - failed_at < _backoff_seconds():
            raise RedisConnectionError("Redis marked unavailable after a recent failure")
        try:
            return super().get_connection(*args, **kwargs)
        except _CONNECTION_FAILURES:
            self.breaker_trip()
            raise

    def make_connection(self) -> Any:
        connection = super().make_connection()
        # Read by BreakerConnectionMixin; a connection made by another pool from
        # the same class (RQ's scheduler copies the class) has none and is inert.
        connection.breaker = self  # type: ignore[attr-defined]
        return connection

    def breaker_trip(self) -> None:
        with self._breaker_lock:
            self._failed_at = time.monotonic()

    def breaker_reset(self) -> None:
        if self._failed_at is None:
            return
        with self._breaker_lock:
            was_open = self._failed_at is not None
            self._failed_at = None
        if was_open:
            logger.info("Redis is reachable again")


# Failures of the connection itself, as opposed to errors Redis answers with.
_CONNECTION_FAILURES = (RedisConnectionError, RedisTimeoutError, OSError)


class BreakerConnectionMixin:
    """Reports each command's outcome to the pool that made the connection."""

    breaker: FailFastConnectionPool | None = None

    def send_packed_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().send_packed_command(*args, **kwargs)  # type: ignore[misc]
        except _CONNECTION_FAILURES:
            if self.breaker is not None:
                self.breaker.breaker_trip()
            raise

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            response = super().read_response(*args, **kwargs)  # type: ignore[misc]
        except _CONNECTION_FAILURES:
            if self.breaker is not None:
                self.breaker.breaker_trip()
            raise
        if self.breaker is not None:
            self.breaker.breaker_reset()
        return response


# Module-level classes (not made on the fly) so that they pickle, as RQ's
# worker pool may send the connection class to a child process.
class BreakerConnection(BreakerConnectionMixin, Connection):
    pass


class BreakerSSLConnection(BreakerConnectionMixin, SSLConnection):
    pass


class BreakerUnixDomainSocketConnection(BreakerConnectionMixin, UnixDomainSocketConnection):
    pass


_BREAKER_CONNECTIONS: dict[type, type] = {
    Connection: BreakerConnection,
    SSLConnection: BreakerSSLConnection,
    UnixDomainSocketConnection: BreakerUnixDomainSocketConnection,
}


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


def redis_client(alias: str = "default") -> Any:
    """The raw redis-py client behind a django-redis cache, or None for other backends."""
    try:
        from django_redis import get_redis_connection

        return get_redis_connection(alias)
    except (ImportError, NotImplementedError):
        return None


def cache_incr(key: str) -> None:
    """Increment a counter of the default cache, creating it (no TTL) when unset."""
    from django.core.cache import cache

    try:
        cache.incr(key)
    except ValueError:  # Django's incr needs the key to exist
        cache.add(key, 0, None)
        cache.incr(key)


class OutageEpoch:
    """A process's distrust of what a cache holds, once one of its Redis calls failed.

    An invalidation that could not reach Redis is lost, so an entry filled
    before it could outlive the write (Redis may come back with its data, or
    other processes may be talking to it already). So a process in which a
    call failed (``failed``) trusts no entry (``trusted`` is False) until it
    has bumped ``key``: the epoch every entry is filled under and judged
    against, so the bump turns every earlier entry into a miss. The flag lives
    in the process on purpose: it records what this process could not do.
    ``what`` names the cache in the log lines, ``log`` is the caller's logger.
    """

    def __init__(self, key: str, what: str, log: logging.Logger) -> None:
        self.key = key
        self.what = what
        self.log = log
        self.seen = False

    def failed(self, call: str, exc: Exception) -> None:
        """A call did not reach Redis: log it, and distrust entries until the epoch moves."""
        self.seen = True
        self.log.warning("%s unavailable (%s): %s", self.what, call, exc)

    def trusted(self) -> bool:
        """True unless an outage was seen and the epoch could not be bumped since."""
        return not self.seen or self._bump()

    def _bump(self) -> bool:
        from django.core.cache import cache

        client = redis_client()
        try:
            if client is not None:
                client.incr(cache.make_key(self.key))
            else:
                cache_incr(self.key)
        except Exception as exc:
            self.log.warning("%s still unavailable (epoch bump): %s", self.what, exc)
            return False
        self.seen = False
        self.log.info("%s: what was cached before the Redis outage is dropped", self.what)
        return True
