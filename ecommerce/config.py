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
1. One line in ``VARIABLES`` (``V`` is ``Variable``), where it belongs::

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
   value; a new kind is a ``Reader`` subclass with ``parse``, ``accepted``
   and ``bad`` (a value it refuses, which the tests start a process with).
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

import importlib.util
import ipaddress
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# The queues every worker serves unless WORKER_QUEUES narrows it (settings.RQ_QUEUE_NAMES).
RQ_QUEUE_NAMES = ("default", "payments", "emails")

# Keys that appear in this repository's files: whoever reads the repository
# can sign sessions and API tokens with them. Refused with DEBUG off (see
# signing_key_problem); ecommerce/tests/test_config_keys.py fails when a
# committed file sets SECRET_KEY or JWT_SIGNING_KEY to a key not listed here.
DEV_SECRET_KEY = "django-insecure-dev-only-key-do-not-use-in-production"  # noqa: S105
PUBLISHED_KEYS = frozenset(
    {
        DEV_SECRET_KEY,
        # docker/compose.yml, for a laptop.
        "laptop-only-key-change-me-3b8f1c9e2d7a4f6b8e0c5d1a9f2e7b4c",
        # The test settings before they generated a key per run.
        "test-secret-key-not-for-production-0123456789abcdefghijklmnop",
    }
)
# HS256 wants a key at least as long as its hash: 256 bits (RFC 7518, 3.2).
SIGNING_KEY_MIN_LENGTH = 32
NEW_KEY_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"


