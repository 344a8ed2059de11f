"""``redis_commands_sent``: what reaches a Redis socket.

The server processes that were here (``RedisServer``, ``S3Server``,
``free_port``) live in ``tests.processes``, the one launcher of the tests and
the benchmark; they are named here too for the imports not yet moved.
"""

import contextlib

from tests.processes import RedisServer, S3Server, free_port

__all__ = ["RedisServer", "S3Server", "free_port", "redis_commands_sent"]


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
