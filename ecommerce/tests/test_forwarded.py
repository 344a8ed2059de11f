"""ecommerce.forwarded: the peer's address, and forwarded headers from trusted peers only.

The middleware is called as gunicorn calls it: an environ with the real
connection socket under ``gunicorn.socket`` (a Unix one behind the pod's
nginx, TCP otherwise). The live web role is in tests/security/test_api8_web_front.py.
"""

import socket
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured

from ecommerce.forwarded import ForwardedHeaders


@pytest.fixture
def unix_socket() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        yield sock


@pytest.fixture
def tcp_socket() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        yield sock


def seen_by_django(environ: dict, *, trusted: list[str]) -> dict:
    """The environ the wrapped application receives."""
    received = {}

    def app(environ: dict, start_response) -> list[bytes]:
        received.update(environ)
        return []

    ForwardedHeaders(app, trusted_networks=trusted)(environ, lambda *args: None)
    return received


def test_behind_the_pod_proxy_the_peer_becomes_remote_addr(unix_socket):
    environ = {
        "gunicorn.socket": unix_socket,
        "REMOTE_ADDR": "",
        "HTTP_X_POD_PROXY_PEER": "10.1.2.3",
    }

    seen = seen_by_django(environ, trusted=["192.0.2.0/24"])

    assert seen["REMOTE_ADDR"] == "10.1.2.3"
    assert "HTTP_X_POD_PROXY_PEER" not in seen
    # In place: gunicorn's access log reads this same dict afterwards.
    assert environ["REMOTE_ADDR"] == "10.1.2.3"


def test_the_peer_header_is_ignored_on_a_tcp_connection(tcp_socket):
    environ = {
        "gunicorn.socket": tcp_socket,
        "REMOTE_ADDR": "198.51.100.7",
        "HTTP_X_POD_PROXY_PEER": "127.0.0.1",
    }

    seen = seen_by_django(environ, trusted=["127.0.0.0/8"])

    assert seen["REMOTE_ADDR"] == "198.51.100.7"
    assert "HTTP_X_POD_PROXY_PEER" not in seen


def test_a_malformed_peer_address_is_no_address(unix_socket):
    environ = {"gunicorn.socket": unix_socket, "HTTP_X_POD_PROXY_PEER": "not-an-ip"}

    assert seen_by_django(environ, trusted=["0.0.0.0/0"])["REMOTE_ADDR"] == ""


def test_an_untrusted_peer_loses_its_forwarded_scheme_and_host(unix_socket):
    environ = {
        "gunicorn.socket": unix_socket,
        "HTTP_X_POD_PROXY_PEER": "198.51.100.7",
        "wsgi.url_scheme": "https",  # gunicorn believed the header: Unix sockets are "trusted"
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_SSL": "on",
        "HTTP_X_FORWARDED_HOST": "evil.example",
    }

    seen = seen_by_django(environ, trusted=["10.0.0.0/8"])

    assert seen["wsgi.url_scheme"] == "http"
    assert not {"HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_SSL", "HTTP_X_FORWARDED_HOST"} & set(
        seen
    )


def test_an_untrusted_peer_s_client_list_is_replaced_by_the_peer(unix_socket):
    environ = {
        "gunicorn.socket": unix_socket,
        "HTTP_X_POD_PROXY_PEER": "198.51.100.7",
        "HTTP_X_FORWARDED_FOR": "203.0.113.9",
        "HTTP_X_REAL_IP": "203.0.113.9",
        "HTTP_FORWARDED": "for=203.0.113.9",
    }

    seen = seen_by_django(environ, trusted=["10.0.0.0/8"])

    # Still says "through a proxy" (/metrics asks), but names only the peer.
    assert seen["HTTP_X_FORWARDED_FOR"] == "198.51.100.7"
    assert "HTTP_X_REAL_IP" not in seen
    assert "HTTP_FORWARDED" not in seen


def test_a_direct_caller_without_proxy_headers_gets_none_added(unix_socket):
    environ = {"gunicorn.socket": unix_socket, "HTTP_X_POD_PROXY_PEER": "198.51.100.7"}

    assert "HTTP_X_FORWARDED_FOR" not in seen_by_django(environ, trusted=["10.0.0.0/8"])


def test_a_trusted_peer_keeps_its_headers_and_sets_the_scheme(unix_socket):
    environ = {
        "gunicorn.socket": unix_socket,
        "HTTP_X_POD_PROXY_PEER": "10.4.0.12",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.4.0.1",
    }

    seen = seen_by_django(environ, trusted=["10.0.0.0/8"])

    assert seen["wsgi.url_scheme"] == "https"
    assert seen["HTTP_X_FORWARDED_PROTO"] == "https"
    assert seen["HTTP_X_FORWARDED_FOR"] == "203.0.113.9, 10.4.0.1"


def test_ipv6_and_ipv4_mapped_peers_match_their_networks(unix_socket):
    v6 = {"gunicorn.socket": unix_socket, "HTTP_X_POD_PROXY_PEER": "fd00::5"}
    mapped = {"gunicorn.socket": unix_socket, "HTTP_X_POD_PROXY_PEER": "::ffff:10.0.0.5"}
    forwarded = {"HTTP_X_FORWARDED_PROTO": "https"}

    assert seen_by_django({**v6, **forwarded}, trusted=["fd00::/8"])["wsgi.url_scheme"] == "https"
    seen = seen_by_django({**mapped, **forwarded}, trusted=["10.0.0.0/8"])
    assert seen["REMOTE_ADDR"] == "10.0.0.5"
    assert seen["wsgi.url_scheme"] == "https"


def test_outside_gunicorn_only_the_trust_rule_applies():
    """runserver (make run): no gunicorn socket, REMOTE_ADDR as given."""
    environ = {
        "REMOTE_ADDR": "198.51.100.7",
        "wsgi.url_scheme": "http",
        "HTTP_X_FORWARDED_PROTO": "https",
    }

    seen = seen_by_django(environ, trusted=["127.0.0.0/8"])

    assert seen["REMOTE_ADDR"] == "198.51.100.7"
    assert "HTTP_X_FORWARDED_PROTO" not in seen


def test_a_bad_network_refuses_to_start():
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXY_NETWORKS"):
        ForwardedHeaders(lambda *args: [], trusted_networks=["10.0.0.0/33"])
