"""The benchmark's two floors: what they serve and what they include.

Each is loaded in a child process, as gunicorn loads it: the bare Django view
configures Django with its own settings, which this test process (already on
the project's) cannot do twice.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SERVE = """
import json, sys, wsgiref.util
from importlib import import_module

app = import_module(sys.argv[1]).application
environ = {"PATH_INFO": "/v1/products", "HTTP_HOST": "127.0.0.1"}
wsgiref.util.setup_testing_defaults(environ)
seen = {}
body = b"".join(app(environ, lambda status, headers: seen.update(status=status, headers=headers)))
out = {"status": seen["status"], "headers": dict(seen["headers"]), "body": body.decode()}
if sys.argv[1] == "bench.bare_django":
    from django.conf import settings

    out.update(middleware=settings.MIDDLEWARE, apps=settings.INSTALLED_APPS,
               databases=settings.DATABASES)
print(json.dumps(out))
"""


def serve(module: str, body: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(  # noqa: S603 (our own argv)
        [sys.executable, "-c", SERVE, module],
        cwd=ROOT,
        env={**env, "BENCH_BASELINE_BODY": str(body)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def a_list_page(tmp_path: Path) -> Path:
    body = tmp_path / "baseline-body.json"
    body.write_text(json.dumps({"data": [{"id": "prod_1", "name": "Lamp"}] * 40}))
    return body


def test_the_bare_django_view_has_djangos_two_middlewares_and_nothing_else(tmp_path):
    body = a_list_page(tmp_path)

    answer = serve("bench.bare_django", body)

    assert answer["status"] == "200 OK"
    assert answer["body"] == body.read_text()
    assert answer["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert answer["middleware"] == [
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
    ]
    assert answer["apps"] == []
    # No database: Django's placeholder backend, which refuses any query.
    assert answer["databases"]["default"]["ENGINE"] == "django.db.backends.dummy"
    # SecurityMiddleware ran: its headers are on the answer.
    assert answer["headers"]["X-Content-Type-Options"] == "nosniff"


def test_the_raw_wsgi_callable_serves_the_same_bytes(tmp_path):
    body = a_list_page(tmp_path)

    answer = serve("bench.raw_wsgi", body)

    assert answer["status"] == "200 OK"
    assert answer["body"] == body.read_text()
    assert answer["headers"]["Content-Length"] == str(body.stat().st_size)


READ_CONFIG = """
import json, runpy, sys

conf = runpy.run_path(sys.argv[1])
print(json.dumps({k: repr(v) for k, v in conf.items()
                  if not k.startswith("_") and not callable(v) and k.islower()}))
"""


def gunicorn_settings(path: str, tmp_path: Path) -> dict:
    result = subprocess.run(  # noqa: S603 (our own argv)
        [sys.executable, "-c", READ_CONFIG, path],
        cwd=ROOT,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus")},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_baselines_run_the_apps_gunicorn_settings_without_its_access_log(tmp_path):
    app = gunicorn_settings("docker/gunicorn.conf.py", tmp_path)
    baselines = gunicorn_settings("bench/baseline_gunicorn.conf.py", tmp_path)

    changed = {key for key in app if baselines.get(key) != app[key]}

    assert changed == {"accesslog", "logconfig_dict"}
    assert baselines["accesslog"] == "None"
    assert baselines["logconfig_dict"] == "{}"
    for setting in ("workers", "worker_class", "threads", "keepalive", "preload_app", "timeout"):
        assert baselines[setting] == app[setting]
