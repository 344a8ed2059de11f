"""A live server for the fuzzer: gunicorn and an RQ worker on PostgreSQL and Redis.

The server runs the production configuration (docker/entrypoint.sh, the
gunicorn settings of the image, DEBUG off) on a database and a redis-server of
its own, so the fuzzer never touches the test database or another run's data:

- PostgreSQL: ``FUZZ_DATABASE_URL``, by default the database of ``DATABASE_URL``
  with ``_fuzzserver`` appended; dropped and created afresh for every session.
- Redis: a redis-server started on a free port for the session.

Rate limits are set out of reach (the fuzzer sends thousands of requests from
one address) but still counted; access tokens live for a day so that a long
``make fuzz`` never sees them expire.
"""

import os
import secrets
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.processes import ApiServer, RedisServer, RqWorker

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


# schemathesis 4.32.5 (the newest) names each operation's subtest by rewriting
# ``Node._nodeid``, which pytest 9.2 replaced with a structured ``Node._id``
# (its NodeId). Until schemathesis follows, test items get the old attribute
# back as a view of the new one; ids round-trip through NodeId.parse.
if not hasattr(pytest.Function, "_nodeid"):
    from _pytest.nodeid import NodeId

    def _legacy_nodeid_get(node: pytest.Item) -> str:
        return node.nodeid

    def _legacy_nodeid_set(node: pytest.Item, value: str) -> None:
        node._id = NodeId.parse(value)

    pytest.Function._nodeid = property(_legacy_nodeid_get, _legacy_nodeid_set)  # type: ignore[attr-defined]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fuzz: schemathesis against a live server; budget from FUZZ_EXAMPLES (make fuzz)",
    )


@dataclass
class FuzzServer:
    base_url: str
    data: dict
    webhook_secret: str
    log_dir: Path

    def error_log(self, lines: int = 80) -> str:
        text = (self.log_dir / "gunicorn.log").read_text(errors="replace").splitlines()
        return "\n".join(line for line in text[-lines:])


@dataclass
class FuzzStats:
    """What the fuzzer did, printed at the end of the session."""

    examples: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    access_log: Path | None = None

    def requests(self) -> int:
        """Requests the server answered (one access-log line each), probes included."""
        if self.access_log is None or not self.access_log.exists():
            return 0
        with self.access_log.open(errors="replace") as lines:
            return sum(1 for line in lines if '"gunicorn.access"' in line)


STATS = FuzzStats()


def _database_url() -> str:
    explicit = os.environ.get("FUZZ_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        pytest.fail("the fuzz server needs PostgreSQL: set DATABASE_URL (make test does)")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_fuzzserver"))


def _recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def _server_env(*, database_url: str, redis_url: str) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        # The test process's own settings (pytest-env) must not leak in.
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            # ecommerce.settings with a fast password hasher (see that module).
            "DJANGO_SETTINGS_MODULE": "tests.fuzz.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "PAYMENT_WEBHOOK_SECRET": secrets.token_urlsafe(32),
            "DEBUG": "0",
            # Plain HTTP on loopback; in production the ingress terminates TLS.
            "HTTPS_ONLY": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "RATE_LIMIT": "1000000000/hour",
            "LOGIN_RATE_LIMIT": "1000000000/hour",
            "WEBHOOK_RATE_LIMIT": "1000000000/hour",
            "JWT_ACCESS_LIFETIME": "86400",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "WARNING",
            # Retries of transient gateway errors come quickly, within the run.
            "PAYMENT_RETRY_INTERVALS": "1,1,1",
        }
    )
    return env


def _run(env: dict, *argv: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own argv
        [sys.executable, *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="session")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzServer]:
    import json

    log_dir = tmp_path_factory.mktemp("fuzz-server")
    database_url = _database_url()
    _recreate_database(database_url)
    redis = RedisServer.on_free_port()
    env = _server_env(database_url=database_url, redis_url=redis.url)
    # The image's roles: nginx in front of gunicorn (web), every queue (worker).
    server = ApiServer(log_dir=log_dir, env=env, workers=2, web_role=True)
    worker = None
    try:
        _run(env, "manage.py", "migrate", "--noinput")
        seed_file = log_dir / "seed.json"
        _run(env, "-m", "tests.fuzz.seed", str(seed_file))
        worker = RqWorker(env=env, log_path=log_dir / "worker.log", role=True)
        server.start()
        yield FuzzServer(
            base_url=server.base_url,
            data=json.loads(seed_file.read_text()),
            webhook_secret=env["PAYMENT_WEBHOOK_SECRET"],
            log_dir=log_dir,
        )
    finally:
        server.stop()
        if worker is not None:
            worker.stop()
        redis.stop()
        _drop_database(database_url)
