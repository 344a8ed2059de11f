"""Every role of the image refuses a configuration that cannot work the same way,
and honours the logging variables in both log formats.

Each role runs as the image runs it (docker/entrypoint.sh ROLE) in a
subprocess: a bad value stops it with one line on stderr naming the
variable, and exit code 2, before it serves, works or migrates anything.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.conftest import REPO
from tests.drills.support import service_env
from tests.processes import ApiServer

ENTRYPOINT = str(REPO / "docker" / "entrypoint.sh")
ROLES = {
    "web": ["web"],
    "worker": ["worker", "--burst"],
    "cron": ["cron"],
    "migrate": ["migrate"],
    "manage": ["manage", "check"],
}


def role_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """A configuration every role would start with; then ``values``."""
    env = {key: value for key, value in os.environ.items() if key in {"HOME", "LANG"}}
    env.update(
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL="redis://127.0.0.1:1/0",  # nothing may get as far as connecting
        ALLOWED_HOSTS="127.0.0.1",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
        GUNICORN_BIND="127.0.0.1:1",  # privileged: a web role that got this far would fail
    )
    env.update(values)
    return env


def run_role(role: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own argv
        [ENTRYPOINT, *ROLES[role]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env=env,
    )


def assert_refused_with_one_line(result: subprocess.CompletedProcess, name: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"{name}: "), result.stderr


@pytest.mark.parametrize(
    ("role", "name", "value"),
    [
        *((role, "LOG_LEVEL", "loud") for role in ROLES),
        # Any role checks every variable, its own and the others'.
        ("manage", "GUNICORN_TIMEOUT", "soon"),
        ("cron", "WEB_CONCURRENCY", "0"),
        ("web", "WORKER_QUEUES", "payment"),
        ("web", "DJANGO_SETTINGS_MODULE", "ecommerce.no_such_settings"),
        ("migrate", "DJANGO_SETTINGS_MODULE", "ecommerce.no_such_settings"),
    ],
)
def test_a_bad_value_stops_every_role(tmp_path, role, name, value):
    assert_refused_with_one_line(run_role(role, role_env(tmp_path, **{name: value})), name)


@pytest.mark.parametrize("role", ROLES)
def test_an_unknown_payment_gateway_stops_every_role(tmp_path, role):
    result = run_role(role, role_env(tmp_path, PAYMENT_GATEWAY="payments.gateway.Nope"))

    assert_refused_with_one_line(result, "PAYMENT_GATEWAY")
    assert '"payments.gateway.Nope" cannot be imported' in result.stderr


def test_the_web_role_without_preload_refuses_an_unknown_gateway_too(tmp_path):
    """The master does not load the app then: gunicorn.conf.py loads it once in a child,
    rather than letting gunicorn restart a worker that cannot boot, forever."""
    env = role_env(tmp_path, PAYMENT_GATEWAY="payments.gateway.Nope", GUNICORN_PRELOAD="0")

    assert_refused_with_one_line(run_role("web", env), "PAYMENT_GATEWAY")


def test_an_unknown_gunicorn_worker_class_stops_the_web_role(tmp_path):
    result = run_role("web", role_env(tmp_path, GUNICORN_WORKER_CLASS="gunicorn.workers.Nope"))

    assert_refused_with_one_line(result, "GUNICORN_WORKER_CLASS")


# --- logging: LOG_LEVEL in any case, GUNICORN_ACCESS_LOG in both formats ------------------

LOG_AT_EVERY_LEVEL = """
import logging, django
django.setup()
log = logging.getLogger("ecommerce.config_test")
log.info("info-line"); log.warning("warning-line")
"""


@pytest.mark.parametrize(("level", "log_format"), [("warning", "json"), ("Warning", "plain")])
def test_log_level_is_taken_in_any_case(tmp_path, level, log_format):
    env = role_env(
        tmp_path,
        LOG_LEVEL=level,
        LOG_FORMAT=log_format,
        DJANGO_SETTINGS_MODULE="ecommerce.settings",
    )
    del env["PROMETHEUS_MULTIPROC_DIR"]  # the web role's only
    result = subprocess.run(  # noqa: S603 - our own argv
        [sys.executable, "-c", LOG_AT_EVERY_LEVEL],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "warning-line" in result.stderr
    assert "info-line" not in result.stderr


def _serve_three_requests(tmp_path: Path, **env: str) -> tuple[str, ApiServer]:
    env = service_env(
        redis_url=os.environ["REDIS_URL"],
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **env,
    )
    server = ApiServer(log_dir=tmp_path, env=env, workers=1)
    server.start()
    try:
        for number in range(3):
            reply = server.call("GET", "/health", headers={"X-Request-ID": f"cfg-{number}"})
            assert reply.status == 200
    finally:
        server.stop()
    return server.log_text(), server


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_the_access_log_goes_where_gunicorn_access_log_says(tmp_path, log_format):
    access_file = tmp_path / "access.log"
    output, _ = _serve_three_requests(
        tmp_path, LOG_FORMAT=log_format, GUNICORN_ACCESS_LOG=str(access_file)
    )

    assert "cfg-0" not in output, "access lines still on the server's output"
    lines = [line for line in access_file.read_text().splitlines() if "cfg-" in line]
    assert len(lines) == 3, lines
    if log_format == "json":
        assert [json.loads(line)["request_id"] for line in lines] == ["cfg-0", "cfg-1", "cfg-2"]
    else:
        assert "request_id=cfg-0" in lines[0]


def test_gunicorn_access_log_dev_null_silences_the_json_access_log(tmp_path):
    """The issue's case: LOG_FORMAT=json (production's) used to ignore the variable."""
    output, _ = _serve_three_requests(tmp_path, LOG_FORMAT="json", GUNICORN_ACCESS_LOG="/dev/null")

    assert "/health" not in output
    assert "cfg-" not in output
    assert "Booting worker" in output, "the error log is still there"


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_gunicorn_takes_log_level_in_lower_case_and_logs_access_on_stdout(tmp_path, log_format):
    output, _ = _serve_three_requests(tmp_path, LOG_FORMAT=log_format, LOG_LEVEL="warning")

    assert "Booting worker" not in output, "gunicorn's INFO lines are still logged"
    assert output.count("cfg-") == 3, "the access log is not a level: it stays, on stdout"