class ConfigError(ImproperlyConfigured):
    """One or more variables that cannot work; each line names one and says why."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class Invalid(ValueError):
    """Raised by a reader; the text, if any, adds a detail to "is not <accepted>"."""


# --- Readers --------------------------------------------------------------------


class Reader:
    """Text from the environment -> a typed value, or ``Invalid``."""

    #: What is accepted, as the error message says it ("a whole number from 1 to 10").
    accepted = ""
    #: A value this reader refuses: the tests start every role with it.
    bad = "two\nlines"
    #: "" is a value of its own (empty text, empty list) rather than "unset".
    takes_empty = False

    def parse(self, raw: str) -> Any:
        raise NotImplementedError


class Boolean(Reader):
    TRUE = ("1", "true", "yes", "on")
    FALSE = ("0", "false", "no", "off")
    accepted = "on or off (1, true, yes, on or 0, false, no, off)"
    bad = "maybe"

    def parse(self, raw: str) -> bool:
        word = raw.strip().lower()
        if word in self.TRUE:
            return True
        if word in self.FALSE:
            return False
        raise Invalid


def _or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _bounds(low: float | None, high: float | None, unit: str = "") -> str:
    if unit and low == 0:
        low = None  # a duration or size is never negative: saying so adds nothing
    if low is not None and high is not None:
        return f" from {low:g}{unit} to {high:g}{unit}"
    if low is not None:
        return f" of at least {low:g}{unit}"
    if high is not None:
        return f" of at most {high:g}{unit}"
    return ""


class Integer(Reader):
    bad = "many"

    def __init__(self, low: int | None = 0, high: int | None = None) -> None:
        self.low, self.high = low, high
        self.accepted = "a whole number" + _bounds(low, high)

    def parse(self, raw: str) -> int:
        if not re.fullmatch(r"[+-]?\d+", raw.strip()):
            raise Invalid
        return _within(int(raw), self.low, self.high)


def _within(value: float, low: float | None, high: float | None) -> Any:
    if (low is not None and value < low) or (high is not None and value > high):
        raise Invalid
    return value


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")
_SECONDS = {
    "ms": 0.001,
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
}


class Duration(Reader):
    """``900``, ``900s``, ``15m``, ``2h``, ``14 days``, ``500ms``: in ``unit`` (s or ms).

    A bare number is in ``unit``. ``whole`` (the default) refuses fractions of
    the unit: the settings these feed take whole seconds.
    """

    bad = "soon"

    def __init__(
        self,
        low: float | None = 0,
        high: float | None = None,
        *,
        unit: str = "s",
        whole: bool = True,
    ) -> None:
        self.low, self.high, self.unit, self.whole = low, high, unit, whole
        examples = "500, 2s, 1m" if unit == "ms" else "900, 900s, 15m, 2h, 14d"
        if not whole:
            examples = "0.5, 500ms, 2s"
        self.accepted = (
            f"a duration{_bounds(low, high, ' ' + unit)} ({examples}; a bare number is in "
            f"{'milliseconds' if unit == 'ms' else 'seconds'})"
        )

    def parse(self, raw: str) -> int | float:
        match = _DURATION.fullmatch(raw.strip().lower())
        if match is None or match.group(2) not in ("", *_SECONDS):
            raise Invalid
        number, suffix = float(match.group(1)), match.group(2)
        per_unit = _SECONDS[self.unit]
        value = number if not suffix else number * _SECONDS[suffix] / per_unit
        value = round(value, 6)
        if self.whole:
            if value != int(value):
                raise Invalid(f"not a whole number of {self.unit}")
            value = int(value)
        return _within(value, self.low, self.high)


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")
_BYTES = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}


class Size(Reader):
    """``1048576``, ``512KiB``, ``1 MiB``, ``1MB``: bytes (KiB = 1024, KB = 1000)."""

    bad = "big"

    def __init__(self, low: int | None = 1, high: int | None = None) -> None:
        self.low, self.high = low, high
        self.accepted = (
            f"a size{_bounds(low, high, ' bytes')} (1048576, 512KiB, 1MiB or 1MB; "
            "a bare number is in bytes)"
        )

    def parse(self, raw: str) -> int:
        match = _SIZE.fullmatch(raw.strip().lower())
        if match is None or match.group(2) not in _BYTES:
            raise Invalid
        value = float(match.group(1)) * _BYTES[match.group(2)]
        if value != int(value):
            raise Invalid("not a whole number of bytes")
        return _within(int(value), self.low, self.high)


_RATE = re.compile(r"(\d+)\s*/\s*([a-z]+)")
RATE_PERIODS = {
    unit: seconds
    for unit, seconds in _SECONDS.items()
    if unit not in ("ms", "secs", "mins", "hr", "hrs")
}


def rate_parse(text: str) -> tuple[int, int]:
    """``"1000/hour"`` -> (1000, 3600): requests per window, in seconds. ``Invalid`` else."""
    match = _RATE.fullmatch(text.strip().lower()) if isinstance(text, str) else None
    if match is None or match.group(2) not in RATE_PERIODS or int(match.group(1)) < 1:
        raise Invalid
    return int(match.group(1)), RATE_PERIODS[match.group(2)]


class Rate(Reader):
    """``1000/hour``, ``10/minute``, ``5/s``: kept as written; ecommerce.throttling reads it."""

    accepted = "a rate, <requests>/<second, minute, hour or day> (1000/hour, 10/minute)"
    bad = "lots"

    def parse(self, raw: str) -> str:
        rate_parse(raw)
        return raw.strip()


class Word(Reader):
    """One of ``choices``, in any case; the value is the choice as declared."""

    bad = "no-such-choice"

    def __init__(self, *choices: str, or_dotted_path: bool = False) -> None:
        self.choices, self.or_dotted_path = choices, or_dotted_path
        listed = ", ".join(choices)
        self.accepted = (
            f"one of {listed}, or the dotted path of a class"
            if or_dotted_path
            else f"one of {listed}"
        )

    def parse(self, raw: str) -> str:
        word = raw.strip()
        for choice in self.choices:
            if word.lower() == choice.lower():
                return choice
        if self.or_dotted_path and _DOTTED.fullmatch(word) and "." in word:
            return word
        raise Invalid


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Text(Reader):
    """Any one-line text, or text matching ``pattern`` (described by ``accepted``)."""

    takes_empty = True

    def __init__(self, pattern: str | None = None, accepted: str = "") -> None:
        self.pattern = re.compile(pattern) if pattern else None
        self.accepted = accepted or "one line of text"

    def parse(self, raw: str) -> str:
        if _CONTROL.search(raw):
            raise Invalid("it holds a line break or control character")
        if self.pattern is not None and not self.pattern.fullmatch(raw):
            raise Invalid
        return raw


class Secret(Text):
    """A key, token or password: one line, no surrounding whitespace.

    A trailing newline is what a Secret made from a file often carries, and
    what would make a token never match and a signature never verify.
    """

    bad = "pasted-with-its-newline\n"

    def __init__(self, accepted: str = "", *, empty: bool = True) -> None:
        super().__init__(accepted=accepted or "a key on one line, without surrounding whitespace")
        self.takes_empty = empty

    def parse(self, raw: str) -> str:
        if raw != raw.strip():
            raise Invalid("it starts or ends with whitespace")
        return super().parse(raw)


class Url(Reader):
    """A URL with one of ``schemes`` and a host (unless the scheme is unix)."""

    bad = "not a url"

    def __init__(
        self,
        schemes: tuple[str, ...] = ("https", "http"),
        *,
        contains: str = "",
        empty: bool = False,
    ) -> None:
        self.schemes, self.contains, self.takes_empty = schemes, contains, empty
        listed = _or([f"{scheme}://" for scheme in sorted(schemes)])
        self.accepted = f"a {listed} URL" + (f" containing {contains}" if contains else "")

    def parse(self, raw: str) -> str:
        url = raw.strip()
        if not url and self.takes_empty:
            return ""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError as exc:
            raise Invalid(str(exc)) from exc
        if parts.scheme.lower() not in self.schemes:
            raise Invalid(f"scheme {parts.scheme or 'missing'}")
        if parts.scheme != "unix" and not parts.hostname:
            raise Invalid("no host")
        if " " in url or _CONTROL.search(url):
            raise Invalid("it holds whitespace")
        if self.contains and self.contains not in url:
            raise Invalid(f"no {self.contains}")
        return url


class DatabaseUrl(Reader):
    """PostgreSQL or SQLite URL -> Django's DATABASES entry (django-environ's parser)."""

    SCHEMES = ("postgres", "postgresql", "pgsql", "sqlite")
    accepted = "a postgres://user:password@host:5432/name or sqlite:///path URL"
    bad = "not a url"

    def parse(self, raw: str) -> dict:
        url = raw.strip()
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme not in self.SCHEMES:
            raise Invalid(f"scheme {scheme or 'missing'}")
        if " " in url or _CONTROL.search(url):
            raise Invalid("it holds whitespace")
        try:
            # No host is fine: postgres:///name is the local socket.
            config = environ.Env.db_url_config(url)
        except ValueError as exc:
            raise Invalid(str(exc)) from exc
        if not config.get("NAME"):
            raise Invalid("no database name")
        return config


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text.strip(), strict=False)


class Cidr(Reader):
    accepted = "a CIDR (10.0.0.0/8, fd00::/8) or an address"
    bad = "10.0.0.0/33"

    def parse(self, raw: str) -> str:
        try:
            return str(_network(raw))
        except ValueError as exc:
            raise Invalid from exc


class IpAddress(Reader):
    """An IP address; with ``star``, ``*`` (any) too."""

    bad = "10.0.0.256"

    def __init__(self, *, star: bool = False) -> None:
        self.star = star
        self.accepted = "* (any) or an IP address" if star else "an IP address (10.0.0.1, ::1)"

    def parse(self, raw: str) -> str:
        if self.star and raw.strip() == "*":
            return "*"
        try:
            return str(ipaddress.ip_address(raw.strip()))
        except ValueError as exc:
            raise Invalid from exc


_HOSTNAME = re.compile(
    r"(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?"
)


def _host_valid(text: str) -> bool:
    if text.startswith("[") and text.endswith("]"):
        try:
            ipaddress.IPv6Address(text[1:-1])
        except ValueError:
            return False
        return True
    return bool(_HOSTNAME.fullmatch(text.lower()))


class Host(Reader):
    """A host name or address; with ``patterns``, also ``*`` and ``.example.com``."""

    bad = "https://shop.example.com/"

    def __init__(self, *, patterns: bool = False) -> None:
        self.patterns = patterns
        self.accepted = (
            "a host name or address (shop.example.com, .example.com for every subdomain, "
            "10.0.0.1, [::1], *), without scheme or port"
            if patterns
            else "a host name or address (smtp.example.com, 10.0.0.1)"
        )

    def parse(self, raw: str) -> str:
        host = raw.strip()
        if "://" in host:
            raise Invalid("a URL: give the host name alone")
        if self.patterns and host == "*":
            return host
        name = host[1:] if self.patterns and host.startswith(".") else host
        if not _host_valid(name):
            if re.fullmatch(r"[^:]+:\d+", name):
                raise Invalid("it has a port")
            raise Invalid
        return host


class Origin(Reader):
    """``https://shop.example.com`` (``https://*.example.com`` with ``wildcard``)."""

    bad = "shop.example.com"

    def __init__(self, *, wildcard: bool = False) -> None:
        self.wildcard = wildcard
        self.accepted = "an origin, scheme://host[:port] (https://shop.example.com" + (
            ", https://*.example.com)" if wildcard else ")"
        )

    def parse(self, raw: str) -> str:
        origin = raw.strip()
        try:
            parts = urlsplit(origin)
            parts.port  # noqa: B018
        except ValueError as exc:
            raise Invalid(str(exc)) from exc
        host = parts.hostname or ""
        if self.wildcard and host.startswith("*."):
            host = host[2:]
        if parts.scheme not in ("http", "https") or not host or not _host_valid(host):
            raise Invalid
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise Invalid("an origin has no path")
        return origin.rstrip("/")


