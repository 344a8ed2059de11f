"""Rate limits: fixed windows counted atomically in Redis, failing open.

Three limits (see the contract's "Rate limiting"):

* ``ApiRateThrottle`` (scope ``api``, ``RATE_LIMIT``, default 1000/hour): per
  authenticated user, or per client IP when anonymous. The default for every
  DRF view.
* ``LoginRateThrottle`` (scope ``login``, ``LOGIN_RATE_LIMIT``, default
  10/minute): per client IP, shared by login, register, password reset and
  reset-confirm (and the admin site's login form, which counts on the same
  key). Those views use only this throttle, so their attempts do not also
  spend the general limit and their ``X-RateLimit-*`` headers describe the
  login limit.
* ``WebhookRateThrottle`` (scope ``webhook``, ``WEBHOOK_RATE_LIMIT``, default
  600/minute): per client IP, on the payment provider's webhook. It counts
  before the signature is checked, so a flood of unsigned or forged events
  costs at most that many HMAC checks a minute per address.

A window starts with the first request: the counter ``rate_limit:<scope>:<client>``
is created by INCR with a TTL of one window (a Lua script does INCR and EXPIRE
in one step, so parallel requests never lose a count and a counter never
lives without a TTL). Every request increments it; a request is let through
while the count is at most the limit. ``X-RateLimit-Reset`` is the number of
seconds until the window ends (the counter's TTL), like ``Retry-After``.

When Redis does not answer, requests are let through (fail open) with a
warning in the log. Without ``REDIS_URL`` the counter lives in the shared file
cache (``add`` then ``incr``, each atomic across processes: see
``ecommerce.cache.shared_file_cache``).
"""

import functools
import ipaddress
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from redis.commands.core import Script
from rest_framework.throttling import BaseThrottle

from ecommerce.api.ids import PREFIXES, public_id
from ecommerce.cache.redis_resilience import REDIS_ERRORS

logger = logging.getLogger(__name__)

CACHE_ALIAS = "default"
# Where a throttle leaves what it counted for the headers middleware.
REQUEST_ATTRIBUTE = "rate_limit_states"

_PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")

# INCR and, for a new counter (or one that somehow lost its TTL), EXPIRE, in
# one atomic step, leaving the count and the seconds left in the window in
# ``count`` and ``ttl``. The counter is KEYS[1], the window ARGV[1]. Shared with
# scripts that count and read in one round trip (catalog.cache): one definition
# of how a request is counted.
COUNT_LUA = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
"""
_HIT_SCRIPT = COUNT_LUA + "return {count, ttl}\n"
# EVALSHA with a NOSCRIPT fallback; built once (its SHA1 too), the client is
# passed per call.
_HIT = Script(None, _HIT_SCRIPT.encode())  # type: ignore[arg-type]


@dataclass(frozen=True)
class Rate:
    limit: int
    window: int  # seconds

    def __str__(self) -> str:
        return f"{self.limit}/{self.window}s"


@dataclass(frozen=True)
class RateLimitState:
    """What the X-RateLimit-* headers say about one counter."""

    limit: int
    used: int  # requests counted in this window, the current one included
    reset: int  # seconds until the window ends

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


@functools.lru_cache(maxsize=64)
def parse_rate(text: str) -> Rate:
    """``"1000/hour"``, ``"10/minute"``, ``"5/s"``, ``"100/day"`` -> Rate."""
    match = _RATE.match(text.lower()) if isinstance(text, str) else None
    if match is None or match.group(2) not in _PERIODS or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"Invalid rate {text!r}: expected '<requests>/<second|minute|hour|day>', "
            "for example '1000/hour'."
        )
    return Rate(limit=int(match.group(1)), window=_PERIODS[match.group(2)])


def configured_rate(setting_name: str) -> Rate:
    return parse_rate(getattr(settings, setting_name))


# --- Who is asking -------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting only ``TRUSTED_PROXY_COUNT`` proxy hops.

    Each trusted proxy appends the address it received the request from to
    X-Forwarded-For, so with N trusted proxies the client is the N-th entry
    from the right; anything further left was written by the client and is
    ignored. With 0 (the default), or a header that is missing, too short or
    not an address, the TCP peer (REMOTE_ADDR) is the client.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "") or "unknown"
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if hops <= 0:
        return remote_addr
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = [entry.strip() for entry in forwarded.split(",")] if forwarded else []
    if len(entries) < hops:
        return remote_addr
    candidate = entries[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr


def client_ip_key(address: str) -> str:
    """The counter's client part for an address.

    An IPv6 client gets a whole /64 from its provider, so it is counted per
    /64; otherwise one host could rotate addresses past any limit.
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed)


