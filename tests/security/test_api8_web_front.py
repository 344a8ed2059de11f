"""API8 security misconfiguration, at the pod's front door: the image's web role.

The review found gunicorn trusting forwarded headers from anyone
(``forwarded_allow_ips="*"``): a client could set ``SCRIPT_NAME`` and rewrite
every URL the admin builds, claim HTTPS with ``X-Forwarded-Proto``, and pick
the address its rate limits count with ``X-Forwarded-For``. It also found
gunicorn's HTML 400 for an over-long request line and ``Server: gunicorn``.

These run the real web role (``docker/entrypoint.sh web``: nginx in front of
gunicorn, production settings) and send the requests over loopback. The
peer, 127.0.0.1, is made untrusted by ``TRUSTED_PROXY_NETWORKS`` naming
another network, as a client reaching a pod directly would be.
"""

import http.client
import json
import socket

import pytest

# The servers read the test database (and the test reads nothing they write).
pytestmark = [pytest.mark.drill, pytest.mark.django_db]

ELSEWHERE = "192.0.2.0/24"  # TEST-NET-1: not where these requests come from
LOOPBACK = "127.0.0.0/8"
# The two servers most tests share: loopback untrusted (a client reaching the
# pod directly), and loopback trusted (the ingress).
PLAIN = {
    "TRUSTED_PROXY_NETWORKS": ELSEWHERE,
    "TRUSTED_PROXY_COUNT": "1",
    "MAX_BODY_BYTES": "1024",  # the least the variable takes
}
TRUSTED = {"TRUSTED_PROXY_NETWORKS": LOOPBACK, "TRUSTED_PROXY_COUNT": "1"}


