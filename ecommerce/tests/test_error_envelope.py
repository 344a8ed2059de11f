"""Errors from every layer under /v1 leave in the envelope, with no trace in them.

DRF's own errors are covered by the endpoint tests; these are the layers
around DRF: Django's 400 (a Host not allowed), CSRF, bodies over
MAX_BODY_BYTES, crashes outside and inside DRF views.
"""

import io

import pytest
from django.test import Client
from rest_framework.test import APIClient

from ecommerce.api.parsers import JSONParser, PayloadTooLarge

pytestmark = pytest.mark.django_db

TRACE_MARKERS = ("Traceback", "secret-detail", "SELECT", "RuntimeError")


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert set(body["error"]) == {"code", "message", "details"}
    assert len(response["X-Request-ID"]) == 32
    for marker in TRACE_MARKERS:
        assert marker not in response.content.decode()
    return body


# --- unknown paths, any method ----------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/v1/no-such-thing", "/v1/no-such-thing/", "/v1", "/v1/"])
def test_a_write_to_an_unknown_api_path_is_an_enveloped_404_not_a_csrf_403(method, path):
    # Client, not APIClient: it enforces CSRF checks like a browser's request would.
    client = Client(enforce_csrf_checks=True)

    response = getattr(client, method)(path, b"{}", content_type="application/json")

    assert_envelope(response, 404, "not_found")


# --- Django's 400 -------------------------------------------------------------------


def test_a_host_not_allowed_is_an_enveloped_400_under_v1(api_client):
    response = api_client.get("/v1/products", HTTP_HOST="evil.example")

    assert_envelope(response, 400, "bad_request")


def test_a_host_not_allowed_outside_the_api_keeps_djangos_page(client):
    response = client.get("/admin/login/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# --- bodies over MAX_BODY_BYTES ---------------------------------------------------------


@pytest.fixture
def small_body_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.LOGIN_RATE_LIMIT = "1000/minute"


def login_body(size: int) -> bytes:
    padding = "x" * (size - len(b'{"email": "", "password": "p"}'))
    body = f'{{"email": "{padding}", "password": "p"}}'.encode()
    assert len(body) == size
    return body


@pytest.mark.usefixtures("small_body_limit")
def test_a_json_body_over_max_body_bytes_is_413_payload_too_large(api_client):
    response = api_client.post("/v1/auth/login", login_body(1001), content_type="application/json")

    assert_envelope(response, 413, "payload_too_large")


@pytest.mark.usefixtures("small_body_limit")
def test_a_json_body_of_exactly_max_body_bytes_is_parsed(api_client):
    response = api_client.post("/v1/auth/login", login_body(1000), content_type="application/json")

    # Parsed and validated: the e-mail is too long, which the serializer says.
    assert_envelope(response, 400, "validation_error")


@pytest.mark.usefixtures("small_body_limit")
def test_a_raw_body_over_max_body_bytes_is_413_too(api_client):
    # The webhook reads request.body itself (for its signature): Django's limit.
    response = api_client.post(
        "/v1/payments/webhook", b"{" + b" " * 2000 + b"}", content_type="application/json"
    )

    assert_envelope(response, 413, "payload_too_large")


def test_the_json_parser_stops_at_the_limit_without_a_content_length(settings):
    # A chunked body has no Content-Length: the parser reads limit + 1 bytes and stops.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    stream = io.BytesIO(b'{"a": "' + b"x" * 10_000 + b'"}')

    with pytest.raises(PayloadTooLarge):
        JSONParser().parse(stream, "application/json", {"request": None})

    assert stream.tell() == 11


def test_the_json_parser_parses_a_body_under_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    parsed = JSONParser().parse(io.BytesIO(b'{"a": [1, 2]}'), "application/json", {})

    assert parsed == {"a": [1, 2]}


@pytest.mark.urls("ecommerce.tests.urls_failing")
@pytest.mark.usefixtures("small_body_limit")
def test_a_body_over_the_limit_read_outside_drf_is_an_enveloped_413(api_client):
    response = api_client.post(
        "/v1/test-read-body", b"x" * 1001, content_type="application/octet-stream"
    )

    assert_envelope(response, 413, "payload_too_large")


# --- crashes -------------------------------------------------------------------------------


@pytest.fixture
def crash_client() -> APIClient:
    client = APIClient()
    client.raise_request_exception = False
    return client


@pytest.mark.urls("ecommerce.tests.urls_failing")
def test_a_crash_in_an_api_view_is_an_enveloped_500_without_the_trace(crash_client):
    response = crash_client.get("/v1/test-crash-drf")

    assert_envelope(response, 500, "server_error")
    assert response["X-RateLimit-Limit"].isdigit()


@pytest.mark.urls("ecommerce.tests.urls_failing")
def test_a_crash_outside_drf_under_v1_is_an_enveloped_500_without_the_trace(crash_client):
    response = crash_client.get("/v1/test-crash-django")

    assert_envelope(response, 500, "server_error")


@pytest.mark.urls("ecommerce.tests.urls_failing")
def test_a_crash_outside_the_api_keeps_djangos_page(crash_client):
    response = crash_client.get("/test-crash-django")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "secret-detail" not in response.content.decode()
