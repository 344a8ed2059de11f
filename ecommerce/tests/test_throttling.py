"""Rate limits: atomic counters in Redis, headers on every /v1 response, 429s."""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test import RequestFactory
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from ecommerce.api.ids import public_id
from ecommerce.ratelimit.throttling import (
    Rate,
    client_ip,
    client_ip_key,
    parse_rate,
    rate_limit_hit,
)

ME = "/v1/users/me"
LOGIN = "/v1/auth/login"
REGISTER = "/v1/auth/register"
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@pytest.fixture(autouse=True)
def _contract_default_limits(settings):
    """The contract's defaults, whatever the environment running the tests sets."""
    settings.RATE_LIMIT = "1000/hour"
    settings.LOGIN_RATE_LIMIT = "10/minute"
    settings.TRUSTED_PROXY_COUNT = 0


def redis_key(key: str) -> str:
    """The key as stored, with the deployment-wide prefix the cache adds."""
    return caches["default"].make_key(key)


def login_attempt(client: APIClient, **extra):
    return client.post(
        LOGIN, {"email": "nobody@example.com", "password": "wrong-password"}, format="json", **extra
    )


# --- rates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1000/hour", Rate(1000, 3600)),
        ("10/minute", Rate(10, 60)),
        ("5/s", Rate(5, 1)),
        ("100/day", Rate(100, 86400)),
        (" 20 / Minutes ", Rate(20, 60)),
    ],
)
def test_rates_are_parsed_from_setting_strings(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["", "1000", "abc/hour", "10/fortnight", "0/hour", "-1/hour"])
def test_a_malformed_rate_is_a_configuration_error(text):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(text)


# --- headers ---------------------------------------------------------------------


def test_a_v1_response_carries_limit_remaining_and_reset(customer_client):
    response = customer_client.get(ME)

    assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == "1000"
    assert response["X-RateLimit-Remaining"] == "999"
    assert 3590 <= int(response["X-RateLimit-Reset"]) <= 3600


def test_remaining_goes_down_by_one_per_request(customer_client):
    remaining = [int(customer_client.get(ME)["X-RateLimit-Remaining"]) for _ in range(3)]

    assert remaining == [999, 998, 997]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", ME, 401),  # refused by DRF before its throttles run
        ("get", "/v1/no-such-endpoint", 404),
        ("delete", "/v1/auth/login", 405),
        ("post", LOGIN, 400),
    ],
)
def test_error_responses_carry_the_headers_too(api_client, method, path, status):
    response = getattr(api_client, method)(path, {}, format="json")

    assert response.status_code == status
    for header in RATE_HEADERS:
        assert response[header].isdigit(), header


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health", "/ready", "/admin/login/"])
@pytest.mark.usefixtures("plain_static_storage")
def test_probes_and_the_admin_carry_no_rate_limit_headers(client, path):
    response = client.get(path)

    assert response.status_code in (200, 503)
    for header in RATE_HEADERS:
        assert header not in response


def test_a_response_no_throttle_saw_reports_the_counter_without_spending_it(api_client, db):
    api_client.get("/v1/no-such-endpoint")
    api_client.get("/v1/no-such-endpoint")

    response = api_client.get("/v1/no-such-endpoint")

    assert response["X-RateLimit-Remaining"] == "1000"
    assert not get_redis_connection("default").exists(redis_key("rate_limit:api:127.0.0.1"))


# --- the limit -------------------------------------------------------------------


def test_requests_over_the_limit_get_429_rate_limited_with_retry_after(customer_client, settings):
    settings.RATE_LIMIT = "3/hour"
    statuses = [customer_client.get(ME).status_code for _ in range(3)]

    response = customer_client.get(ME)

    assert statuses == [200, 200, 200]
    assert response.status_code == 429
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "rate_limited"
    assert 3590 <= int(response["Retry-After"]) <= 3600
    assert response["X-RateLimit-Limit"] == "3"
    assert response["X-RateLimit-Remaining"] == "0"
    assert response["X-RateLimit-Reset"] == response["Retry-After"]


def test_the_counter_is_rate_limit_scope_client_with_a_ttl_of_one_window(customer_client, customer):
    customer_client.get(ME)

    redis = get_redis_connection("default")
    key = redis_key(f"rate_limit:api:{public_id('usr', customer.pk)}")
    assert int(redis.get(key)) == 1
    assert 3590 <= redis.ttl(key) <= 3600


