"""The envelope, request ids and fallbacks that every endpoint relies on."""

import pytest

pytestmark = pytest.mark.django_db


def test_unknown_api_path_is_enveloped_404(api_client):
    response = api_client.get("/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "error": {"code": "not_found", "message": "No such endpoint.", "details": {}},
    }


def test_invalid_json_is_400_invalid_json(api_client):
    response = api_client.post("/v1/auth/login", data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_wrong_method_is_enveloped_405(api_client):
    response = api_client.delete("/v1/auth/login")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_request_id_is_echoed_when_sent(api_client):
    response = api_client.get("/health", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"


def test_request_id_is_generated_when_absent_or_unsafe(api_client):
    generated = api_client.get("/health")["X-Request-ID"]
    unsafe = api_client.get("/health", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert len(generated) == 32
    assert unsafe != "bad id\nwith newline"
    assert len(unsafe) == 32


def test_health_touches_nothing(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_database_and_redis(api_client):
    response = api_client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_json_content_type_has_charset(api_client):
    response = api_client.get("/v1/no-such-thing")
    assert response["Content-Type"] == "application/json; charset=utf-8"
