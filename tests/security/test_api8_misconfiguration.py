"""API8 security misconfiguration: headers, HTTPS, and errors that tell nothing.

Security headers on API and admin responses; with HTTPS_ONLY (the default
with DEBUG off) the SSL redirect, HSTS and secure cookies; and no error under
/v1, with DEBUG off or on, carries a stack trace, SQL or a secret. (CORS is in
test_api8_cors.py.)
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from tests.security.urls_crashing import SECRET_DETAIL

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
LEAK_MARKERS = ("Traceback", 'File "', "SELECT", "psycopg", "django.", SECRET_DETAIL)


# --- headers ------------------------------------------------------------------------------


def _assert_security_headers(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "path", ["/v1/products", "/v1/users/me", "/v1/no-such-route", "/v1/schema", "/v1/docs"]
)
def test_api_responses_carry_the_security_headers(path):
    _assert_security_headers(APIClient().get(path))


def test_an_api_error_from_a_token_carries_the_security_headers():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    _assert_security_headers(client.get("/v1/orders"))


@pytest.mark.parametrize("path", ["/admin/login/", "/admin/"])
def test_admin_responses_carry_the_security_headers(path):
    _assert_security_headers(Client().get(path))


def test_an_admin_page_for_staff_carries_the_security_headers(admin_user):
    client = Client()
    client.force_login(admin_user)

    _assert_security_headers(client.get("/admin/"))


def test_the_admin_session_cookie_is_http_only(admin_user, password):
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin_user.email, "password": password}
    )

    assert response.cookies["sessionid"]["httponly"]


@pytest.fixture
def https_only(settings):
    """What HTTPS_ONLY=1 sets (see the subprocess tests below for the link)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True


def test_with_https_only_plain_http_is_redirected_to_https(https_only):
    response = APIClient().get("/v1/products")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/v1/products"


def test_with_https_only_a_request_forwarded_as_https_is_served(https_only):
    response = APIClient().get("/v1/products", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 200


def test_with_https_only_https_responses_carry_hsts(https_only):
    response = APIClient().get("/v1/products", secure=True)

    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


def test_with_https_only_the_admin_cookies_are_secure(https_only, admin_user, password):
    client = Client()

    login_page = client.get("/admin/login/", secure=True)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": admin_user.email, "password": password},
        secure=True,
    )

    assert login_page.cookies["csrftoken"]["secure"]
    assert response.cookies["sessionid"]["secure"]


@pytest.mark.parametrize("path", ["/health", "/ready", "/metrics"])
def test_with_https_only_the_probes_are_not_redirected(https_only, path):
    # Kubelet and Prometheus speak plain HTTP to the pod.
    assert Client().get(path).status_code != 301


def _settings_values(**env_overrides: str) -> dict[str, str]:
    names = [
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "DEBUG",
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("HTTPS_ONLY", "DEBUG")}
    env.update(DJANGO_SETTINGS_MODULE="ecommerce.settings", **env_overrides)
    code = "from django.conf import settings as s; " + "; ".join(
        f"print('{name}=' + str(s.{name}))" for name in names
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=REPO,
        env=env,
    )
    return dict(line.split("=", 1) for line in result.stdout.split())


def test_https_only_is_on_by_default_with_debug_off():
    values = _settings_values()

    assert values == {
        "SECURE_SSL_REDIRECT": "True",
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "DEBUG": "False",
    }


def test_https_only_off_turns_redirect_cookies_and_hsts_off_together():
    values = _settings_values(HTTPS_ONLY="0")

    assert values["SECURE_SSL_REDIRECT"] == "False"
    assert values["SESSION_COOKIE_SECURE"] == "False"
    assert values["CSRF_COOKIE_SECURE"] == "False"
    assert values["SECURE_HSTS_SECONDS"] == "0"


# --- errors tell nothing ----------------------------------------------------------------


def _assert_tells_nothing(response) -> None:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["success"] is False
    assert set(body["error"]) == {"code", "message", "details"}
    text = response.content.decode()
    for marker in (*LEAK_MARKERS, django_settings.SECRET_KEY):
        assert marker not in text, marker


@pytest.fixture
def crash_client() -> APIClient:
    client = APIClient()
    client.raise_request_exception = False
    return client


