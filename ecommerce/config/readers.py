"""The typed readers of ecommerce.config: environment text -> value, or ``Invalid``.

Each says what it accepts (``accepted``, used in the error line) and names
a value it refuses (``bad``, which the tests start every role with).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ


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
RATE_PERIODS: dict[str, int] = {
    unit: int(seconds)  # whole seconds: "ms" is not a period
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
    """``1000/hour``, ``10/minute``, ``5/s``: kept as written; read by
    ecommerce.ratelimit.throttling."""

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


def _show(raw: str) -> str:
    shown = json.dumps(raw)
    return shown if len(shown) <= 120 else shown[:100] + '..."'
