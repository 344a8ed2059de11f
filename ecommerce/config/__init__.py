"""Every environment variable the processes read: declared, read and checked here, once.

Operators configure the shop only through environment variables (README
"Configuration" and "Deploy > Configuration"). Each one is a line of
``VARIABLES`` below: its name, a typed reader and its default. ``load()``
reads all of them at the start of every role (web, worker, cron, migrate,
manage): ``ecommerce.settings`` and ``docker/gunicorn.conf.py`` take their
values from it, and nothing else reads the environment for configuration.

A value that cannot work stops the process with one line per problem,
naming the variable, the problem and what is accepted::

    LOG_LEVEL: "loud" is not one of debug, info, warning, error, critical

and exit code 2, never a traceback. ``load()`` raises ``ConfigError``;
``exit_on_error()`` turns it into those lines and the exit, and every entry
point runs under it: manage.py (so rqworker, rqcron and every command),
ecommerce/wsgi.py, docker/gunicorn.conf.py and the entrypoint's migrate and
worker roles. What can only be seen once Django's apps are loaded (a class
path that does not import, the payment gateway) is a system check that
AppConfig.ready() also runs, raising ``ConfigError`` with the same lines:
``manage.py check --deploy`` reports it, and no process starts with it.

An empty value (``NAME=``) counts as unset, except for the readers where
empty means something (text, secrets, lists: ``METRICS_ALLOWED_NETWORKS=``
is "no network"). Words are case-insensitive.

Adding a variable
-----------------
1. One line in ``VARIABLES`` (ecommerce/config/variables.py; ``V`` is
   ``Variable``), where it belongs::

       V("STRIPE_API_BASE", Url(("https",)), "https://api.stripe.com"),
       V("STRIPE_SECRET_KEY", Secret(), "", secret=True),
       V("MEDIA_MAX_UPLOAD_BYTES", Size(1024), "10MiB"),
       V("PRICES_INCLUDE_TAX", Boolean(), "off"),
       V("TAX_CALCULATOR", DottedPath(), "orders.tax.NoTax"),
       V("TRUSTED_PROXY_NETWORKS", ListOf(Cidr()), ""),

   The default is written as an operator would write the value and read by
   the same reader, so it is checked too. ``""`` means none; a function of
   the values declared above it (``lambda v: ...``, returning text) gives a
   default that depends on them. ``secret=True`` keeps the value out of error
   messages; ``table="server"`` if README documents it under "Deploy >
   Configuration" (the image and gunicorn). A ``DottedPath()`` class is
   imported when the apps load (ecommerce.checks), so a path that does not
   import stops every role too. A reader from the list below fits almost any
   value; a new kind is a ``Reader`` subclass (ecommerce/config/readers.py)
   with ``parse``, ``accepted`` and ``bad`` (a value it refuses, which the
   tests start a process with).
2. Use it: ``STRIPE_API_BASE = env.STRIPE_API_BASE`` in ecommerce/settings
   (or ``CONFIG.NAME`` in docker/gunicorn.conf.py).
3. A row in README's table, ``| `NAME` | `default` | accepted | meaning |``.
   ecommerce/tests/test_config_readme.py fails until the README, this list
   and the code agree; the bad-value and default tests then cover the new
   variable by themselves (a setting of the same name is taken as where its
   value lands; otherwise give the test a line in ``OBSERVED``).

Readers: Boolean, Integer, Duration, Size, Rate, Word, Text, Secret, Url,
DatabaseUrl, Cidr, Host, Origin, DottedPath, FilePath, Email, Bind, ListOf.
django-environ parses database URLs here (``DatabaseUrl``), as before; its
other readers cannot say what is wrong with a value (``env.bool`` takes
"maybe" for False, ``env.int`` raises a ValueError naming no variable) and
it has no durations, sizes, rates, CIDRs or host names, hence these.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from ecommerce.config.readers import (
    Bind,
    Boolean,
    Cidr,
    DatabaseUrl,
    DottedPath,
    Duration,
    Email,
    FilePath,
    Host,
    Integer,
    Invalid,
    IpAddress,
    ListOf,
    Origin,
    Rate,
    Reader,
    Secret,
    Size,
    Text,
    Url,
    Word,
    _show,
    rate_parse,
)
from ecommerce.config.variables import (
    BASE_DIR,
    CONSTRAINTS,
    DEV_SECRET_KEY,
    NEW_KEY_HINT,
    PUBLISHED_KEYS,
    RQ_QUEUE_NAMES,
    SIGNING_KEY_ACCEPTED,
    SIGNING_KEY_MIN_LENGTH,
    VARIABLES,
    V,
    Variable,
    signing_key_problem,
)

__all__ = [
    "BASE_DIR",
    "CONSTRAINTS",
    "DEV_SECRET_KEY",
    "NEW_KEY_HINT",
    "PUBLISHED_KEYS",
    "RQ_QUEUE_NAMES",
    "SIGNING_KEY_ACCEPTED",
    "SIGNING_KEY_MIN_LENGTH",
    "VARIABLES",
    "Bind",
    "Boolean",
    "Cidr",
    "Config",
    "ConfigError",
    "DatabaseUrl",
    "DottedPath",
    "Duration",
    "Email",
    "FilePath",
    "Host",
    "Integer",
    "Invalid",
    "IpAddress",
    "ListOf",
    "Origin",
    "Rate",
    "Reader",
    "Secret",
    "Size",
    "Text",
    "Url",
    "V",
    "Variable",
    "Word",
    "by_name",
    "exit_on_error",
    "load",
    "load_or_exit",
    "rate_parse",
    "signing_key_problem",
]


class ConfigError(ImproperlyConfigured):
    """One or more variables that cannot work; each line names one and says why."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


