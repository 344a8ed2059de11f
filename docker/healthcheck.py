"""Docker HEALTHCHECK for the web role: GET /health on this container's gunicorn.

Sends the first ALLOWED_HOSTS name as Host, so Django does not refuse the probe
as coming for an unknown host. Exit 0 when healthy, 1 otherwise.
"""

import os
import sys
import urllib.request


def probe_host() -> str:
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main() -> int:
    port = os.environ.get("PORT", "8000")
    # A fixed http URL on loopback: S310's warning about schemes does not apply.
    url = f"http://127.0.0.1:{port}/health"
    request = urllib.request.Request(url, headers={"Host": probe_host()})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
