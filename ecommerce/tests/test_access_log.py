"""The lean access logger writes gunicorn's own access line, field for field."""

import ast
import datetime
from pathlib import Path
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from ecommerce.access_log import AccessLogger

CONF = Path(__file__).resolve().parents[2] / "docker" / "gunicorn.conf.py"


def _conf_values() -> tuple[str, dict[str, str]]:
    """access_log_format and the JSON formatter's ACCESS_FIELDS, as the config file has them."""
    tree = ast.parse(CONF.read_text())
    found: dict[str, Any] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id in ("access_log_format", "ACCESS_FIELDS"):
            found[target.id] = ast.literal_eval(node.value)
    return found["access_log_format"], found["ACCESS_FIELDS"]


class _Response:
    status = "200 OK"
    sent = 4321
    headers = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("X-Request-ID", "req-42"),
        ("X-Cache", "HIT"),
    ]


class _Request:
    headers = [("HOST", "127.0.0.1"), ("USER-AGENT", "wrk/4"), ("X-TRACE", "t-1")]


ENVIRON = {
    "REMOTE_ADDR": "192.0.2.7",
    "REQUEST_METHOD": "GET",
    "RAW_URI": "/v1/products?category=kitchen",
    "PATH_INFO": "/v1/products",
    "QUERY_STRING": "category=kitchen",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "HTTP_USER_AGENT": "wrk/4",
    "HTTP_AUTHORIZATION": "Basic YWxpY2U6c2VjcmV0",
    "SERVER_NAME": "api",
}
ELAPSED = datetime.timedelta(seconds=1, microseconds=234567)


def _loggers(access_format: str, json_atoms=()) -> tuple[Logger, AccessLogger]:
    cfg = Config()
    cfg.set("access_log_format", access_format)
    lean_class = type("Lean", (AccessLogger,), {"json_atoms": frozenset(json_atoms)})
    return Logger(cfg), lean_class(cfg)


def _line(logger: Logger, access_format: str) -> str:
    atoms = logger.atoms(_Response(), _Request(), ENVIRON, ELAPSED)
    return access_format % logger.atoms_wrapper_class(atoms)


def test_the_configured_line_is_gunicorns_own():
    access_format, _ = _conf_values()
    gunicorns, lean = _loggers(access_format)
    assert _line(lean, access_format) == _line(gunicorns, access_format)
    assert "request_id=req-42" in _line(lean, access_format)


def test_the_json_fields_are_gunicorns_own():
    access_format, fields = _conf_values()
    gunicorns, lean = _loggers(access_format, fields)
    full = gunicorns.atoms_wrapper_class(gunicorns.atoms(_Response(), _Request(), ENVIRON, ELAPSED))
    ours = lean.atoms_wrapper_class(lean.atoms(_Response(), _Request(), ENVIRON, ELAPSED))
    assert {atom: ours[atom] for atom in fields} == {atom: full[atom] for atom in fields}
    assert ours["{x-request-id}o"] == "req-42"


@pytest.mark.parametrize(
    "access_format",
    [
        '%(h)s %(l)s %(u)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"',  # gunicorn's default
        "%(D)s %(T)s %(L)s %(p)s %({x-trace}i)s %({x-cache}o)s %({server_name}e)s %(H)s",
    ],
)
def test_any_other_format_gets_the_same_atoms(access_format):
    gunicorns, lean = _loggers(access_format)
    assert _line(lean, access_format) == _line(gunicorns, access_format)


def test_it_builds_only_the_atoms_the_line_uses():
    access_format, fields = _conf_values()
    _, lean = _loggers(access_format, fields)
    atoms = lean.atoms(_Response(), _Request(), ENVIRON, ELAPSED)
    assert "{host}i" not in atoms
    assert "{server_name}e" not in atoms
    assert "t" not in atoms