# --- Loading --------------------------------------------------------------------


class Config(Mapping[str, Any]):
    """The variables' values: ``CONFIG.LOG_LEVEL`` or ``CONFIG["LOG_LEVEL"]``."""

    def __init__(self, values: dict[str, Any], set_names: frozenset[str]) -> None:
        self._values = values
        self._set = set_names

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{name} is not declared in ecommerce.config.VARIABLES") from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def is_set(self, name: str) -> bool:
        """Whether the environment gave the variable a value (possibly empty)."""
        return name in self._set


def _show_secret(raw: str) -> str:
    if "://" in raw:
        try:
            parts = urlsplit(raw.strip())
            if parts.password:
                netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
                return _show(parts._replace(netloc=netloc).geturl())
            return _show(raw)
        except ValueError:
            pass
    return f"(secret, {len(raw)} characters)"


def _problem(variable: Variable, raw: str, exc: Invalid, *, default: bool) -> str:
    shown = _show_secret(raw) if variable.secret else _show(raw)
    detail = f" ({exc})" if str(exc) else ""
    source = " (its default)" if default else ""
    return f"{variable.name}: {shown}{source} is not {variable.reader.accepted}{detail}"


def by_name() -> dict[str, Variable]:
    return {variable.name: variable for variable in VARIABLES}


def env_file_read() -> None:
    """Put the variables of ``ENV_FILE`` (default: the checkout's ``.env``) into the
    environment, under those already set; ``ENV_FILE=`` reads none.

    ``make run`` writes a git-ignored ``.env`` with ``DEBUG=1``, so that a
    ``manage.py`` command typed by hand runs as the server does. Production
    has no such file; pytest sets ``ENV_FILE=``.
    """
    path = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
    if path and os.path.isfile(path):
        environ.Env.read_env(path)


def load(env: Mapping[str, str] | None = None) -> Config:
    """Read and check every variable; ``ConfigError`` lists every problem found.

    Without ``env``, from the process's environment, ``ENV_FILE`` read first.
    """
    if env is None:
        env_file_read()
        env = os.environ
    values: dict[str, Any] = {}
    problems: list[str] = []
    for variable in VARIABLES:
        raw = env.get(variable.name)
        from_default = raw is None or (raw == "" and not variable.reader.takes_empty)
        if from_default:
            try:
                raw = variable.default(values) if callable(variable.default) else variable.default
            except KeyError:
                continue  # depends on a variable that could not be read: already reported
        if raw == "" and not variable.reader.takes_empty:
            values[variable.name] = None
            continue
        raw = cast(str, raw)  # the environment's text, or the default's
        try:
            values[variable.name] = variable.reader.parse(raw)
        except Invalid as exc:
            problems.append(_problem(variable, raw, exc, default=from_default))
    for names, check in CONSTRAINTS:
        if all(name in values for name in names):
            problems.extend(check(values, env))
    if problems:
        raise ConfigError(problems)
    return Config(values, frozenset(name for name in values if name in env))


@contextmanager
def exit_on_error() -> Iterator[None]:
    """A ``ConfigError`` inside becomes its lines on stderr and exit code 2."""
    try:
        yield
    except ConfigError as exc:
        sys.stdout.flush()
        for line in exc.lines:
            print(line, file=sys.stderr)
        sys.stderr.flush()
        raise SystemExit(2) from None


def load_or_exit() -> Config:
    with exit_on_error():
        return load()