def test_an_anonymous_counter_is_keyed_by_client_ip(api_client, db):
    api_client.post(REGISTER, {}, format="json", REMOTE_ADDR="203.0.113.7")
    api_client.get("/v1/products", REMOTE_ADDR="203.0.113.7")

    redis = get_redis_connection("default")
    assert int(redis.get(redis_key("rate_limit:api:203.0.113.7"))) == 1
    assert 3590 <= redis.ttl(redis_key("rate_limit:api:203.0.113.7")) <= 3600


def test_each_user_has_their_own_quota_on_a_shared_ip(client_for, settings, db):
    settings.RATE_LIMIT = "2/hour"
    first, second = client_for(UserFactory()), client_for(UserFactory())
    first.get(ME)
    first.get(ME)

    assert first.get(ME).status_code == 429
    assert second.get(ME).status_code == 200


def test_a_user_is_not_limited_by_anonymous_traffic_from_the_same_ip(
    api_client, customer_client, settings
):
    settings.RATE_LIMIT = "2/hour"
    for _ in range(3):
        api_client.get("/v1/products")

    assert api_client.get("/v1/products").status_code == 429
    assert customer_client.get(ME).status_code == 200


def test_anonymous_clients_are_counted_per_ip(api_client, settings, db):
    settings.RATE_LIMIT = "1/hour"
    api_client.get("/v1/products", REMOTE_ADDR="198.51.100.1")

    assert api_client.get("/v1/products", REMOTE_ADDR="198.51.100.1").status_code == 429
    assert api_client.get("/v1/products", REMOTE_ADDR="198.51.100.2").status_code == 200


def test_without_redis_the_local_memory_cache_counts(customer_client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttling-test",
            "KEY_FUNCTION": "ecommerce.cache.keys.make_key",
        },
        "sessions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    settings.RATE_LIMIT = "2/hour"
    first, second = customer_client.get(ME), customer_client.get(ME)

    third = customer_client.get(ME)

    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert first["X-RateLimit-Remaining"] == "1"
    assert 3590 <= int(third["Retry-After"]) <= 3600


# --- refusals before throttling ----------------------------------------------------


def test_anonymous_calls_to_protected_endpoints_spend_the_ip_quota(api_client, settings, db):
    settings.RATE_LIMIT = "2/hour"
    statuses = [api_client.get(ME).status_code for _ in range(2)]

    response = api_client.get(ME)

    assert statuses == [401, 401]
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert 3590 <= int(response["Retry-After"]) <= 3600
    assert int(get_redis_connection("default").get(redis_key("rate_limit:api:127.0.0.1"))) == 3


def test_each_refused_call_shows_the_quota_going_down(api_client, db):
    remaining = [int(api_client.get(ME)["X-RateLimit-Remaining"]) for _ in range(3)]

    assert remaining == [999, 998, 997]


def test_calls_with_an_invalid_token_spend_the_ip_quota(api_client, settings, db):
    settings.RATE_LIMIT = "1/hour"
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    first = api_client.get(ME)

    second = api_client.get(ME)

    assert first.json()["error"]["code"] == "token_invalid"
    assert second.status_code == 429


def test_a_customer_refused_an_admin_endpoint_spends_their_own_quota(
    customer_client, customer, settings
):
    settings.RATE_LIMIT = "2/hour"
    refused = customer_client.get("/v1/users")

    allowed = customer_client.get(ME)
    over = customer_client.get("/v1/users")

    assert refused.status_code == 403
    assert allowed.status_code == 200
    assert over.status_code == 429
    key = redis_key(f"rate_limit:api:{public_id('usr', customer.pk)}")
    assert int(get_redis_connection("default").get(key)) == 3


@pytest.mark.urls("ecommerce.tests.urls_failing")
def test_a_refusal_from_inside_the_view_is_counted_once(api_client, db):
    response = api_client.get("/v1/test-refuse-in-view")

    assert response.status_code == 403
    assert response["X-RateLimit-Remaining"] == "999"
    assert int(get_redis_connection("default").get(redis_key("rate_limit:api:127.0.0.1"))) == 1


# --- concurrency -------------------------------------------------------------------


def test_parallel_increments_are_never_lost():
    rate = Rate(limit=1000, window=3600)
    barrier = threading.Barrier(8)

    def hits(_: int) -> list[int]:
        barrier.wait()
        return [rate_limit_hit(scope="test", client="parallel", rate=rate).used for _ in range(25)]  # type: ignore[union-attr]

    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = [count for batch in pool.map(hits, range(8)) for count in batch]

    assert sorted(seen) == list(range(1, 201))


