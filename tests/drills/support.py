"""Live processes for the failure drills: a gunicorn API server, HTTP load, waits.

Everything is real: gunicorn with ``docker/gunicorn.conf.py`` serving the test
database (the drills are transactional tests, so the server sees what the test
commits and the test sees what the server commits), a redis-server the drill
owns, clients speaking HTTP over loopback sockets, ``manage.py rqworker``.
"""

import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import redis
from django.db import connection

from tests.redis_server import RedisServer, free_port

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

T = TypeVar("T")

# Between two iterations of one load client.
PAUSE_SECONDS = 0.02


def wait_for(
    condition: Callable[[], T], *, timeout: float = 60.0, interval: float = 0.05, what: str = ""
) -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``.

    Drills wait for states, never for durations: the timeout only bounds a
    hang, it is not what the test measures.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or condition}")
        time.sleep(interval)


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


def process_children(pid: int) -> set[int]:
    """Pids whose parent is ``pid`` (read from /proc)."""
    children = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            children.add(int(entry.name))
    return children


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


class PersistentRedisServer(RedisServer):
    """A redis-server that keeps its data across a stop and start (append-only file).

    What a production Redis with persistence, or a replica promoted in its
    place, does: entries cached before an outage are still there after it.
    """

    def __init__(self, port: int, data_dir: Path) -> None:
        super().__init__(port)
        self.data_dir = data_dir

    def start(self) -> None:
        self.data_dir.mkdir(exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        probe = self.client()
        try:
            wait_for(lambda: _answers_ping(probe), timeout=20, what="redis-server to start")
        finally:
            probe.connection_pool.disconnect()


def _answers_ping(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:  # refused, or still loading its data
        return False


@dataclass
class Reply:
    status: int | None  # None: no HTTP answer at all (reset, refused, timed out)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def error_code(self) -> str | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return self.body["error"].get("code")
        return None


def http_call(
    port: int,
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Reply:
    """One request on a fresh connection, as a client behind a load balancer makes it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    payload = json.dumps(body).encode() if body is not None else None
    sent = {"Accept": "application/json", **(headers or {})}
    if payload is not None:
        sent["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException) as exc:
        return Reply(None, error=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = raw.decode(errors="replace")
    return Reply(response.status, data, {k.lower(): v for k, v in response.getheaders()})


class ApiServer:
    """gunicorn with docker/gunicorn.conf.py on a free loopback port, sync workers.

    ``web_role=True`` runs the image's web role instead (``docker/entrypoint.sh
    web``: nginx on the port, in front of gunicorn on a Unix socket), which is
    what a pod serves.
    """

    def __init__(
        self, *, log_dir: Path, env: dict[str, str], workers: int = 3, web_role: bool = False
    ) -> None:
        self.log_path = log_dir / "gunicorn.log"
        self.env = env
        self.workers = workers
        self.web_role = web_role
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._prometheus_dir = log_dir / "prometheus"
        self._run_dir = log_dir / "web"

    def start(self) -> None:
        for attempt in range(3):
            self.port = free_port()
            env = {
                **self.env,
                "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                "WEB_BIND": f"127.0.0.1:{self.port}",
                "WEB_RUN_DIR": str(self._run_dir),
                "WEB_CONCURRENCY": str(self.workers),
                "PROMETHEUS_MULTIPROC_DIR": str(self._prometheus_dir),
            }
            if self.web_role:
                argv = [str(REPO / "docker" / "entrypoint.sh"), "web"]
            else:
                argv = [
                    str(VENV_BIN / "gunicorn"),
                    "-c",
                    "docker/gunicorn.conf.py",
                    "ecommerce.wsgi:application",
                ]
            with self.log_path.open("a") as log:
                self.process = subprocess.Popen(  # noqa: S603 - our own argv
                    argv,
                    cwd=REPO,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                wait_for(self._serving, timeout=60, interval=0.1, what="gunicorn to serve /ready")
            except _ServerExited:
                in_use = ("Address already in use", "(98: Address in use)")
                if attempt == 2 or not any(text in self.log_text() for text in in_use):
                    raise AssertionError(f"gunicorn exited:\n{self.log_text()[-4000:]}") from None
                continue
            wait_for(
                lambda: len(self.worker_pids()) == self.workers,
                timeout=60,
                what=f"{self.workers} gunicorn workers",
            )
            return

    def _serving(self) -> bool:
        if self.process.poll() is not None:  # type: ignore[union-attr]
            raise _ServerExited()
        return self.call("GET", "/ready", timeout=5).status == 200

    def stop(self) -> None:
        if self.process is None:
            return
        if self.web_role and self.process.poll() is None:
            # The entrypoint's own shutdown: nginx gracefully, then gunicorn.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                for pid in process_children(self.process.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.poll() is None:
            # The drill is over and nothing is in flight: gunicorn's quick shutdown,
            # and once the master is stopping (it will not replace them), the
            # workers are killed rather than waited for through their exit.
            workers = self.worker_pids()
            self.process.send_signal(signal.SIGINT)
            with contextlib.suppress(AssertionError):
                wait_for(
                    lambda: "Handling signal: int" in self.log_text(), timeout=10, what="SIGINT"
                )
                for pid in workers & self.worker_pids():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    @property
    def master_pid(self) -> int:
        """The gunicorn master: the process started, or in the web role its child."""
        if not self.web_role or _is_gunicorn(self.process.pid):  # type: ignore[union-attr]
            return self.process.pid  # type: ignore[union-attr]
        for pid in process_children(self.process.pid):  # type: ignore[union-attr]
            if _is_gunicorn(pid):
                return pid
        raise AssertionError("the web role runs no gunicorn")

    def worker_pids(self) -> set[int]:
        return process_children(self.master_pid)

    def signal_worker(self, pid: int, sig: signal.Signals) -> None:
        assert pid in self.worker_pids(), f"{pid} is not one of this server's workers"
        os.kill(pid, sig)

    def call(self, method: str, path: str, **kwargs: Any) -> Reply:
        return http_call(self.port, method, path, **kwargs)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def access_log(self) -> list[dict]:
        entries = []
        for line in self.log_text().splitlines():
            if line.startswith("{") and '"gunicorn.access"' in line:
                entries.append(json.loads(line))
        return entries


class _ServerExited(Exception):
    pass


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
            with self.log_path.open("a") as log:
                self.process = subprocess.Popen(  # noqa: S603 - our own argv
                    [str(VENV_BIN / "localstripe"), "--port", str(self.port), "--from-scratch"],
                    cwd=self.log_path.parent,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                wait_for(self._serving, timeout=30, interval=0.05, what="localstripe to serve")
                return
            except _ServerExited:
                if attempt == 2:
                    raise AssertionError(
                        f"localstripe exited:\n{self.log_text()[-4000:]}"
                    ) from None

    def _serving(self) -> bool:
        if self.process.poll() is not None:  # type: ignore[union-attr]
            raise _ServerExited()
        return self.call("GET", "/v1/balance").status == 200

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def call(self, method: str, path: str, form: dict[str, str] | None = None, **kwargs) -> Reply:
        """A request as the library makes it: form-encoded, with a secret key."""
        headers = {"Authorization": "Bearer sk_test_localstripe", **kwargs.pop("headers", {})}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        body = urlencode(form or {}).encode() if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            return Reply(None, error=f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw.decode(errors="replace")
        return Reply(response.status, data)

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


def _is_gunicorn(pid: int) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(arg.endswith(b"gunicorn") for arg in argv[:2])


class RqWorker:
    """``manage.py rqworker payments`` in its own process group (the worker, any horses)."""

    def __init__(self, *, env: dict[str, str], log_path: Path, burst: bool = False) -> None:
        self.log_path = log_path
        argv = [sys.executable, "manage.py", "rqworker", "payments"]
        if burst:
            argv.append("--burst")
        with log_path.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own argv
                argv,
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def horses(self) -> set[int]:
        """The work-horse processes it forked to run jobs."""
        return process_children(self.pid)

    def job_processes(self) -> set[int]:
        """Where its jobs run: the worker itself (ecommerce.jobs.worker.JobWorker), or
        the work-horses it forks (rq.worker.Worker, RQ_WORKER_CLASS)."""
        return {self.pid} | self.horses()

    def kill(self) -> None:
        """SIGKILL the worker and its horses at once: the machine or pod is lost."""
        if self.process.poll() is None:
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def wait(self, timeout: float = 120.0) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"rqworker did not finish:\n{self.log_text()[-4000:]}") from None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


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
