"""API7 server-side request forgery: image URLs are data, never fetched.

The server stores product image URLs and hands them to clients; it never
opens them (no thumbnailing, validation by fetch, or webhooks to them). A
canary HTTP server and a canary host name prove that no product write, read
or background job dials out. Validation keeps the URLs harmless for the
clients that will fetch them: http(s) only, no credentials, bounded length.
"""

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest
from django.test import Client

from catalog.models import Product

pytestmark = pytest.mark.django_db

CANARY_HOST = "ssrf-canary.invalid"


class _CountingHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.connections += 1  # type: ignore[attr-defined]


@pytest.fixture
def canary_server() -> Iterator[socketserver.TCPServer]:
    """A real TCP server on localhost that counts who connects to it."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _CountingHandler)
    server.connections = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def name_lookups(monkeypatch) -> list[str]:
    """Host names the process resolves (the call still goes through)."""
    looked_up: list[str] = []
    resolve = socket.getaddrinfo

    def recording_getaddrinfo(host, *args, **kwargs):
        looked_up.append(str(host))
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording_getaddrinfo)
    return looked_up


def _canary_urls(server: socketserver.TCPServer) -> list[str]:
    port = server.server_address[1]
    return [
        f"http://127.0.0.1:{port}/latest/meta-data/",
        f"https://{CANARY_HOST}/image.png",
    ]


def test_no_product_write_read_or_job_dials_an_image_url(
    admin_client_api,
    admin_user,
    canary_server,
    name_lookups,
    run_jobs,
    django_capture_on_commit_callbacks,
):
    urls = _canary_urls(canary_server)

    with django_capture_on_commit_callbacks(execute=True):
        created = admin_client_api.post(
            "/v1/products",
            {"name": "Canary", "price": 10, "category": "test", "images": urls},
            format="json",
        )
        product_id = created.json()["data"]["id"]
        admin_client_api.patch(
            f"/v1/products/{product_id}", {"images": list(reversed(urls))}, format="json"
        )
        for _ in range(2):  # a miss, then a hit from the cache
            admin_client_api.get(f"/v1/products/{product_id}")
            admin_client_api.get("/v1/products")
    run_jobs()
    site = Client()
    site.force_login(admin_user)
    site.get(f"/admin/catalog/product/{product_id.removeprefix('prod_')}/change/")
    site.get("/admin/catalog/product/")

    assert created.status_code == 201
    assert Product.objects.get().images == list(reversed(urls))
    assert canary_server.connections == 0
    assert CANARY_HOST not in name_lookups


def test_the_canary_server_does_count_a_connection(canary_server):
    # Proof that the zero above means something.
    with socket.create_connection(canary_server.server_address, timeout=2):
        pass
    for _ in range(50):
        if canary_server.connections:
            break
        threading.Event().wait(0.02)

    assert canary_server.connections == 1


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "ftp://files.example.com/a.png",
        "dict://127.0.0.1:11211/stat",
        "javascript:alert(document.cookie)",
        "data:image/png;base64,iVBORw0KGgo=",
        "//img.example.com/a.png",
        "img.example.com/a.png",
        "http:///a.png",
    ],
)
def test_an_image_url_that_is_not_http_or_https_is_refused(admin_client_api, url):
    response = admin_client_api.post(
        "/v1/products",
        {"name": "Lamp", "price": 10, "category": "home", "images": [url]},
        format="json",
    )

    assert response.status_code == 400
    assert "images" in response.json()["error"]["details"]
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@img.example.com/a.png",
        "https://user@img.example.com/a.png",
        "http://:secret@img.example.com/a.png",
        "https://img.example.com@evil.example.net/a.png",
    ],
)
def test_an_image_url_with_credentials_is_refused(admin_client_api, url):
    # Credentials would be handed to every client, and "trusted@evil" hides the real host.
    response = admin_client_api.post(
        "/v1/products",
        {"name": "Lamp", "price": 10, "category": "home", "images": [url]},
        format="json",
    )

    assert response.status_code == 400
    assert "images" in response.json()["error"]["details"]
    assert not Product.objects.exists()


def test_an_image_url_with_credentials_is_refused_on_update(admin_client_api, make_product):
    product = make_product()

    response = admin_client_api.patch(
        f"/v1/products/prod_{product.id.hex}",
        {"images": ["https://user:secret@img.example.com/a.png"]},
        format="json",
    )

    assert response.status_code == 400
    product.refresh_from_db()
    assert product.images == []


@pytest.mark.parametrize(
    "url",
    ["https://img.example.com/a b.png", "https://img.example.com/a.png\r\nX-Injected: 1"],
)
def test_an_image_url_with_whitespace_is_refused(admin_client_api, url):
    response = admin_client_api.post(
        "/v1/products",
        {"name": "Lamp", "price": 10, "category": "home", "images": [url]},
        format="json",
    )

    assert response.status_code == 400


def test_an_overlong_image_url_is_refused(admin_client_api):
    url = "https://img.example.com/" + "a" * 2048

    response = admin_client_api.post(
        "/v1/products",
        {"name": "Lamp", "price": 10, "category": "home", "images": [url]},
        format="json",
    )

    assert response.status_code == 400
    assert "images" in response.json()["error"]["details"]


def test_a_plain_https_image_url_with_a_port_and_query_is_accepted(admin_client_api):
    url = "https://img.example.com:8443/products/lamp.png?w=640&h=480"

    response = admin_client_api.post(
        "/v1/products",
        {"name": "Lamp", "price": 10, "category": "home", "images": [url]},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["data"]["images"] == [url]