_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


class DottedPath(Reader):
    """``package.module.Name``; with ``module``, it must be an importable module.

    With ``or_name``, a short name too (one word, any case: the value is lower
    case), which the code that resolves the path looks up (PAYMENT_GATEWAY's
    payments.gateway.PAYMENT_GATEWAY_ALIASES). Classes are imported once
    Django's apps are loaded (ecommerce.checks, payments.checks): importing
    them here, before settings exist, could fail for the wrong reason.
    """

    bad = "not a.dotted path"

    def __init__(self, *, module: bool = False, or_name: str = "") -> None:
        self.module, self.or_name = module, or_name
        kind = "module" if module else "class"
        self.accepted = (
            f"{or_name} or the dotted path of a {kind}"
            if or_name
            else (f"the dotted path of a {kind}")
        )

    def parse(self, raw: str) -> str:
        path = raw.strip()
        if self.or_name and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", path):
            return path.lower()
        if not _DOTTED.fullmatch(path) or (not self.module and "." not in path):
            raise Invalid
        if self.module:
            try:
                found = importlib.util.find_spec(path)
            except (ImportError, ValueError) as exc:
                raise Invalid(f"{type(exc).__name__}: {exc}") from exc
            if found is None:
                raise Invalid("no such module")
        return path


class FilePath(Reader):
    """A file system path; ``dash`` also takes ``-`` (standard output).

    With ``parent_exists``, the directory that will hold the file must exist.
    """

    bad = "two\nlines"

    def __init__(self, *, dash: bool = False, parent_exists: bool = False) -> None:
        self.dash, self.parent_exists = dash, parent_exists
        where = "in an existing directory" if parent_exists else ""
        self.accepted = ("- (standard output) or " if dash else "") + " ".join(
            filter(None, ["a file path", where])
        )

    def parse(self, raw: str) -> str:
        path = raw.strip()
        if self.dash and path == "-":
            return path
        if not path or _CONTROL.search(path):
            raise Invalid
        if self.parent_exists and not Path(path).parent.is_dir():
            raise Invalid(f"no directory {Path(path).parent}")
        return path


