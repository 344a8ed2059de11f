"""Server processes a test owns: started, stopped and killed by their pid.

- ``RedisServer``: outage tests use it instead of the shared Redis, which they
  must never stop.
- ``S3Server``: moto's standalone S3-compatible server (``moto[server]``), the
  object store of the media tests.

Both listen on a free loopback port. Also: ``redis_commands_sent``, to count
what reaches a Redis socket.
"""

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import redis


class RedisServer:
    """One redis-server process owned by the test: started, stopped, killed by pid."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        probe = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        try:
            for _ in range(100):
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server could not listen on port {self.port}")
                try:
                    pid = probe.info("server")["process_id"]
                except redis.exceptions.ConnectionError:
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


class S3Server:
    """moto_server on 127.0.0.1:<port>: a real S3 HTTP API, objects kept in its memory."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        executable = Path(sys.executable).parent / "moto_server"
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [str(executable), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server could not listen on port {self.port}")
            try:
                # moto's own API: an S3 server of another run would not answer it.
                with urllib.request.urlopen(  # noqa: S310 - our loopback server
                    f"{self.endpoint_url}/moto-api/data.json", timeout=1
                ):
                    pass
            except (urllib.error.URLError, ConnectionError, TimeoutError):
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
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def redis_commands_sent(monkeypatch):
    """Counts what really goes out on a Redis socket (a pipeline or a script is one).

    Speed is a benchmark's business, never a wall-clock assertion in a test:
    "fails fast" or "one round trip" is proved by what reaches the server.
    """
    from redis.connection import AbstractConnection

    sent: list[int] = []
    real_send = AbstractConnection.send_packed_command

    def counting_send(self, *args, **kwargs):
        sent.append(1)
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting_send)
    yield sent
    monkeypatch.undo()
