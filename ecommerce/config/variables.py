"""Every variable the processes read: ``VARIABLES``, one line each, and the checks
across them (``CONSTRAINTS``). How to add one: ecommerce.config's docstring.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
)

BASE_DIR = Path(__file__).resolve().parents[2]

# The queues every worker serves unless WORKER_QUEUES narrows it (settings.RQ_QUEUE_NAMES).
RQ_QUEUE_NAMES = ("default", "payments", "emails", "media")

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
# The simulated gateway's webhook secret with DEBUG on (never with it off).
DEV_PAYMENT_WEBHOOK_SECRET = "whsec_simulator_dev_only"  # noqa: S105
NEW_KEY_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"


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


def _media_url(v: Mapping[str, Any]) -> str:
    """Where media URLs point by default: the bucket's own address, or the app's /media/."""
    bucket, endpoint = v["MEDIA_S3_BUCKET"], v["MEDIA_S3_ENDPOINT_URL"]
    if not bucket:
        return "/media/"
    if endpoint:
        return f"{endpoint.rstrip('/')}/{bucket}/"
    return f"https://{bucket}.s3.{v['MEDIA_S3_REGION']}.amazonaws.com/"


def _web_concurrency(_: Mapping[str, Any]) -> str:
    return str((os.cpu_count() or 1) * 2 + 1)


V = Variable
VARIABLES: tuple[Variable, ...] = (
    # --- the app (README "Configuration") ---
    # make run's git-ignored .env (DEBUG=1), read into the environment before
    # the rest, under what is already set; empty reads none (see env_file_read).
    V("ENV_FILE", Text(), lambda v: str(BASE_DIR / ".env")),
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
    V("CACHE_DIR", FilePath(), lambda v: str(BASE_DIR / ".cache")),
    V("CACHE_KEY_PREFIX", Text(r"[A-Za-z0-9_.:-]*", "letters, digits and _ . : -"), ""),
    V("REDIS_CONNECT_TIMEOUT", Duration(0.01, whole=False), "0.5s"),
    V("REDIS_SOCKET_TIMEOUT", Duration(0.01, whole=False), "0.5s"),
    V("REDIS_FAILURE_BACKOFF", _TIMEOUT, "1s"),
    V("RATE_LIMIT", Rate(), "1000/hour"),
    V("LOGIN_RATE_LIMIT", Rate(), "10/minute"),
    V("TRUSTED_PROXY_COUNT", Integer(0, 10), "0"),
    V("TRUSTED_PROXY_NETWORKS", ListOf(Cidr()), "127.0.0.0/8,::1/128"),
    V("WEBHOOK_RATE_LIMIT", Rate(), "600/minute"),
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
        DottedPath(or_name="a short name (simulated, stripe)"),
        "simulated",
        bad="payments.gateway.Nope",
    ),
    # With DEBUG on, a development secret, so `make run` can finish a simulated
    # 3-D Secure payment (manage.py payment_simulate_authentication).
    V(
        "PAYMENT_WEBHOOK_SECRET",
        Secret(),
        _debug_default(DEV_PAYMENT_WEBHOOK_SECRET, ""),
        secret=True,
    ),
    V("STRIPE_SECRET_KEY", Secret(), "", secret=True),
    V("STRIPE_WEBHOOK_SECRET", Secret(), "", secret=True),
    V("STRIPE_API_BASE", Url(), "https://api.stripe.com"),
    V("PAYMENT_WEBHOOK_TOLERANCE", Duration(1), "300s"),
    V("PAYMENT_SIMULATOR_DELAY_MS", Duration(unit="ms"), "0"),
    V("PAYMENT_MAX_ATTEMPTS", Integer(1, 100), "4"),
    V("PAYMENT_RETRY_INTERVALS", ListOf(_SECONDS_ONLY, empty=False), "5,30,120"),
    V("PAYMENT_SWEEP_AFTER", Duration(1), "120s"),
    V("ORDER_PENDING_TIMEOUT", Duration(60), "1800s"),
    # --- checkout (pricing) ---
    V("PRICES_INCLUDE_TAX", Boolean(), "off"),
    V("TAX_SHIPPING", Boolean(), "off"),
    V("TAX_CALCULATOR", DottedPath(), "checkout.tax.TableTaxCalculator"),
    V("IDEMPOTENCY_TTL", Duration(60), "86400s"),
    V("IDEMPOTENCY_LOCK_TIMEOUT", Duration(1), "60s"),
    # --- product media (catalog.media) ---
    V("MEDIA_ROOT", FilePath(), lambda v: str(BASE_DIR / "media")),
    V(
        "MEDIA_S3_BUCKET",
        Text(r"([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])?", "an S3 bucket name (3-63 of a-z 0-9 . -)"),
        "",
    ),
    V("MEDIA_S3_ENDPOINT_URL", Url(empty=True), ""),
    V("MEDIA_S3_REGION", Text(r"[a-z0-9-]+", "a region name (us-east-1)"), "us-east-1"),
    V("MEDIA_S3_ACCESS_KEY_ID", Secret(), "", secret=True),
    V("MEDIA_S3_SECRET_ACCESS_KEY", Secret(), "", secret=True),
    V("MEDIA_S3_ACL", Text(r"[a-z-]*", "a canned ACL (public-read), or empty"), ""),
    V(
        "MEDIA_URL",
        Text(r"(https?://[^\s]+|/[^\s]*)", "an http(s) URL or a path starting with /"),
        _media_url,
    ),
    V("MEDIA_MAX_UPLOAD_BYTES", Size(1024), "10MiB"),
    V("MEDIA_MAX_PIXELS", Integer(1), "40000000"),
    V("MEDIA_RENDITION_ATTEMPTS", Integer(1, 100), "3"),
    V("MEDIA_RETRY_INTERVALS", ListOf(_SECONDS_ONLY, empty=False), "10,60"),
    V("MEDIA_SWEEP_AFTER", Duration(1), "600s"),
    V("MEDIA_ORPHAN_GRACE", Duration(60), "3600s"),
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
    V("RQ_WORKER_CLASS", DottedPath(), "ecommerce.jobs.worker.JobWorker"),
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
    V("FORWARDED_ALLOW_IPS", ListOf(IpAddress(star=True)), "127.0.0.1,::1", table="server"),
    V("WEB_BIND", Bind(), lambda v: f"0.0.0.0:{v['PORT']}", table="server"),
    V("WEB_RUN_DIR", FilePath(), "/tmp/web", table="server"),  # noqa: S108
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