class Email(Reader):
    accepted = (
        "an e-mail address, with or without a name (shop@example.com, Shop <shop@example.com>)"
    )
    bad = "shop at example.com"

    def parse(self, raw: str) -> str:
        # Not Django's validate_email: importing django.core.validators costs
        # every process start a fifth of a second, for a sender's address.
        from email.utils import parseaddr

        text = raw.strip()
        _, address = parseaddr(text)
        local, _, domain = address.rpartition("@")
        if not local or re.search(r"[\s<>()\[\],;:\\\"]", local) or not _host_valid(domain):
            raise Invalid
        return text


class Bind(Reader):
    """Where gunicorn listens: ``HOST:PORT``, ``[::]:PORT``, ``unix:PATH`` or ``fd://N``."""

    accepted = "HOST:PORT ([::]:PORT for IPv6), unix:PATH or fd://N"
    bad = "0.0.0.0:http"

    def parse(self, raw: str) -> str:
        bind = raw.strip()
        if bind.startswith("unix:") and len(bind) > len("unix:"):
            return bind
        if re.fullmatch(r"fd://\d+", bind):
            return bind
        match = re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[^:\[\]]+):(\d+)", bind)
        if match is None or not _host_valid(match.group(1)):
            raise Invalid
        if not 1 <= int(match.group(2)) <= 65535:
            raise Invalid("port out of range")
        return bind


