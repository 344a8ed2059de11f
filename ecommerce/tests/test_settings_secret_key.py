"""Without a real SECRET_KEY and with DEBUG off, no process starts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecommerce.config import DEV_SECRET_KEY as DEV_KEY

REPO = Path(__file__).resolve().parents[2]


def manage_check(**env: str) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "DEBUG")}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env={**base, "DJANGO_SETTINGS_MODULE": "ecommerce.settings", **env},
    )


@pytest.mark.parametrize("env", [{}, {"DEBUG": "0"}, {"DEBUG": "0", "SECRET_KEY": ""}])
def test_no_secret_key_with_debug_off_refuses_to_start(env):
    result = manage_check(**env)

    assert result.returncode == 2
    assert result.stderr.startswith("SECRET_KEY: is not set and DEBUG is off")


def test_the_published_development_key_with_debug_off_refuses_to_start():
    result = manage_check(DEBUG="0", SECRET_KEY=DEV_KEY)

    assert result.returncode == 2
    assert result.stderr.startswith("SECRET_KEY: is a key published in this repository")


def test_debug_on_starts_without_a_secret_key():
    result = manage_check(DEBUG="1")

    assert result.returncode == 0, result.stderr
