"""The processes the tests and the benchmark start, stop and kill by their pid.

One launcher for everything that runs beside a test or ``make bench``:

- ``RedisServer``: a redis-server on a free loopback port, throwaway or
  persistent (append-only file), for the outage tests, the drills, the fuzz
  server and the web role; never the shared Redis, which no test may stop.
- ``ApiServer``: gunicorn with docker/gunicorn.conf.py, or the image's web role
  (docker/entrypoint.sh web: nginx in front of gunicorn), on a free port.
- ``RqWorker``: ``manage.py rqworker QUEUES``, or the image's worker role.
- ``S3Server``: moto's standalone S3-compatible server (``moto[server]``).
- ``spawn``, ``stop``, ``wait_http``, ``gunicorn_command``, ``gunicorn_env``:
  the parts, for a caller that manages its own processes (bench/run.py).

Imported by the benchmark as well as by the tests, so it imports nothing of
Django. Hand-written on ``subprocess`` rather than on mirakuru or
pytest-xprocess: those start a command and wait for a port, but these
processes need what they do not do (a port taken by another run's server told
apart by its pid, process-group kills of a worker and its horses, gunicorn's
quick shutdown with its workers killed, the worker pids read from /proc), and
the benchmark runs outside pytest.
"""

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import redis

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"

T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(
    condition: Callable[[], T], *, timeout: float = 60.0, interval: float = 0.05, what: str = ""
) -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``.

    Tests wait for states, never for durations: the timeout only bounds a
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


# --- the parts --------------------------------------------------------------------------


def spawn(
    argv: Sequence[str],
    *,
    env: dict[str, str],
    log_path: Path,
    cwd: Path = REPO,
    own_group: bool = True,
) -> subprocess.Popen:
    """Start ``argv`` with its output appended to ``log_path``.

    ``own_group``: in a process group of its own, so that ``stop`` reaches
    everything it forks (gunicorn's workers, RQ's work-horses, nginx).
    """
    with log_path.open("ab") as log:
        return subprocess.Popen(  # noqa: S603 - our own argv
            list(argv),
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=own_group,
        )