def user_client_key(user: Any) -> str:
    return public_id(PREFIXES["user"], user.pk)


def rate_limit_key(scope: str, client: str) -> str:
    """The contract's key name, before the deployment-wide prefix."""
    return f"rate_limit:{scope}:{client}"


# --- Counting ------------------------------------------------------------------


def _uses_redis() -> bool:
    from django_redis.cache import RedisCache

    return isinstance(caches[CACHE_ALIAS], RedisCache)


def rate_limit_hit(*, scope: str, client: str, rate: Rate) -> RateLimitState | None:
    """Count one request; None when the counter store is unreachable (fail open)."""
    key = rate_limit_key(scope, client)
    try:
        if _uses_redis():
            count, ttl = _redis_hit(key, rate)
        else:
            count, ttl = _cache_hit(key, rate)
    except REDIS_ERRORS as exc:
        logger.warning("Rate limiting skipped, counter store unavailable: %s", exc)
        return None
    return RateLimitState(limit=rate.limit, used=count, reset=ttl)


def rate_limit_peek(*, scope: str, client: str, rate: Rate) -> RateLimitState | None:
    """Read a counter without counting (responses no throttle saw)."""
    key = rate_limit_key(scope, client)
    try:
        if _uses_redis():
            count, ttl = _redis_peek(key, rate)
        else:
            count, ttl = _cache_peek(key, rate)
    except REDIS_ERRORS as exc:
        logger.warning("Rate limit counter unreadable: %s", exc)
        return None
    return RateLimitState(limit=rate.limit, used=count, reset=ttl)


def _redis_connection() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection(CACHE_ALIAS)


def _redis_hit(key: str, rate: Rate) -> tuple[int, int]:
    connection = _redis_connection()
    full_key = caches[CACHE_ALIAS].make_key(key)
    count, ttl = _HIT(keys=[full_key], args=[rate.window], client=connection)
    return int(count), max(1, int(ttl))


def _redis_peek(key: str, rate: Rate) -> tuple[int, int]:
    connection = _redis_connection()
    full_key = caches[CACHE_ALIAS].make_key(key)
    pipe = connection.pipeline(transaction=False)
    pipe.get(full_key)
    pipe.ttl(full_key)
    raw_count, ttl = pipe.execute()
    count = int(raw_count) if raw_count is not None else 0
    return count, int(ttl) if count and ttl > 0 else rate.window


