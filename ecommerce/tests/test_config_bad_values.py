"""A bad value of any documented variable: one line naming it, exit code 2, no traceback.

``manage.py check`` in a subprocess per variable, with a clean environment
and the value each variable's reader (or its ``bad``) names as refused. Most
stop before Django loads an app, so each costs a fraction of a second; they
share nothing, so xdist spreads them over its workers.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from ecommerce import config

REPO = Path(__file__).resolve().parents[2]


def clean_env(**values: str | None) -> dict[str, str]:
    """Nothing of the suite's own configuration: the defaults, a real key, ``values``."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    env: dict[str, str | None] = {key: value for key, value in os.environ.items() if key in keep}
    # Never a developer's .env (make run writes one): pytest-env sets ENV_FILE empty.
    env["ENV_FILE"] = ""
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env.update(values)
    return {key: value for key, value in env.items() if value is not None}  # None: unset


def manage_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env=env,
    )


def test_the_clean_environment_passes_the_check():
    """So that each failure below is the bad value's doing."""
    result = manage_check(clean_env())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("variable", config.VARIABLES, ids=lambda v: v.name)
def test_a_bad_value_stops_manage_py_with_one_line_naming_the_variable(variable):
    result = manage_check(clean_env(**{variable.name: variable.bad_value}))

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{variable.name}: "), lines[0]
    if variable.secret and "://" not in variable.bad_value:
        assert variable.bad_value.strip() not in lines[0]


def test_several_bad_values_give_one_line_each():
    result = manage_check(clean_env(LOG_LEVEL="loud", RATE_LIMIT="lots", PORT="http"))

    assert result.returncode == 2
    assert [line.split(":")[0] for line in result.stderr.splitlines()] == [
        "RATE_LIMIT",
        "LOG_LEVEL",
        "PORT",
    ]


def test_the_message_names_the_problem_and_what_is_accepted():
    result = manage_check(clean_env(LOG_LEVEL="loud"))

    assert result.stderr == (
        'LOG_LEVEL: "loud" is not one of debug, info, warning, error, critical\n'
    )


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("EMAIL_BACKEND", "django.core.mail.backends.nope.EmailBackend", "cannot be imported"),
        ("RQ_WORKER_CLASS", "ecommerce.jobs.worker.NoSuchWorker", "cannot be imported"),
        ("PAYMENT_GATEWAY", "payments.gateway.Nope", "cannot be imported"),
        ("PAYMENT_GATEWAY", "payments.models.Payment", "is not a class with charge()"),
        ("PAYMENT_GATEWAY", "Paypal", "is not a known short name"),
    ],
)
def test_a_class_path_that_does_not_import_stops_the_process(name, value, problem):
    """Well-formed, but found only once the apps load: refused there, the same way."""
    result = manage_check(clean_env(**{name: value}))

    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.lower().startswith(f'{name}: "{value}" {problem}'.lower())


def test_a_database_password_is_not_shown():
    result = manage_check(clean_env(DATABASE_URL="postgres://shop:hunter2@db:notaport/shop"))

    assert result.returncode == 2
    assert "hunter2" not in result.stderr
    assert result.stderr.startswith('DATABASE_URL: "postgres://shop:***@db:notaport/shop" is not')


def test_pool_sizes_that_cannot_work_together_are_refused():
    result = manage_check(clean_env(DB_POOL_MIN_SIZE="5", DB_POOL_MAX_SIZE="2"))

    assert result.returncode == 2
    assert result.stderr.startswith("DB_POOL_MIN_SIZE: 5 is above DB_POOL_MAX_SIZE (2)")