def stop(process: subprocess.Popen, *, group: bool = True, timeout: float = 30) -> None:
    """SIGTERM (to its group), then SIGKILL if it is still there after ``timeout``."""

    def send(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)

    if process.poll() is None:
        send(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait(timeout=10)


def http_ok(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def wait_http(
    url: str,
    *,
    process: subprocess.Popen | None = None,
    log_path: Path | None = None,
    timeout: float = 60,
) -> None:
    """Until ``url`` answers 200; fails at once if ``process`` exits first."""

    def log_tail() -> str:
        if log_path is None or not log_path.exists():
            return ""
        return "\n" + log_path.read_text(errors="replace")[-4000:]

    def serving() -> bool:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server of {url} exited:{log_tail()}")
        return http_ok(url)

    try:
        wait_for(serving, timeout=timeout, interval=0.2, what=url)
    except AssertionError:
        raise RuntimeError(f"{url} did not answer 200 within {timeout:g} s{log_tail()}") from None


def gunicorn_command(
    app: str = "ecommerce.wsgi:application", *, web_role: bool, config: str = ""
) -> list[str]:
    """``app`` served as a pod serves it (the web role), or by gunicorn alone.

    ``config``: a gunicorn settings file read after docker/gunicorn.conf.py
    (gunicorn keeps the last ``-c``), e.g. the benchmark baselines' one.
    """
    extra = ["-c", config] if config else []
    if web_role:
        # gunicorn takes the first application named: this one, not the role's.
        return [str(ENTRYPOINT), "web", *extra, app]
    return [str(VENV_BIN / "gunicorn"), "-c", "docker/gunicorn.conf.py", *extra, app]


def gunicorn_env(*, port: int, workers: int, run_dir: Path, prometheus_dir: Path) -> dict[str, str]:
    """What either command reads for its address, its workers and its scratch files."""
    return {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_RUN_DIR": str(run_dir),
        "WEB_CONCURRENCY": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(prometheus_dir),
    }


# --- redis-server -----------------------------------------------------------------------


class RedisServer:
    """One redis-server process owned by the test: started, stopped, killed by pid.

    With ``data_dir`` it keeps its data across a stop and start (an append-only
    file, fsynced on every write), as a production Redis with persistence, or
    a replica promoted in its place, does.
    """

    def __init__(self, port: int, *, data_dir: Path | None = None) -> None:
        self.port = port
        self.data_dir = data_dir
        self.process: subprocess.Popen | None = None

    @classmethod
    def on_free_port(cls, *, data_dir: Path | None = None, attempts: int = 5) -> "RedisServer":
        """Started on a free port; another run may take the port first, so a few tries."""
        for attempt in range(attempts):
            server = cls(free_port(), data_dir=data_dir)
            try:
                server.start()
                return server
            except RuntimeError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _argv(self) -> list[str]:
        argv = [shutil.which("redis-server") or "redis-server"]
        argv += ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        if self.data_dir is None:
            return [*argv, "--appendonly", "no"]
        self.data_dir.mkdir(exist_ok=True)
        argv += ["--dir", str(self.data_dir)]
        return [*argv, "--appendonly", "yes", "--appendfsync", "always"]

    def start(self, *, timeout: float = 20) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            self._argv(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        probe = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server could not listen on port {self.port}")
                try:
                    pid = probe.info("server")["process_id"]
                except redis.exceptions.ConnectionError:  # refused, or still loading its data
                    time.sleep(0.05)
                    continue
                if pid != self.process.pid:  # another test run's server on this port
                    self.stop()
                    raise RuntimeError(f"port {self.port} is taken by another redis-server")
                return
        finally:
            probe.connection_pool.disconnect()
        self.stop()
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(timeout=10)
        self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=0.5)

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """Redis stops answering but keeps its port and its data (SIGSTOP), as in a
        freeze or a failover: calls time out rather than being refused."""
        assert self.process is not None, "the server is not running"
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            self.thaw()

    def thaw(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)


# --- gunicorn ---------------------------------------------------------------------------


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
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Reply:
    """One request on a fresh connection, as a client behind a load balancer makes it.

    ``body`` is sent as JSON, ``form`` form-encoded (as Stripe's library sends).
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    sent = {"Accept": "application/json", **(headers or {})}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    elif form is not None:
        payload = urlencode(form).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
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


class ServerExited(Exception):
    pass


class ApiServer:
    """gunicorn with docker/gunicorn.conf.py on a free loopback port, sync workers.

    ``web_role=True`` runs the image's web role instead (``docker/entrypoint.sh
    web``: nginx on the port, in front of gunicorn on a Unix socket), which is
    what a pod serves. ``ready_path`` is what must answer 200 before it counts
    as started (``/ready`` needs the database and Redis; ``/health`` nothing).
    """

    def __init__(
        self,
        *,
        log_dir: Path,
        env: dict[str, str],
        workers: int = 3,
        web_role: bool = False,
        ready_path: str = "/ready",
    ) -> None:
        self.log_path = log_dir / "gunicorn.log"
        self.env = env
        self.workers = workers
        self.web_role = web_role
        self.ready_path = ready_path
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._prometheus_dir = log_dir / "prometheus"
        self._run_dir = log_dir / "web"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        for attempt in range(3):
            self.port = free_port()
            env = {
                **self.env,
                **gunicorn_env(
                    port=self.port,
                    workers=self.workers,
                    run_dir=self._run_dir,
                    prometheus_dir=self._prometheus_dir,
                ),
            }
            argv = gunicorn_command(web_role=self.web_role)
            self.process = spawn(argv, env=env, log_path=self.log_path, own_group=False)
            try:
                what = f"gunicorn to serve {self.ready_path}"
                wait_for(self._serving, timeout=60, interval=0.1, what=what)
            except ServerExited:
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
        assert self.process is not None, "the server is not running"
        if self.process.poll() is not None:
            raise ServerExited()
        return self.call("GET", self.ready_path, timeout=5).status == 200

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
            # Nothing is in flight: gunicorn's quick shutdown, and once the
            # master is stopping (it will not replace them), the workers are
            # killed rather than waited for through their exit.
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
        assert self.process is not None, "the server is not running"
        if not self.web_role or _is_gunicorn(self.process.pid):
            return self.process.pid
        for pid in process_children(self.process.pid):
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


def _is_gunicorn(pid: int) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(arg.endswith(b"gunicorn") for arg in argv[:2])


# --- rqworker ---------------------------------------------------------------------------


class RqWorker:
    """``manage.py rqworker QUEUES`` in its own process group (the worker, any horses).

    ``role=True``: the image's worker role instead (``docker/entrypoint.sh
    worker``: every queue, with the scheduler), as a worker pod runs it.
    """

    def __init__(
        self,
        *,
        env: dict[str, str],
        log_path: Path,
        queues: Sequence[str] = ("payments",),
        burst: bool = False,
        role: bool = False,
    ) -> None:
        self.log_path = log_path
        if role:
            argv = [str(ENTRYPOINT), "worker"]
        else:
            argv = [sys.executable, "manage.py", "rqworker", *queues]
            if burst:
                argv.append("--burst")
        self.process = spawn(argv, env=env, log_path=log_path)

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

    def stop(self) -> None:
        """A warm shutdown (SIGTERM to the group): the job in hand finishes first."""
        stop(self.process)

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


# --- moto_server ------------------------------------------------------------------------


class S3Server:
    """moto_server on 127.0.0.1:<port>: a real S3 HTTP API, objects kept in its memory."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        executable = VENV_BIN / "moto_server"
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [str(executable), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server could not listen on port {self.port}")
            # moto's own API: an S3 server of another run would not answer it.
            if not http_ok(f"{self.endpoint_url}/moto-api/data.json", timeout=1):
                time.sleep(0.05)
                continue
            if self.process.poll() is not None:  # another process held the port
                raise RuntimeError(f"port {self.port} is taken")
            return
        self.stop()
        raise RuntimeError(f"moto_server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is None:
            return
        stop(self.process, group=False, timeout=10)
        self.process = None

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # moto accepts any
        )