@pytest.mark.urls("tests.security.urls_crashing")
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize(
    "path", ["/v1/test-crash-drf", "/v1/test-bad-sql", "/v1/test-crash-django"]
)
def test_a_crash_under_v1_is_an_envelope_without_trace_sql_or_secret(
    settings, crash_client, debug, path
):
    settings.DEBUG = debug

    response = crash_client.get(path)

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    _assert_tells_nothing(response)


@pytest.mark.urls("tests.security.urls_crashing")
def test_a_model_validation_error_in_a_write_is_a_400_naming_the_fields(db, crash_client):
    """No model ValidationError from any write path may become a 500: the handler maps it."""
    response = crash_client.post(
        "/v1/test-model-validation", {"email": "\u0130nes@shop.test"}, format="json"
    )

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"email", "phone"}
    _assert_tells_nothing(response)


@pytest.mark.urls("tests.security.urls_crashing")
def test_a_validation_error_without_fields_is_a_400_too(crash_client):
    response = crash_client.post("/v1/test-bare-validation", {}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"nonFieldErrors": ["Not acceptable input."]}


@pytest.mark.urls("tests.security.urls_crashing")
def test_a_crash_under_v1_with_debug_on_keeps_the_request_id(settings, crash_client):
    settings.DEBUG = True

    response = crash_client.get("/v1/test-crash-django", HTTP_X_REQUEST_ID="trace-me-1")

    assert response["X-Request-ID"] == "trace-me-1"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/v1/auth/login", "{not json", 400),
        ("post", "/v1/auth/login", '{"email": 1}', 400),
        ("get", "/v1/no-such-route", None, 404),
        ("delete", "/v1/orders", None, 401),
        ("get", "/v1/orders/ord_not-an-id", None, 401),
        ("get", "/v1/products/%00%ff", None, 404),
        ("get", "/v1/products?minPrice=x&limit=abc", None, 400),
    ],
)
def test_client_errors_tell_nothing_with_debug_off_or_on(
    settings, debug, method, path, body, status
):
    settings.DEBUG = debug
    client = APIClient()

    if body is None:
        response = getattr(client, method)(path)
    else:
        response = getattr(client, method)(path, body, content_type="application/json")

    assert response.status_code == status
    _assert_tells_nothing(response)


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_an_unknown_route_under_v1_does_not_list_the_url_patterns(settings, debug):
    settings.DEBUG = debug

    response = APIClient().get("/v1/nothing/here")

    assert response.status_code == 404
    assert "admin/" not in response.content.decode()
    _assert_tells_nothing(response)


def test_a_database_constraint_hit_is_a_clean_error(customer_client, customer, password):
    # A duplicate e-mail: 409, not the IntegrityError's text.
    from accounts.tests.factories import AdminFactory

    AdminFactory(email="taken@example.com")

    response = customer_client.patch(
        f"/v1/users/usr_{customer.id.hex}",
        {"email": "taken@example.com", "currentPassword": password},
        format="json",
    )

    assert response.status_code == 409
    _assert_tells_nothing(response)


def test_debug_is_off_in_the_test_settings_as_in_production():
    assert django_settings.DEBUG is False


def test_the_reset_link_ignores_a_forged_host(
    customer, run_jobs, mailoutbox, settings, django_capture_on_commit_callbacks
):
    # Password reset poisoning: the link comes from PASSWORD_RESET_URL, never the request.
    settings.PASSWORD_RESET_URL = "https://shop.example.com/reset-password?token={token}"
    with django_capture_on_commit_callbacks(execute=True):
        APIClient().post(
            "/v1/auth/password/reset",
            {"email": customer.email},
            format="json",
            HTTP_HOST="localhost",
            HTTP_X_FORWARDED_HOST="evil.example.net",
            HTTP_FORWARDED="host=evil.example.net",
        )
    run_jobs()

    (mail,) = mailoutbox
    assert "https://shop.example.com/reset-password?token=" in mail.body
    assert "evil.example.net" not in mail.body
    assert "localhost" not in mail.body


def test_a_host_not_allowed_is_refused_under_v1(db):
    response = APIClient().get("/v1/products", HTTP_HOST="evil.example.net")

    assert response.status_code == 400
    _assert_tells_nothing(response)
