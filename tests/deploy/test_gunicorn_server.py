"""The web role for real: nginx on a loopback port in front of gunicorn with
docker/gunicorn.conf.py.

Workers are recycled every few requests, so the requests are served by
several processes: /metrics must still count every one of them
(prometheus_client multiprocess mode), and each access line must carry the
request id.
"""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import VENV_BIN, ApiServer

REQUESTS = 12


def _get(url: str, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback http
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _health_responses(metrics: bytes) -> float:
    for family in text_string_to_metric_families(metrics.decode()):
        for sample in family.samples:
            if (
                sample.name == "django_http_responses_total_by_status_view_method_total"
                and sample.labels == {"status": "200", "view": "health", "method": "GET"}
            ):
                return sample.value
    return 0.0


@pytest.fixture
def gunicorn(tmp_path: Path):
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "GUNICORN_MAX_REQUESTS": "4",
        "GUNICORN_MAX_REQUESTS_JITTER": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS_ONLY": "0",
        "LOG_FORMAT": "json",
    }
    env.pop("DEBUG", None)
    server = ApiServer(log_dir=tmp_path, env=env, workers=2, web_role=True, ready_path="/health")
    server.start()
    try:
        yield server.base_url, server.log_path
    finally:
        server.stop()


def test_metrics_add_up_every_worker_process(gunicorn):
    base, log = gunicorn
    status, before = _get(f"{base}/metrics")
    assert status == 200
    for number in range(REQUESTS):
        assert _get(f"{base}/health", **{"X-Request-ID": f"deploy-test-{number}"})[0] == 200
    _, after = _get(f"{base}/metrics")
    assert _health_responses(after) - _health_responses(before) == REQUESTS

    access = [
        json.loads(line)
        for line in log.read_text().splitlines()
        if line.startswith("{") and '"gunicorn.access"' in line
    ]
    ours = [entry for entry in access if str(entry["request_id"]).startswith("deploy-test-")]
    assert sorted(entry["request_id"] for entry in ours) == sorted(
        f"deploy-test-{number}" for number in range(REQUESTS)
    )
    # Recycled every 4 requests: more than one process served them.
    assert len({entry["pid"] for entry in ours}) > 1
    assert {entry["status"] for entry in ours} == {"200"}
    assert ours[0]["path"] == "/health"


def test_metrics_refuse_a_proxied_caller_without_token(gunicorn):
    base, _ = gunicorn
    status, body = _get(f"{base}/metrics", **{"X-Forwarded-For": "203.0.113.1"})
    assert status == 403
    assert json.loads(body)["error"]["code"] == "permission_denied"
