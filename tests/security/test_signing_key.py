"""The key that signs API tokens: never empty, short or published (issue 20, item 1).

The attack, as the security review ran it: the production configuration with
``JWT_SIGNING_KEY=`` (or ``secret``, or a key from this repository), and an
admin token forged with ``jwt.encode({...admin user_id...}, key, "HS256")``
reading ``GET /v1/users``. Here the real web role (gunicorn with
docker/gunicorn.conf.py) is started with each such key: it must refuse to
start, with one line naming the variable and exit code 2; had it started,
the forged token is sent and must not be answered 200. A control run with
a real key shows the forged token would work if the key were known.

``check --deploy`` reports the same keys when DEBUG is on (where starting is
allowed): ecommerce.E002.
"""

import os
import secrets
import subprocess
import sys
import uuid
from datetime import timedelta

import jwt
import pytest
from django.test import override_settings
from django.utils import timezone

from ecommerce import checks, config
from ecommerce.tests.test_config_bad_values import REPO, clean_env
from tests.drills.support import service_env
from tests.processes import ApiServer

COMPOSE_KEY = "laptop-only-key-change-me-3b8f1c9e2d7a4f6b8e0c5d1a9f2e7b4c"
WEAK_KEYS = {
    "empty": "",
    "short": "secret",
    "development key": config.DEV_SECRET_KEY,
    "compose key": COMPOSE_KEY,
    "old test key": "test-secret-key-not-for-production-0123456789abcdefghijklmnop",
}


def forged_admin_token(user_id, key: str) -> str:
    now = timezone.now()
    claims = {
        "token_type": "access",
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "iat": int(now.timestamp()),
        "jti": uuid.uuid4().hex,
        "user_id": str(user_id),
    }
    return jwt.encode(claims, key, algorithm="HS256")


def read_users_with_forged_token(tmp_path, admin_user, **env: str) -> tuple[bool, int | None, str]:
    """Start the web role; if it serves, GET /v1/users with an admin token forged
    with the signing key in force. (started, status, gunicorn's output)."""

    server = ApiServer(
        log_dir=tmp_path,
        env=service_env(redis_url=os.environ["REDIS_URL"], **env),
        workers=1,
    )
    try:
        server.start()
    except AssertionError:
        code = server.process.returncode  # type: ignore[union-attr]
        server.process = None
        return False, code, server.log_text()
    try:
        key = env.get("JWT_SIGNING_KEY", env.get("SECRET_KEY", ""))
        token = forged_admin_token(admin_user.pk, key)
        reply = server.call("GET", "/v1/users", headers={"Authorization": f"Bearer {token}"})
        return True, reply.status, server.log_text()
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_control_a_token_forged_with_the_key_in_force_reads_the_users(tmp_path, admin_user):
    """What the refusal below prevents: with the key known, the forgery works."""
    key = secrets.token_urlsafe(50)
    started, status, log = read_users_with_forged_token(tmp_path, admin_user, JWT_SIGNING_KEY=key)
    assert started, log
    assert status == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key", WEAK_KEYS.values(), ids=WEAK_KEYS.keys())
def test_a_weak_jwt_signing_key_stops_the_web_role(tmp_path, admin_user, key):
    started, status, log = read_users_with_forged_token(tmp_path, admin_user, JWT_SIGNING_KEY=key)

    assert not started, f"served with JWT_SIGNING_KEY={key!r}; the forged admin token got {status}"
    assert status == 2
    assert log.startswith("JWT_SIGNING_KEY: "), log
    assert log.count("\n") == 1
    assert "DEBUG is off" in log


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key", [k for k in WEAK_KEYS.values() if k], ids=list(WEAK_KEYS)[1:])
def test_a_weak_secret_key_stops_the_web_role_when_it_signs_tokens(tmp_path, admin_user, key):
    """JWT_SIGNING_KEY unset: SECRET_KEY signs the tokens, and is held to the same rule."""
    started, status, log = read_users_with_forged_token(tmp_path, admin_user, SECRET_KEY=key)

    assert not started, f"served with SECRET_KEY={key!r}; the forged admin token got {status}"
    assert status == 2
    assert log.startswith("SECRET_KEY: "), log


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own argv
        [sys.executable, "manage.py", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env=clean_env(**env),
    )


@pytest.mark.parametrize("key", WEAK_KEYS.values(), ids=WEAK_KEYS.keys())
def test_every_command_refuses_a_weak_signing_key_with_debug_off(key):
    result = _manage("check", "--deploy", JWT_SIGNING_KEY=key)

    assert result.returncode == 2
    assert result.stderr.startswith("JWT_SIGNING_KEY: ")


def test_the_compose_files_key_is_refused_with_debug_off():
    """docker/compose.yml works on a laptop with DEBUG on; taken to DEBUG off, refused."""
    compose = (REPO / "docker" / "compose.yml").read_text()
    assert COMPOSE_KEY in compose
    assert "DEBUG: ${DEBUG:-1}" in compose

    assert _manage("check", SECRET_KEY=COMPOSE_KEY, DEBUG="1").returncode == 0
    refused = _manage("check", SECRET_KEY=COMPOSE_KEY, DEBUG="0")
    assert refused.returncode == 2
    assert refused.stderr.startswith("SECRET_KEY: is a key published in this repository")


def test_check_deploy_reports_a_published_key_even_with_debug_on():
    result = _manage("check", "--deploy", SECRET_KEY=COMPOSE_KEY, DEBUG="1")

    assert result.returncode == 1
    assert "(ecommerce.E002) SECRET_KEY: is a key published in this repository" in result.stderr


@pytest.mark.parametrize("key", [k for k in WEAK_KEYS.values() if k], ids=list(WEAK_KEYS)[1:])
def test_the_system_check_flags_each_weak_key(key):
    with override_settings(SIMPLE_JWT={"SIGNING_KEY": key}):
        errors = checks.check_signing_keys()
    assert [error.id for error in errors] == ["ecommerce.E002"]
    assert errors[0].msg.startswith("JWT_SIGNING_KEY: ")


def test_the_system_check_passes_the_suites_keys():
    assert checks.check_signing_keys() == []
