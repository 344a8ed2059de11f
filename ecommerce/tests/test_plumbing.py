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


def test_schema_is_served_and_lists_the_auth_paths(api_client):
    response = api_client.get("/v1/schema", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/v1/auth/register",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/logout",
        "/v1/auth/logout-all",
        "/v1/auth/password/change",
        "/v1/auth/password/reset",
        "/v1/auth/password/reset/confirm",
        "/v1/users/me",
        "/v1/users/{user_id}",
        "/v1/users",
    ):
        assert path in paths


def test_schema_default_format_is_yaml_openapi_3(api_client):
    response = api_client.get("/v1/schema")

    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


@pytest.mark.parametrize(
    ("path", "query", "accept", "status", "code"),
    [
        ("/v1/schema", {}, "application/xml", 406, "not_acceptable"),
        ("/v1/schema", {}, "text/html", 406, "not_acceptable"),
        ("/v1/schema", {"format": "xml"}, None, 404, "not_found"),
    ],
)
def test_schema_and_docs_refuse_what_they_cannot_render_in_the_envelope(
    api_client, path, query, accept, status, code
):
    headers = {"HTTP_ACCEPT": accept} if accept else {}

    response = api_client.get(path, query, **headers)

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("path", ["/v1/schema", "/v1/docs"])
def test_schema_and_docs_over_the_rate_limit_answer_an_enveloped_429(api_client, settings, path):
    settings.RATE_LIMIT = "1/minute"
    api_client.get(path)

    response = api_client.get(path)

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"


def test_docs_page_is_html(api_client):
    response = api_client.get("/v1/docs", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_schema_documents_each_route_once_without_the_trailing_slash(api_client):
    paths = api_client.get("/v1/schema", {"format": "json"}).json()["paths"]

    assert not [path for path in paths if path.endswith("/")]


def test_schema_wraps_success_bodies_in_the_envelope(api_client):
    paths = api_client.get("/v1/schema", {"format": "json"}).json()["paths"]

    login = paths["/v1/auth/login"]["post"]["responses"]
    schema = login["200"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"success", "data"}
    assert login["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")


def test_schema_marks_login_public_and_me_protected(api_client):
    paths = api_client.get("/v1/schema", {"format": "json"}).json()["paths"]

    assert paths["/v1/auth/login"]["post"].get("security") in (None, [], [{}])
    assert {"jwtAuth": []} in paths["/v1/users/me"]["get"]["security"]


def test_docs_page_uses_local_static_assets_not_a_cdn(api_client):
    response = api_client.get("/v1/docs")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "//cdn."):
        assert cdn not in html


def test_docs_static_assets_are_served_by_the_project(api_client):
    html = api_client.get("/v1/docs").content.decode()
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert bundle in html

    response = api_client.get(bundle)

    assert response.status_code == 200


def test_errors_of_list_items_are_rendered_with_their_index(customer_client, make_product):
    product = make_product()
    response = customer_client.post(
        "/v1/orders",
        {
            "items": [
                {"productId": f"prod_{product.id.hex}", "quantity": 1},
                {"productId": f"prod_{product.id.hex}", "quantity": 0},
            ],
            "shippingAddress": {
                "street": "1 Main St",
                "city": "Springfield",
                "zip": "12345",
                "country": "US",
            },
            "paymentMethod": "card",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"]["items"][1]["quantity"]


def test_openapi_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = out.read_text()
    for path in ("/v1/orders:", "/v1/products:", "/v1/payments/{payment_id}/refund:"):
        assert path in schema


def test_the_api_answers_json_whatever_the_client_accepts(api_client):
    response = api_client.get("/v1/products", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_the_schema_is_still_negotiated(api_client):
    response = api_client.get("/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_api_requests_get_no_session_cookie_and_no_session_lookup(customer_client):
    response = customer_client.get("/v1/users/me")

    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert not hasattr(response.wsgi_request, "session")
