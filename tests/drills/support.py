"""Live processes for the failure drills: a gunicorn API server, HTTP load, waits.

Everything is real: gunicorn with ``docker/gunicorn.conf.py`` serving the test
database (the drills are transactional tests, so the server sees what the test
commits and the test sees what the server commits), a redis-server the drill
owns, clients speaking HTTP over loopback sockets, ``manage.py rqworker``.
"""

import contextlib
import os
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection

# The drills' servers and waits are the shared launcher's (tests.processes).
from tests.processes import (
    VENV_BIN,
    ApiServer,
    Reply,
    ServerExited,
    free_port,
    http_call,
    spawn,
    stop,
    wait_for,
)

REPO = Path(__file__).resolve().parents[2]

# Between two iterations of one load client.
PAUSE_SECONDS = 0.02


def live_database_url() -> str:
    """The URL of the database this test runs on (``test_<name>``), for subprocesses."""
    config = connection.settings_dict
    credentials = quote(config["USER"] or "", safe="")
    if config["PASSWORD"]:
        credentials += ":" + quote(config["PASSWORD"], safe="")
    host = config["HOST"] or "127.0.0.1"
    port = config["PORT"] or "5432"
    return f"postgres://{credentials}@{host}:{port}/{config['NAME']}"


def service_env(*, redis_url: str, **overrides: str) -> dict[str, str]:
    """Environment of a server or worker process: production settings on the test services."""
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "ecommerce.settings",
        "DATABASE_URL": live_database_url(),
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "HTTPS_ONLY": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_FORMAT": "json",
        "DB_POOL_MIN_SIZE": "1",
        "DB_POOL_MAX_SIZE": "4",
        # The drills measure failures, not throttling: limits far above the load.
        "RATE_LIMIT": "1000000/hour",
        "LOGIN_RATE_LIMIT": "1000000/minute",
        "WEBHOOK_RATE_LIMIT": "1000000/minute",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(overrides)
    return env


