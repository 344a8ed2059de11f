"""Production settings: `check --deploy` is clean, logs are JSON lines with the request id."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Variables pytest-env sets for the suite, which production leaves unset.
TEST_ONLY = ("DEBUG", "HTTPS_ONLY", "ALLOWED_HOSTS", "SECRET_KEY", "LOG_FORMAT")


def _production_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in TEST_ONLY}
    env.update(
        DJANGO_SETTINGS_MODULE="ecommerce.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="shop.example.com",
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=os.environ["REDIS_URL"],
    )
    env.update(overrides)
    return env


def _python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env=env,
    )


def test_check_deploy_reports_nothing_with_production_defaults():
    result = _python(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", env=_production_env()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_catches_debug_left_on():
    """The check above can fail: DEBUG on is reported."""
    result = _python(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=_production_env(DEBUG="1"),
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr


LOG_A_REQUEST = """
import django
django.setup()
from django.test import Client
Client().get("/ready", HTTP_X_REQUEST_ID="req-abc-123", HTTP_HOST="shop.example.com")
"""


def _env_for_a_failing_ready(tmp_path: Path, **overrides: str) -> dict[str, str]:
    # Redis on a closed port: /ready logs a warning inside the request. A
    # throwaway SQLite file answers the database check at once.
    return _production_env(
        REDIS_URL="redis://127.0.0.1:1/0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'ready.sqlite3'}",
        HTTPS_ONLY="0",
        **overrides,
    )


def test_logs_are_json_lines_with_the_request_id_when_debug_is_off(tmp_path):
    env = _env_for_a_failing_ready(tmp_path)
    result = _python("-c", LOG_A_REQUEST, env=env)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    warning = next(
        r for r in records if r["logger"] == "ecommerce.health" and "redis" in r["message"]
    )
    assert warning["request_id"] == "req-abc-123"
    assert warning["level"] == "WARNING"
    assert warning["time"].endswith("+00:00")


def test_plain_logs_when_asked(tmp_path):
    env = _env_for_a_failing_ready(tmp_path, LOG_FORMAT="plain")
    result = _python("-c", LOG_A_REQUEST, env=env)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if "Readiness: redis" in line)
    assert "WARNING [req-abc-123] ecommerce.health:" in line


def test_unknown_log_format_refuses_to_start():
    result = _python("manage.py", "check", env=_production_env(LOG_FORMAT="xml"))
    assert result.returncode == 2
    assert result.stderr == 'LOG_FORMAT: "xml" is not one of json, plain\n'


@pytest.mark.parametrize("debug, expected", [("0", "json"), ("1", "plain")])
def test_log_format_defaults_follow_debug(debug, expected):
    script = "from django.conf import settings; print(settings.LOG_FORMAT)"
    env = _production_env(DEBUG=debug)
    result = _python("-c", f"import django; django.setup(); {script}", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