@pytest.mark.django_db(transaction=True)
def test_parallel_clients_get_exactly_the_limit_through(settings):
    settings.RATE_LIMIT = "15/hour"
    user = UserFactory()
    from accounts.tokens import token_pair_issue

    token = token_pair_issue(user=user).access
    barrier = threading.Barrier(8)

    def burst(_: int) -> list[int]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        barrier.wait()
        try:
            return [client.get(ME).status_code for _ in range(3)]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [status for batch in pool.map(burst, range(8)) for status in batch]

    assert statuses.count(200) == 15
    assert statuses.count(429) == 24 - 15


# --- client address ---------------------------------------------------------------


def request_from(remote_addr: str, forwarded: str | None = None):
    extra: dict[str, Any] = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/v1/products", **extra)


def test_x_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(request_from("10.0.0.5", "203.0.113.9")) == "10.0.0.5"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        # The client wrote the left entry itself; the proxy appended the real one.
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        (2, "1.2.3.4, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_is_the_entry_trusted_hops_from_the_right(settings, hops, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = hops

    assert client_ip(request_from("10.0.0.1", forwarded)) == expected


@pytest.mark.parametrize("forwarded", [None, "", "not-an-ip", "203.0.113.9, garbage", " , "])
def test_a_missing_short_or_malformed_forwarded_header_falls_back_to_the_peer(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(request_from("10.0.0.1", forwarded)) == "10.0.0.1"


def test_fewer_forwarded_entries_than_trusted_hops_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_ip(request_from("10.0.0.1", "203.0.113.9")) == "10.0.0.1"


def test_a_spoofed_forwarded_header_does_not_buy_a_fresh_quota(api_client, settings, db):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.RATE_LIMIT = "1/hour"
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    api_client.get("/v1/products", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)

    spoofed = api_client.get(
        "/v1/products", HTTP_X_FORWARDED_FOR="198.51.100.77, 203.0.113.9", **proxy
    )
    other_client = api_client.get("/v1/products", HTTP_X_FORWARDED_FOR="203.0.113.10", **proxy)

    assert spoofed.status_code == 429
    assert other_client.status_code == 200


def test_ipv6_clients_are_counted_per_64_network():
    assert client_ip_key("2001:db8:1:2:aaaa::1") == client_ip_key("2001:db8:1:2:bbbb::9")
    assert client_ip_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_ip_key("2001:db8:1:3::1") != client_ip_key("2001:db8:1:2::1")
    assert client_ip_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert client_ip_key("203.0.113.9") == "203.0.113.9"


# --- login and register -------------------------------------------------------------


def test_the_eleventh_login_attempt_in_a_minute_is_refused(api_client, db):
    statuses = [login_attempt(api_client).status_code for _ in range(10)]

    response = login_attempt(api_client)

    assert statuses == [401] * 10
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["X-RateLimit-Limit"] == "10"


def test_a_refused_login_is_refused_even_with_the_right_password(api_client, customer):
    for _ in range(10):
        login_attempt(api_client)

    response = api_client.post(
        LOGIN, {"email": customer.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 429


def test_login_and_register_share_the_per_ip_login_limit(api_client, settings, db):
    settings.LOGIN_RATE_LIMIT = "3/minute"
    login_attempt(api_client)
    login_attempt(api_client)
    api_client.post(REGISTER, {}, format="json")

    assert api_client.post(REGISTER, {}, format="json").status_code == 429
    assert login_attempt(api_client).status_code == 429
    assert login_attempt(api_client, REMOTE_ADDR="198.51.100.3").status_code == 401


def test_login_attempts_do_not_spend_the_general_limit(api_client, db):
    response = login_attempt(api_client)

    redis = get_redis_connection("default")
    assert response["X-RateLimit-Limit"] == "10"
    assert response["X-RateLimit-Remaining"] == "9"
    assert 50 <= int(response["X-RateLimit-Reset"]) <= 60
    assert int(redis.get(redis_key("rate_limit:login:127.0.0.1"))) == 1
    assert 50 <= redis.ttl(redis_key("rate_limit:login:127.0.0.1")) <= 60
    assert not redis.exists(redis_key("rate_limit:api:127.0.0.1"))


def test_the_login_limit_does_not_touch_other_endpoints(api_client, settings, db):
    settings.LOGIN_RATE_LIMIT = "1/minute"
    login_attempt(api_client)

    assert login_attempt(api_client).status_code == 429
    assert api_client.get("/v1/products").status_code == 200