def _cache_hit(key: str, rate: Rate) -> tuple[int, int]:
    cache = caches[CACHE_ALIAS]
    now = time.time()
    # The window's end lives beside the counter: a plain cache has no TTL query.
    cache.add(f"{key}:reset", now + rate.window, rate.window)
    cache.add(key, 0, rate.window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.add(key, 1, rate.window)
        count = 1
    reset_at = cache.get(f"{key}:reset", now + rate.window)
    return count, max(1, round(reset_at - now))


def _cache_peek(key: str, rate: Rate) -> tuple[int, int]:
    cache = caches[CACHE_ALIAS]
    now = time.time()
    count = cache.get(key, 0)
    reset_at = cache.get(f"{key}:reset")
    if not count or reset_at is None:
        return 0, rate.window
    return count, max(1, round(reset_at - now))


# --- DRF throttles -------------------------------------------------------------


class CountingThrottle(BaseThrottle):
    """Counts every request it sees; subclasses say which limit and which client."""

    scope: str = ""
    rate_setting: str = ""

    def __init__(self) -> None:
        self.rate = configured_rate(self.rate_setting)
        self.state: RateLimitState | None = None

    def get_client(self, request: Any) -> str:
        raise NotImplementedError

    def allow_request(self, request: Any, view: Any) -> bool:
        client = self.get_client(request)
        counted = _precounts(request).pop((self.scope, client), _NOT_COUNTED)
        if counted is _NOT_COUNTED:
            state = rate_limit_hit(scope=self.scope, client=client, rate=self.rate)
        else:  # counted in the view's own round trip (api_count_done)
            state = counted
        if state is None:  # fail open: the full quota, nothing counted
            state = RateLimitState(limit=self.rate.limit, used=0, reset=self.rate.window)
        self.state = state
        _record(request, state)
        return not state.exceeded

    def wait(self) -> float | None:
        return float(self.state.reset) if self.state is not None else None


class ApiRateThrottle(CountingThrottle):
    """RATE_LIMIT per authenticated user, or per client IP when anonymous."""

    scope = "api"
    rate_setting = "RATE_LIMIT"

    def get_client(self, request: Any) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user_client_key(user)
        return client_ip_key(client_ip(request))


class LoginRateThrottle(CountingThrottle):
    """LOGIN_RATE_LIMIT per client IP: login, register, password reset (brute force)."""

    scope = "login"
    rate_setting = "LOGIN_RATE_LIMIT"

    def get_client(self, request: Any) -> str:
        return client_ip_key(client_ip(request))


class WebhookRateThrottle(CountingThrottle):
    """WEBHOOK_RATE_LIMIT per client IP: the provider's callbacks, signed or not."""

    scope = "webhook"
    rate_setting = "WEBHOOK_RATE_LIMIT"

    def get_client(self, request: Any) -> str:
        return client_ip_key(client_ip(request))


# --- Counting in the caller's own round trip -------------------------------------
#
# A cached read (catalog.cache) costs one Redis round trip, the count included:
# the view runs COUNT_LUA inside its own read script before DRF checks the
# throttles, and hands over what it counted; the throttle then uses that state
# instead of counting again. Same counter, same TTL, same fail-open.

# Where precounted states wait for their throttle, keyed by (scope, client).
PRECOUNT_ATTRIBUTE = "rate_limit_precounts"
_NOT_COUNTED = object()


@dataclass(frozen=True)
class PendingCount:
    """The API limit's counter for this request: its full Redis key and window."""

    scope: str
    client: str
    rate: Rate
    key: str


def api_count_pending(request: Any) -> PendingCount | None:
    """The counter ``ApiRateThrottle`` would increment for this request, for a
    caller that increments it in its own script (COUNT_LUA); None when the
    counters do not live in Redis (the caller then leaves counting to the throttle)."""
    if not _uses_redis():
        return None
    throttle = ApiRateThrottle()
    client = throttle.get_client(request)
    key = caches[CACHE_ALIAS].make_key(rate_limit_key(throttle.scope, client))
    return PendingCount(scope=throttle.scope, client=client, rate=throttle.rate, key=key)


def api_count_done(request: Any, pending: PendingCount, count: Any, ttl: Any) -> None:
    """What the caller's script counted (``count``, ``ttl`` from COUNT_LUA)."""
    state = RateLimitState(limit=pending.rate.limit, used=int(count), reset=max(1, int(ttl)))
    _precounts(request)[(pending.scope, pending.client)] = state


def api_count_failed(request: Any, pending: PendingCount, exc: Exception) -> None:
    """The caller's script did not reach Redis: the throttle fails open, as when it counts."""
    logger.warning("Rate limiting skipped, counter store unavailable: %s", exc)
    _precounts(request)[(pending.scope, pending.client)] = None


def _precounts(request: Any) -> dict:
    django_request = getattr(request, "_request", request)
    found = django_request.__dict__.get(PRECOUNT_ATTRIBUTE)
    if found is None:
        found = {}
        setattr(django_request, PRECOUNT_ATTRIBUTE, found)
    return found


def _record(request: Any, state: RateLimitState) -> None:
    django_request = getattr(request, "_request", request)
    states = getattr(django_request, REQUEST_ATTRIBUTE, None)
    if states is None:
        states = []
        setattr(django_request, REQUEST_ATTRIBUTE, states)
    states.append(state)


# --- For the headers middleware -------------------------------------------------


def rate_limit_state_for(request: HttpRequest) -> RateLimitState:
    """The state the X-RateLimit-* headers of this response describe.

    The most restrictive counter a throttle saw; for a response no throttle
    saw (unknown path, 405, a crash, a view without throttles), the general
    counter of whoever asked, read without counting. (A 401 or 403 raised
    before throttling is counted: ecommerce.api.exceptions.)
    """
    states: list[RateLimitState] | None = getattr(request, REQUEST_ATTRIBUTE, None)
    if states:
        return min(states, key=lambda state: (state.remaining, -state.reset))
    rate = configured_rate(ApiRateThrottle.rate_setting)
    user = _api_authenticated_user(request)
    client = user_client_key(user) if user is not None else client_ip_key(client_ip(request))
    state = rate_limit_peek(scope=ApiRateThrottle.scope, client=client, rate=rate)
    if state is None:
        return RateLimitState(limit=rate.limit, used=0, reset=rate.window)
    return state


def _api_authenticated_user(request: HttpRequest) -> Any:
    """The user DRF authenticated for this request, if it got that far.

    DRF writes the user it authenticated onto the Django request; until then
    ``request.user`` is the session middleware's lazy object, which the API
    does not use (a staff member's admin cookie must not pick the counter).
    """
    user = request.__dict__.get("user")
    if user is None or isinstance(user, SimpleLazyObject):
        return None
    return user if user.is_authenticated else None