class ListOf(Reader):
    """Items read by ``item``, separated by commas (``spaces``: or whitespace)."""

    def __init__(self, item: Reader, *, spaces: bool = False, empty: bool = True) -> None:
        self.item, self.spaces, self.takes_empty = item, spaces, empty
        self.bad = item.bad if "," not in item.bad else "two\nlines"
        kind = "list separated by spaces or commas" if spaces else "comma-separated list"
        self.accepted = f"a {kind}, each {item.accepted}"

    def parse(self, raw: str) -> list:
        values = []
        for piece in re.split(r"[\s,]+" if self.spaces else r",", raw):
            if not piece.strip():
                continue
            try:
                values.append(self.item.parse(piece.strip()))
            except Invalid as exc:
                if str(exc):
                    raise Invalid(f"{_show(piece.strip())}: {exc}") from exc
                raise Invalid(_show(piece.strip()) if piece.strip() != raw.strip() else "") from exc
        if not values and not self.takes_empty:
            raise Invalid
        return values


# --- The variables ---------------------------------------------------------------


@dataclass(frozen=True)
class Variable:
    """One environment variable: name, reader, default (text, or a function of those above)."""

    name: str
    reader: Reader
    default: str | Callable[[Mapping[str, Any]], str] = ""
    secret: bool = False
    # Where the README documents it: "app" (Configuration) or "server" (Deploy > Configuration).
    table: str = "app"
    #: A value the tests start the processes with, to see them refuse it (reader's by default).
    bad: str | None = None

    @property
    def bad_value(self) -> str:
        return self.bad if self.bad is not None else self.reader.bad


