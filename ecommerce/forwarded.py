"""Who is on the other end of the connection, and which forwarded headers to believe.

``ecommerce.wsgi.application`` is wrapped in ``ForwardedHeaders``, which runs
before Django sees the request:

1. The peer. In the image's web role gunicorn listens on a Unix socket that
   only the pod's nginx reaches (docker/nginx.conf), so gunicorn sees no
   address; nginx passes its own TCP peer in ``X-Pod-Proxy-Peer``, always
   overwriting what a client sent. On a Unix-socket connection that becomes
   ``REMOTE_ADDR``; on any other connection the header is discarded.
2. Trust. ``X-Forwarded-Proto`` (HTTPS_ONLY's redirect and secure cookies),
   ``X-Forwarded-For`` (the client address the rate limits count,
   ``TRUSTED_PROXY_COUNT`` hops of it) and their kin count only when that
   peer is in ``TRUSTED_PROXY_NETWORKS``: the ingress, in a cluster. From
   anyone else they are dropped, and a client-supplied address list is
   replaced by the peer's own address, so that code asking "did this come
   through a proxy" (``/metrics``) still gets a yes, but nothing the client
   wrote is believed.

gunicorn's ``forwarded_allow_ips`` cannot do this: it takes single addresses,
not networks (a pod network is a /16 or so), and it only decides
``wsgi.url_scheme`` while Django reads ``X-Forwarded-Proto`` itself, from any
peer. Werkzeug's ProxyFix trusts a number of hops, not a network, and would
rewrite the very headers ``ecommerce.ratelimit.throttling.client_ip`` reads.
"""

import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Set by docker/nginx.conf to $remote_addr on every request it passes on.
PEER_KEY = "HTTP_X_POD_PROXY_PEER"
# What the scheme and host of the original request were, per the proxy.
SCHEME_KEYS = (
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_PROTOCOL",
    "HTTP_X_FORWARDED_SSL",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
)
# Who the original client was, per the proxy.
CLIENT_KEYS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def parse_networks(cidrs: Iterable[str], *, setting: str) -> tuple[IpNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{setting}: {exc}") from exc


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


class ForwardedHeaders:
    """WSGI middleware: the peer's address, and forwarded headers from trusted peers only."""

    def __init__(self, app: Callable, *, trusted_networks: Iterable[str]) -> None:
        self.app = app
        self.trusted = parse_networks(trusted_networks, setting="TRUSTED_PROXY_NETWORKS")

    def is_trusted(self, remote_addr: str) -> bool:
        address = _address(remote_addr)
        return address is not None and any(address in network for network in self.trusted)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        # In place: gunicorn's access log reads REMOTE_ADDR from this same dict.
        peer = environ.pop(PEER_KEY, None)
        connection = environ.get("gunicorn.socket")
        if connection is not None:
            if connection.family == socket.AF_UNIX:
                address = _address(peer)
                environ["REMOTE_ADDR"] = str(address) if address is not None else ""
            # gunicorn took the scheme from X-Forwarded-Proto by its own rules
            # (from any Unix-socket peer); start again from the connection.
            tls = isinstance(connection, ssl.SSLSocket)
            environ["wsgi.url_scheme"] = "https" if tls else "http"
        if self.is_trusted(environ.get("REMOTE_ADDR", "")):
            if connection is not None and environ.get("HTTP_X_FORWARDED_PROTO") == "https":
                environ["wsgi.url_scheme"] = "https"
        else:
            for key in SCHEME_KEYS:
                environ.pop(key, None)
            claimed = [environ.pop(key, None) for key in CLIENT_KEYS]
            if any(value is not None for value in claimed):
                environ["HTTP_X_FORWARDED_FOR"] = environ.get("REMOTE_ADDR", "")
        return self.app(environ, start_response)