def pid_owning_connection(local_port: int, remote_port: int, candidates: set[int]) -> int | None:
    """Which of ``candidates`` holds the TCP connection ``127.0.0.1:local_port -> :remote_port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                ports = (int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16))
                if ports == (local_port, remote_port):
                    inodes.add(fields[9])
    for pid in candidates:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:[") and target[8:-1] in inodes:
                        return pid
    return None


class LocalStripe:
    """``localstripe`` (a stateful Stripe-compatible server) on a free port, from scratch.

    The official library talks to it when ``STRIPE_API_BASE`` is its ``url``.
    It delivers webhooks itself, signed in Stripe's scheme, to the endpoints
    registered with ``webhook_register``. Run as installed, with
    ``--from-scratch``: it still writes its whole store to
    /tmp/localstripe.pickle after every write, a file every instance shares,
    but one started from scratch never reads it, so parallel runs do not see
    each other's objects.
    """

    def __init__(self, *, log_path: Path) -> None:
        self.log_path = log_path
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        for attempt in range(3):
            self.port = free_port()
            self.process = spawn(
                [str(VENV_BIN / "localstripe"), "--port", str(self.port), "--from-scratch"],
                env=dict(os.environ),
                log_path=self.log_path,
                cwd=self.log_path.parent,
                own_group=False,
            )
            try:
                wait_for(self._serving, timeout=30, interval=0.05, what="localstripe to serve")
                return
            except ServerExited:
                if attempt == 2:
                    raise AssertionError(
                        f"localstripe exited:\n{self.log_text()[-4000:]}"
                    ) from None

    def _serving(self) -> bool:
        assert self.process is not None, "localstripe is not running"
        if self.process.poll() is not None:
            raise ServerExited()
        return self.call("GET", "/v1/balance").status == 200

    def stop(self) -> None:
        if self.process is None:
            return
        stop(self.process, group=False, timeout=10)
        self.process = None

    def call(self, method: str, path: str, form: dict[str, str] | None = None, **kwargs) -> Reply:
        """A request as the library makes it: form-encoded, with a secret key."""
        headers = {"Authorization": "Bearer sk_test_localstripe", **kwargs.pop("headers", {})}
        return http_call(self.port, method, path, form=form, headers=headers, **kwargs)

    def payment_method(self, card_number: str) -> str:
        """What Stripe.js does in the customer's browser: the card becomes a ``pm_...``."""
        reply = self.call(
            "POST",
            "/v1/payment_methods",
            {
                "type": "card",
                "card[number]": card_number,
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            },
        )
        assert reply.status == 200, reply
        return reply.body["id"]

    def authenticate(self, intent_id: str, client_secret: str, *, success: bool = True) -> Reply:
        """The customer's 3-D Secure challenge, finished in the browser with the client secret."""
        return self.call(
            "POST",
            f"/v1/payment_intents/{intent_id}/_authenticate",
            {"client_secret": client_secret, "success": "true" if success else "false"},
        )

    def webhook_register(self, name: str, url: str, secret: str) -> None:
        reply = self.call("POST", f"/_config/webhooks/{name}", {"url": url, "secret": secret})
        assert reply.status == 200, reply

    def objects(self, kind: str) -> list[dict]:
        """Every object of a kind (``payment_intents``, ``charges``, ``refunds``) it holds."""
        reply = self.call("GET", f"/v1/{kind}?limit=1000")
        assert reply.status == 200, reply
        return reply.body["data"]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Sample:
    kind: str
    phase: str
    status: int | None
    error: str
    body: Any
    request_id: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Load:
    """Parallel clients: thread ``i`` runs ``scenario(load, i)`` again and again until stopped.

    Every request goes through ``load.call``, which records it with the phase
    the drill was in when it was sent (``load.phase``, set by the drill).
    """

    def __init__(self, server: ApiServer, scenario: Callable[["Load", int], None], threads: int):
        self.server = server
        self.scenario = scenario
        self.phase = "before"
        self.samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(index,), daemon=True)
            for index in range(threads)
        ]
        self.crashes: list[BaseException] = []

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in self._threads), "a client hung"
        assert not self.crashes, self.crashes

    def _run(self, index: int) -> None:
        try:
            while not self._stop.is_set():
                self.scenario(self, index)
        except BaseException as exc:  # reported by stop()
            self.crashes.append(exc)

    def pause(self) -> None:
        """A breath between a client's iterations: a steady load, not a saturating one."""
        self._stop.wait(PAUSE_SECONDS)

    def call(self, kind: str, method: str, path: str, **kwargs: Any) -> Reply:
        phase = self.phase
        request_id = f"drill-{uuid.uuid4().hex}"
        headers = {"X-Request-ID": request_id, **kwargs.pop("headers", {})}
        reply = self.server.call(method, path, headers=headers, **kwargs)
        with self._lock:
            self.samples.append(
                Sample(kind, phase, reply.status, reply.error, reply.body, request_id)
            )
        return reply

    def select(
        self, *, kind: str | None = None, phase: str | None = None, status: int | None = None
    ) -> list[Sample]:
        with self._lock:
            samples = list(self.samples)
        return [
            s
            for s in samples
            if (kind is None or s.kind == kind)
            and (phase is None or s.phase == phase)
            and (status is None or s.status == status)
        ]

    def wait_for(self, count: int, *, timeout: float = 60.0, **selector: Any) -> None:
        try:
            wait_for(
                lambda: len(self.select(**selector)) >= count,
                timeout=timeout,
                what=f"{count} requests {selector}",
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}; so far: {self.summary()}") from None

    def summary(self) -> dict[tuple[str, str, int | None], int]:
        """How many requests of each (kind, phase, status), for failure messages."""
        counts: dict[tuple[str, str, int | None], int] = {}
        for sample in self.select():
            key = (sample.kind, sample.phase, sample.status)
            counts[key] = counts.get(key, 0) + 1
        return counts


@dataclass
class DrillFigures:
    """What one drill did, for the run's summary."""

    name: str
    faults: int = 0
    orders_during_faults: int = 0
    drift: int = 0
    notes: list[str] = field(default_factory=list)


FIGURES: list[DrillFigures] = []


@contextlib.contextmanager
def figures(name: str) -> Iterator[DrillFigures]:
    record = DrillFigures(name)
    yield record
    FIGURES.append(record)