_SECONDS_ONLY = Duration()
_TIMEOUT = Duration(0, whole=False)
_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _debug_default(on: str, off: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda v: on if v["DEBUG"] else off


def _web_concurrency(_: Mapping[str, Any]) -> str:
    return str((os.cpu_count() or 1) * 2 + 1)


V = Variable
VARIABLES: tuple[Variable, ...] = (
    # --- the app (README "Configuration") ---
    V("DEBUG", Boolean(), "off"),
    # Empty is unset: the development key with DEBUG on, refused with it off.
    V("SECRET_KEY", Secret(empty=False), _debug_default(DEV_SECRET_KEY, ""), secret=True),
    V(
        "ALLOWED_HOSTS",
        ListOf(Host(patterns=True)),
        _debug_default("127.0.0.1,localhost,[::1]", ""),
    ),
    V("CSRF_TRUSTED_ORIGINS", ListOf(Origin(wildcard=True)), ""),
    V("CORS_ALLOWED_ORIGINS", ListOf(Origin()), ""),
    V("DATABASE_URL", DatabaseUrl(), lambda v: f"sqlite:///{BASE_DIR / 'db.sqlite3'}", secret=True),
    V("DB_POOL_MIN_SIZE", Integer(0, 100), "2"),
    V("DB_POOL_MAX_SIZE", Integer(1, 100), "10"),
    V("DB_POOL_TIMEOUT", Duration(0.1, whole=False), "3s"),
    V("REDIS_URL", Url(("redis", "rediss", "unix"), empty=True), "", secret=True),
    V("CACHE_KEY_PREFIX", Text(r"[A-Za-z0-9_.:-]*", "letters, digits and _ . : -"), ""),
    V("REDIS_CONNECT_TIMEOUT", Duration(0.01, whole=False), "0.5s"),
    V("REDIS_SOCKET_TIMEOUT", Duration(0.01, whole=False), "0.5s"),
    V("REDIS_FAILURE_BACKOFF", _TIMEOUT, "1s"),
    V("RATE_LIMIT", Rate(), "1000/hour"),
    V("LOGIN_RATE_LIMIT", Rate(), "10/minute"),
    V("TRUSTED_PROXY_COUNT", Integer(0, 10), "0"),
    V("SESSION_COOKIE_AGE", Duration(60), "86400s"),
    V("HTTPS_ONLY", Boolean(), _debug_default("off", "on")),
    V("HSTS_SECONDS", _SECONDS_ONLY, "31536000s"),
    V("JWT_ACCESS_LIFETIME", Duration(10), "900s"),
    V("JWT_REFRESH_LIFETIME", Duration(60), "14 days"),
    # Unset: SECRET_KEY signs the tokens. Set and empty is refused (see _signing_keys).
    V("JWT_SIGNING_KEY", Secret(), lambda v: v["SECRET_KEY"] or "", secret=True),
    V("PASSWORD_RESET_TIMEOUT", Duration(60), "3600s"),
    V(
        "PASSWORD_RESET_URL",
        Url(contains="{token}"),
        "http://127.0.0.1:8000/reset-password?token={token}",
    ),
    V(
        "EMAIL_BACKEND",
        DottedPath(),
        "django.core.mail.backends.console.EmailBackend",
    ),
    V("EMAIL_HOST", Host(), "localhost"),
    V("EMAIL_PORT", Integer(1, 65535), "25"),
    V("EMAIL_HOST_USER", Text(), ""),
    V("EMAIL_HOST_PASSWORD", Secret(), "", secret=True),
    V("EMAIL_USE_TLS", Boolean(), "off"),
    V("DEFAULT_FROM_EMAIL", Email(), "shop@example.com"),
    V("MAX_BODY_BYTES", Size(1024), "1MiB"),
    V(
        "PAYMENT_GATEWAY",
        DottedPath(or_name="a short name (simulated)"),
        "simulated",
        bad="payments.gateway.Nope",
    ),
    V("PAYMENT_WEBHOOK_SECRET", Secret(), "", secret=True),
    V("PAYMENT_WEBHOOK_TOLERANCE", Duration(1), "300s"),
    V("PAYMENT_SIMULATOR_DELAY_MS", Duration(unit="ms"), "0"),
    V("PAYMENT_MAX_ATTEMPTS", Integer(1, 100), "4"),
    V("PAYMENT_RETRY_INTERVALS", ListOf(_SECONDS_ONLY, empty=False), "5,30,120"),
    V("PAYMENT_SWEEP_AFTER", Duration(1), "120s"),
    V("ORDER_PENDING_TIMEOUT", Duration(60), "1800s"),
    V("IDEMPOTENCY_TTL", Duration(60), "86400s"),
    V("IDEMPOTENCY_LOCK_TIMEOUT", Duration(1), "60s"),
    V("LOG_LEVEL", Word(*_LOG_LEVELS), "info", bad="loud"),
    V("LOG_FORMAT", Word("json", "plain"), _debug_default("plain", "json")),
    V("STATIC_ROOT", FilePath(), lambda v: str(BASE_DIR / "staticfiles")),
    V("METRICS_TOKEN", Secret(), "", secret=True),
    V("METRICS_ALLOWED_NETWORKS", ListOf(Cidr()), "127.0.0.0/8,::1/128"),
    V("WHITENOISE_USE_FINDERS", Boolean(), "on"),
    V("WEB_CONCURRENCY", Integer(1, 256), _web_concurrency),
    V("GUNICORN_TIMEOUT", Duration(1), "30s"),
    V("GUNICORN_GRACEFUL_TIMEOUT", Duration(0), "25s"),
    V("GUNICORN_KEEPALIVE", Duration(0), "5s"),
    V("GUNICORN_MAX_REQUESTS", Integer(0), "10000"),
    V("GUNICORN_MAX_REQUESTS_JITTER", Integer(0), "1000"),
    V("GUNICORN_PRELOAD", Boolean(), "on"),
    V("PORT", Integer(1, 65535), "8000"),
    V("GUNICORN_BIND", Bind(), lambda v: f"0.0.0.0:{v['PORT']}"),
    V("PROMETHEUS_MULTIPROC_DIR", FilePath(), "/tmp/prometheus-multiproc"),  # noqa: S108
    V(
        "WORKER_QUEUES",
        ListOf(Word(*RQ_QUEUE_NAMES), spaces=True, empty=False),
        " ".join(RQ_QUEUE_NAMES),
    ),
    V("RQ_WORKER_CLASS", DottedPath(), "ecommerce.worker.JobWorker"),
    # --- the image and its server (README "Deploy > Configuration") ---
    V(
        "DJANGO_SETTINGS_MODULE",
        DottedPath(module=True),
        "ecommerce.settings",
        table="server",
        bad="ecommerce.no_such_settings",
    ),
    V(
        "GUNICORN_WORKER_CLASS",
        Word("sync", "gthread", or_dotted_path=True),
        "sync",
        table="server",
    ),
    V("GUNICORN_THREADS", Integer(1, 256), "1", table="server"),
    V(
        "GUNICORN_ACCESS_LOG",
        FilePath(dash=True, parent_exists=True),
        "-",
        table="server",
        bad="/no/such/directory/access.log",
    ),
    V("FORWARDED_ALLOW_IPS", ListOf(IpAddress(star=True)), "*", table="server"),
)


# --- Checks across variables -------------------------------------------------------


def signing_key_problem(key: str) -> str | None:
    """Why ``key`` cannot sign sessions or API tokens in production, or None."""
    if not key:
        return "is empty"
    if key in PUBLISHED_KEYS:
        return "is a key published in this repository"
    if len(key) < SIGNING_KEY_MIN_LENGTH:
        return f"is too short ({len(key)} characters)"
    if len(set(key)) < 5:
        return "is not random (fewer than 5 different characters)"
    return None


SIGNING_KEY_ACCEPTED = (
    f"a random string of at least {SIGNING_KEY_MIN_LENGTH} characters found in no file of "
    f"this repository ({NEW_KEY_HINT})"
)


def _signing_keys(v: Mapping[str, Any], env: Mapping[str, str]) -> Iterator[str]:
    """With DEBUG off, the keys that sign sessions and API tokens must be real ones.

    JWT_SIGNING_KEY unset means SECRET_KEY signs the tokens: that key is then
    held to the same rule. Set but empty is refused rather than taken as
    unset: a forged token signed with "" must never verify.
    """
    if v["DEBUG"]:
        return
    if not v["SECRET_KEY"]:
        yield (
            f"SECRET_KEY: is not set and DEBUG is off; accepted: {SIGNING_KEY_ACCEPTED}, "
            "or DEBUG=1 for local development"
        )
    elif problem := signing_key_problem(v["SECRET_KEY"]):
        yield f"SECRET_KEY: {problem} and DEBUG is off; accepted: {SIGNING_KEY_ACCEPTED}"
    if "JWT_SIGNING_KEY" in env and (problem := signing_key_problem(v["JWT_SIGNING_KEY"])):
        yield (
            f"JWT_SIGNING_KEY: {problem} and DEBUG is off; accepted: unset (SECRET_KEY signs "
            f"API tokens) or {SIGNING_KEY_ACCEPTED}"
        )


def _pool_sizes(v: Mapping[str, Any], _: Mapping[str, str]) -> Iterator[str]:
    low, high = v["DB_POOL_MIN_SIZE"], v["DB_POOL_MAX_SIZE"]
    if low > high:
        yield (
            f"DB_POOL_MIN_SIZE: {low} is above DB_POOL_MAX_SIZE ({high}); accepted: a whole "
            "number up to DB_POOL_MAX_SIZE"
        )


def _token_lifetimes(v: Mapping[str, Any], _: Mapping[str, str]) -> Iterator[str]:
    access, refresh = v["JWT_ACCESS_LIFETIME"], v["JWT_REFRESH_LIFETIME"]
    if access >= refresh:
        yield (
            f"JWT_ACCESS_LIFETIME: {access} s is not shorter than JWT_REFRESH_LIFETIME "
            f"({refresh} s); accepted: a duration below JWT_REFRESH_LIFETIME"
        )


# (variables it needs, check): run only when all of them were read.
CONSTRAINTS: tuple[tuple[tuple[str, ...], Callable[..., Iterator[str]]], ...] = (
    (("DEBUG", "SECRET_KEY", "JWT_SIGNING_KEY"), _signing_keys),
    (("DB_POOL_MIN_SIZE", "DB_POOL_MAX_SIZE"), _pool_sizes),
    (("JWT_ACCESS_LIFETIME", "JWT_REFRESH_LIFETIME"), _token_lifetimes),
)


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


def _show(raw: str) -> str:
    shown = json.dumps(raw)
    return shown if len(shown) <= 120 else shown[:100] + '..."'


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


def load(env: Mapping[str, str] | None = None) -> Config:
    """Read and check every variable; ``ConfigError`` lists every problem found."""
    env = os.environ if env is None else env
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
