"""Docker HEALTHCHECK for the web role: GET /health on this container's gunicorn.

Sends the first ALLOWED_HOSTS name as Host, so Django does not refuse the probe
as coming for an unknown host. Exit 0 when healthy, 1 otherwise. PORT and
ALLOWED_HOSTS are read by ecommerce.config, as gunicorn and the app read them.
"""

import sys
import urllib.request
from pathlib import Path

# Run as a script (docker/ is sys.path[0]): the project is one level up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ecommerce import config


def probe_host(hosts: list[str]) -> str:
    for host in hosts:
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main() -> int:
    try:
        values = config.load()
    except config.ConfigError as exc:
        print(f"healthcheck: {exc.lines[0]}", file=sys.stderr)
        return 1
    # A fixed http URL on loopback: S310's warning about schemes does not apply.
    url = f"http://127.0.0.1:{values.PORT}/health"
    request = urllib.request.Request(url, headers={"Host": probe_host(values.ALLOWED_HOSTS)})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
