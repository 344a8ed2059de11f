"""The server's own floor: a WSGI callable returning the baseline's bytes.

No framework at all: what gunicorn (and the front in front of it) costs per
request on this machine, shown beside the bare Django view's ratios.
"""

import os
from collections.abc import Callable, Iterable
from pathlib import Path

BODY = Path(os.environ.get("BENCH_BASELINE_BODY", "bench/.work/baseline-body.json")).read_bytes()
HEADERS = [
    ("Content-Type", "application/json; charset=utf-8"),
    ("Content-Length", str(len(BODY))),
]


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