def raw_request(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def assert_envelope(status: int, headers: dict[str, str], body: bytes, code: str) -> None:
    assert headers["content-type"].startswith("application/json"), (status, body[:200])
    document = json.loads(body)
    assert document["success"] is False
    assert document["error"]["code"] == code


# --- item 6: forwarded headers only from TRUSTED_PROXY_NETWORKS -----------------------------


def test_a_client_cannot_set_script_name_and_rewrite_the_admin_urls(web_role):
    server = web_role(**PLAIN)

    reply = server.call("GET", "/zz/admin/login/", headers={"SCRIPT_NAME": "/zz"})

    assert reply.status == 404
    page = server.call("GET", "/admin/login/", headers={"SCRIPT_NAME": "/zz"})
    assert page.status == 200
    assert 'action="/admin/login/' in page.body
    assert "/zz/" not in page.body


def test_even_a_trusted_proxy_cannot_set_script_name(web_role):
    server = web_role(**TRUSTED)

    assert server.call("GET", "/zz/admin/login/", headers={"SCRIPT_NAME": "/zz"}).status == 404


def test_x_forwarded_proto_from_an_untrusted_peer_is_not_https(web_role):
    server = web_role(TRUSTED_PROXY_NETWORKS=ELSEWHERE, HTTPS_ONLY="1")

    reply = server.call("GET", "/v1/products", headers={"X-Forwarded-Proto": "https"})

    # Plain HTTP as far as the app can tell: redirected, as any plain request is.
    assert reply.status == 301
    assert reply.headers["location"].startswith("https://")


def test_x_forwarded_proto_from_the_trusted_ingress_is_https(web_role):
    server = web_role(TRUSTED_PROXY_NETWORKS=LOOPBACK, HTTPS_ONLY="1")

    reply = server.call("GET", "/v1/products", headers={"X-Forwarded-Proto": "https"})

    assert reply.status == 200
    assert "strict-transport-security" in reply.headers


def _rate_limit_clients(web_role) -> set[str]:
    client = web_role.redis.client()
    try:
        return {key.decode().split(":", 2)[2] for key in client.keys("rate_limit:api:*")}
    finally:
        client.connection_pool.disconnect()


def test_an_untrusted_peer_cannot_pick_its_rate_limit_address(web_role):
    server = web_role(**PLAIN)

    reply = server.call("GET", "/v1/products", headers={"X-Forwarded-For": "203.0.113.9"})

    assert reply.status == 200
    counted = _rate_limit_clients(web_role)
    assert "127.0.0.1" in counted
    assert "203.0.113.9" not in counted


def test_the_trusted_ingress_names_the_client_address(web_role):
    server = web_role(**TRUSTED)

    reply = server.call("GET", "/v1/products", headers={"X-Forwarded-For": "203.0.113.10"})

    assert reply.status == 200
    assert "203.0.113.10" in _rate_limit_clients(web_role)


def test_metrics_still_refuse_a_proxied_caller_from_an_untrusted_peer(web_role):
    """Dropping an untrusted peer's X-Forwarded-For must not make it look direct."""
    server = web_role(**PLAIN)

    assert server.call("GET", "/metrics").status == 200
    proxied = server.call("GET", "/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status == 403


# --- item 7: what the front door tells about itself ----------------------------------------


def test_no_response_names_the_server_software(web_role):
    server = web_role(**PLAIN)

    for path in ("/health", "/v1/products", "/v1/nope", "/admin/login/"):
        reply = server.call("GET", path)
        assert reply.status is not None, reply.error
        assert "server" not in reply.headers, (path, reply.headers.get("server"))


def _get_line(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()


def test_a_request_line_gunicorn_alone_refused_reaches_the_app(web_role):
    """Over gunicorn's default 4094 bytes, under nginx's 8 KiB: the app answers."""
    server = web_role(**PLAIN)

    status, headers, body = raw_request(server.port, _get_line("/v1/nope?q=" + "a" * 5000))

    assert status == 404
    assert_envelope(status, headers, body, "not_found")


def test_an_over_long_request_line_is_answered_in_the_envelope(web_role):
    server = web_role(**PLAIN)

    status, headers, body = raw_request(server.port, _get_line("/v1/products?q=" + "a" * 10000))

    assert status == 400
    assert_envelope(status, headers, body, "bad_request")
    assert "server" not in headers


@pytest.mark.parametrize("method", ["GE", "A" * 21], ids=["short", "long"])
def test_a_method_gunicorn_refuses_is_answered_in_the_envelope(web_role, method):
    server = web_role(**PLAIN)

    status, headers, body = raw_request(
        server.port, f"{method} /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    )

    assert status == 400
    assert_envelope(status, headers, body, "bad_request")


def test_an_over_long_header_is_answered_in_the_envelope(web_role):
    server = web_role(**PLAIN)
    request = (
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 9000 + b"\r\n"
        b"Connection: close\r\n\r\n"
    )

    status, headers, body = raw_request(server.port, request)

    assert status == 400
    assert_envelope(status, headers, body, "bad_request")
    assert "server" not in headers


def test_many_headers_are_not_gunicorns_html_400(web_role):
    server = web_role(**PLAIN)
    extra = b"".join(f"X-H{n}: {n}\r\n".encode() for n in range(150))
    request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + b"Connection: close\r\n\r\n"

    status, headers, _ = raw_request(server.port, request)

    assert status == 200
    assert headers["content-type"].startswith("application/json")


def test_a_malformed_request_is_answered_in_the_envelope(web_role):
    server = web_role(**PLAIN)

    status, headers, body = raw_request(server.port, b"NOT A REQUEST\r\n\r\n")

    assert status == 400
    assert_envelope(status, headers, body, "bad_request")


def test_a_body_over_the_limit_is_refused_in_the_envelope_before_it_is_read(web_role):
    server = web_role(**PLAIN)
    request = (
        b"POST /v1/auth/refresh HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n"
    )

    status, headers, body = raw_request(server.port, request)

    assert status == 413
    assert_envelope(status, headers, body, "payload_too_large")
