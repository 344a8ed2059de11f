"""A redis-server process a test owns: started, stopped and killed by its pid.

Outage tests use it instead of the shared Redis, which they must never stop.
Also: ``redis_commands_sent``, to count what reaches a Redis socket.
"""

import contextlib
import shutil
import socket
import subprocess
import time

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
