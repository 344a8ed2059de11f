"""API8 security misconfiguration: the CORS policy comes from CORS_ALLOWED_ORIGINS.

Browsers on the listed origins may call /v1 with the headers the API needs;
every other origin, and every path outside /v1 (admin, probes, metrics), gets
no CORS header at all, so the browser keeps the response from the page.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
ALLOWED = "https://shop.example.com"
REFUSED = "https://evil.example.net"


@pytest.fixture(autouse=True)
def _allowed_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]


def _header_names(value: str) -> set[str]:
    return {name.strip().lower() for name in value.split(",")}


def test_an_allowed_origin_may_read_api_responses(api_client):
    response = api_client.get("/v1/products", HTTP_ORIGIN=ALLOWED)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED


def test_api_responses_expose_the_headers_clients_need(api_client):
    response = api_client.get("/v1/products", HTTP_ORIGIN=ALLOWED)

    exposed = _header_names(response["Access-Control-Expose-Headers"])
    assert {
        "x-request-id",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "retry-after",
        "etag",
        "x-cache",
    } <= exposed


def test_an_error_response_carries_cors_headers_for_an_allowed_origin(api_client):
    # A browser app must be able to read the envelope of a refusal, not only successes.
    response = api_client.get("/v1/users/me", HTTP_ORIGIN=ALLOWED)

    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == ALLOWED


def test_a_refused_origin_gets_no_cors_header(api_client):
    response = api_client.get("/v1/products", HTTP_ORIGIN=REFUSED)

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Expose-Headers" not in response


def test_an_origin_differing_only_by_scheme_is_refused(api_client):
    response = api_client.get("/v1/products", HTTP_ORIGIN="http://shop.example.com")

    assert "Access-Control-Allow-Origin" not in response


def test_the_null_origin_is_refused(api_client):
    # Sandboxed iframes and file:// pages send "null": never trusted.
    response = api_client.get("/v1/products", HTTP_ORIGIN="null")

    assert "Access-Control-Allow-Origin" not in response


def test_credentials_are_never_allowed_cross_origin(api_client):
    response = api_client.get("/v1/products", HTTP_ORIGIN=ALLOWED)

    assert "Access-Control-Allow-Credentials" not in response


def test_api_responses_vary_on_origin(api_client):
    # A shared cache must not hand one origin's CORS answer to another.
    response = api_client.get("/v1/products", HTTP_ORIGIN=REFUSED)

    assert "origin" in _header_names(response["Vary"])


def test_a_preflight_from_an_allowed_origin_allows_the_api_headers(api_client):
    response = api_client.options(
        "/v1/orders",
        HTTP_ORIGIN=ALLOWED,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert _header_names(response["Access-Control-Allow-Headers"]) == {
        "authorization",
        "content-type",
        "idempotency-key",
        "if-none-match",
        "x-request-id",
    }
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert int(response["Access-Control-Max-Age"]) > 0


def test_a_preflight_from_a_refused_origin_allows_nothing(api_client):
    response = api_client.options(
        "/v1/orders",
        HTTP_ORIGIN=REFUSED,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Headers" not in response
    assert "Access-Control-Allow-Methods" not in response


def test_a_preflight_needs_no_token_and_runs_no_view(api_client):
    # The browser sends preflights without credentials: a 401 would break every call.
    response = api_client.options(
        "/v1/users/me", HTTP_ORIGIN=ALLOWED, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )

    assert response.status_code == 200
    assert response.content == b""
    assert response["X-Request-ID"]


@pytest.mark.parametrize("path", ["/admin/login/", "/health", "/metrics"])
def test_paths_outside_the_api_get_no_cors_header_even_for_an_allowed_origin(client, path):
    response = client.get(path, HTTP_ORIGIN=ALLOWED)

    assert "Access-Control-Allow-Origin" not in response


def test_an_admin_preflight_is_not_answered(client):
    response = client.options(
        "/admin/login/", HTTP_ORIGIN=ALLOWED, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )

    assert "Access-Control-Allow-Origin" not in response


def test_no_origin_is_allowed_when_none_is_configured(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = []

    response = api_client.get("/v1/products", HTTP_ORIGIN=ALLOWED)

    assert "Access-Control-Allow-Origin" not in response


def _settings_value(expression: str, **env_overrides: str) -> str:
    env = {key: value for key, value in os.environ.items() if key != "CORS_ALLOWED_ORIGINS"}
    env.update(DJANGO_SETTINGS_MODULE="ecommerce.settings", **env_overrides)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"from django.conf import settings; print({expression})"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=REPO,
        env=env,
    )
    return result.stdout.strip()


def test_cors_allowed_origins_defaults_to_none():
    assert _settings_value("settings.CORS_ALLOWED_ORIGINS") == "[]"


def test_cors_allowed_origins_is_read_from_the_environment():
    value = _settings_value(
        "settings.CORS_ALLOWED_ORIGINS",
        CORS_ALLOWED_ORIGINS="https://shop.example.com,https://admin.example.com",
    )

    assert value == "['https://shop.example.com', 'https://admin.example.com']"


def test_a_malformed_cors_origin_fails_the_system_check():
    # An origin with a path is a typo that would silently allow nothing: caught at deploy.
    env = {key: value for key, value in os.environ.items() if key != "CORS_ALLOWED_ORIGINS"}
    env.update(DJANGO_SETTINGS_MODULE="ecommerce.settings", CORS_ALLOWED_ORIGINS="shop.example.com")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO,
        env=env,
    )

    # Refused before Django's checks run (ecommerce.config), with one line.
    assert result.returncode == 2
    assert result.stderr.startswith('CORS_ALLOWED_ORIGINS: "shop.example.com" is not')
