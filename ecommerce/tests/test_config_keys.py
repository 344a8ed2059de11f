"""No committed file sets a signing key that ecommerce.config would not refuse.

A key in any file of the repository is published: whoever reads the
repository can sign sessions and API tokens with it. Every SECRET_KEY or
JWT_SIGNING_KEY a tracked file sets (compose, k8s examples, scripts,
pyproject's test environment, the Dockerfile...) must be empty, generated
at run time, or listed in ecommerce.config.PUBLISHED_KEYS, which DEBUG off
refuses.
"""

import re
import subprocess
from pathlib import Path

from ecommerce import config

REPO = Path(__file__).resolve().parents[2]
# NAME=value, NAME: value, "NAME": "value", NAME="value" (env files, YAML, TOML, Python, shell).
ASSIGNMENT = re.compile(
    # Not STRIPE_SECRET_KEY: only the keys that sign sessions and tokens.
    r"""(?<!STRIPE_)["']?(?:SECRET_KEY|JWT_SIGNING_KEY)["']?\s*[:=]\s*["']?(?P<value>[^"'\s,)}]*)"""
)


def _committed_keys() -> dict[str, set[str]]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607
        capture_output=True,
        check=True,
        cwd=REPO,
    ).stdout.split(b"\0")
    found: dict[str, set[str]] = {}
    for name in filter(None, listed):
        path = REPO / name.decode()
        if not path.is_file() or path.suffix in {".png", ".svg", ".ico"}:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for match in ASSIGNMENT.finditer(text):
            # ${SECRET_KEY:-default}: the default is what a file publishes.
            value = re.sub(r"^\$\{\w+:-", "", match.group("value"))
            found.setdefault(value, set()).add(name.decode())
    return found


def _refused(value: str) -> bool:
    return config.signing_key_problem(value) is not None


def _generated(value: str) -> bool:
    """Computed where it is used: ``$(...)``, ``${VAR:-...}`` defaults are checked too."""
    return value.startswith(("$(", "secrets.", "os.environ", "env", "<"))


def test_the_scan_finds_the_keys_it_must():
    """Guards the pattern: the compose file's key and the development key are found."""
    keys = _committed_keys()
    compose = "laptop-only-key-change-me-3b8f1c9e2d7a4f6b8e0c5d1a9f2e7b4c"
    assert "docker/compose.yml" in keys[compose]
    assert "ecommerce/config/variables.py" in keys[config.DEV_SECRET_KEY]
    assert compose in config.PUBLISHED_KEYS


def test_every_committed_key_is_refused_with_debug_off():
    unrefused = {
        value: sorted(files)
        for value, files in _committed_keys().items()
        if value and not _generated(value) and not _refused(value)
    }
    assert not unrefused, (
        f"keys in committed files that DEBUG off would accept: {unrefused}; generate them "
        "at run time, or add them to ecommerce.config.PUBLISHED_KEYS"
    )
