"""Each variable's documented default is what the code uses, and a value set is honoured.

A subprocess per environment loads the settings and docker/gunicorn.conf.py
as the roles do and reports, for every variable, the value where the code
uses it (``OBSERVED``; a setting of the variable's own name by default). It
is compared with the README's default (tests/test_config_readme.py checks
that it is ecommerce.config's), the computed defaults with ``COMPUTED``, and
values set with ``SAMPLES``, all set at once.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from ecommerce import config
from ecommerce.tests.test_config_bad_values import clean_env
from ecommerce.tests.test_config_readme import readme_tables

REPO = Path(__file__).resolve().parents[2]

# Where each variable's value lands, as a Python expression over ``settings``
# (django.conf.settings), ``gunicorn`` (docker/gunicorn.conf.py's names) and
# ``CONFIG`` (ecommerce.config.load()). Not listed: ``settings.<NAME>``.
OBSERVED = {
    "DATABASE_URL": "settings.DATABASES['default']",
    "DB_POOL_MIN_SIZE": "settings.DATABASES['default']['OPTIONS']['pool']['min_size']",
    "DB_POOL_MAX_SIZE": "settings.DATABASES['default']['OPTIONS']['pool']['max_size']",
    "DB_POOL_TIMEOUT": "settings.DATABASES['default']['OPTIONS']['pool']['timeout']",
    "REDIS_CONNECT_TIMEOUT": "settings.CACHES['default']['OPTIONS']['SOCKET_CONNECT_TIMEOUT']",
    "REDIS_SOCKET_TIMEOUT": "settings.CACHES['default']['OPTIONS']['SOCKET_TIMEOUT']",
    "CACHE_KEY_PREFIX": "settings.CACHES['default']['KEY_PREFIX']",
    "HSTS_SECONDS": "settings.SECURE_HSTS_SECONDS",
    "JWT_ACCESS_LIFETIME": "settings.SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'].total_seconds()",
    "JWT_REFRESH_LIFETIME": "settings.SIMPLE_JWT['REFRESH_TOKEN_LIFETIME'].total_seconds()",
    "JWT_SIGNING_KEY": "settings.SIMPLE_JWT['SIGNING_KEY']",
    "MAX_BODY_BYTES": "settings.DATA_UPLOAD_MAX_MEMORY_SIZE",
    "LOG_LEVEL": "settings.LOGGING['root']['level'].lower()",
    "LOG_FORMAT": "settings.LOGGING['handlers']['console']['formatter']",
    "RQ_WORKER_CLASS": "settings.RQ['WORKER_CLASS']",
    "DJANGO_SETTINGS_MODULE": "settings.SETTINGS_MODULE",
    "WEB_CONCURRENCY": "gunicorn['workers']",
    "GUNICORN_TIMEOUT": "gunicorn['timeout']",
    "GUNICORN_GRACEFUL_TIMEOUT": "gunicorn['graceful_timeout']",
    "GUNICORN_KEEPALIVE": "gunicorn['keepalive']",
    "GUNICORN_MAX_REQUESTS": "gunicorn['max_requests']",
    "GUNICORN_MAX_REQUESTS_JITTER": "gunicorn['max_requests_jitter']",
    "GUNICORN_PRELOAD": "gunicorn['preload_app']",
    "PORT": "int(gunicorn['bind'].rsplit(':', 1)[1])",
    "GUNICORN_BIND": "gunicorn['bind']",
    "PROMETHEUS_MULTIPROC_DIR": "os.environ['PROMETHEUS_MULTIPROC_DIR']",
    "WORKER_QUEUES": "CONFIG.WORKER_QUEUES",
    "GUNICORN_WORKER_CLASS": "gunicorn['worker_class']",
    "GUNICORN_THREADS": "gunicorn['threads']",
    "GUNICORN_ACCESS_LOG": "gunicorn['accesslog']",
    "FORWARDED_ALLOW_IPS": "gunicorn['forwarded_allow_ips'].split(',')",
    # The file cache's place, used only without REDIS_URL (which the samples set).
    "CACHE_DIR": (
        "CONFIG.CACHE_DIR if settings.REDIS_URL else settings.CACHES['default']['LOCATION']"
    ),
    # Read by ecommerce.config before the rest (the tests set it empty).
    "ENV_FILE": "CONFIG.ENV_FILE",
    # Used only with a bucket (the S3 storage's options) or by the entrypoint's shell.
    "MEDIA_S3_ACCESS_KEY_ID": "CONFIG.MEDIA_S3_ACCESS_KEY_ID",
    "MEDIA_S3_SECRET_ACCESS_KEY": "CONFIG.MEDIA_S3_SECRET_ACCESS_KEY",
    "MEDIA_S3_ACL": "CONFIG.MEDIA_S3_ACL",
    "WEB_BIND": "CONFIG.WEB_BIND",
    "WEB_RUN_DIR": "CONFIG.WEB_RUN_DIR",
}
# Pool and Redis options exist only with PostgreSQL and Redis configured.
NEEDS_SERVICES = {name for name in OBSERVED if name.startswith(("DB_POOL_", "REDIS_"))}
SERVICES = {
    "DATABASE_URL": "postgres://shop@127.0.0.1:5432/shop",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}

OBSERVE = r"""
import json, os, runpy, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecommerce.settings")  # as manage.py, wsgi.py
from django.conf import settings
from ecommerce import config
CONFIG = config.load()
gunicorn = runpy.run_path("docker/gunicorn.conf.py")
observed = {}
for name, expression in json.loads(sys.argv[1]).items():
    observed[name] = eval(expression)
print(json.dumps(observed, default=str))
"""


def observe(env: dict[str, str], names: list[str]) -> dict:
    expressions = {name: OBSERVED.get(name, f"settings.{name}") for name in names}
    result = subprocess.run(  # noqa: S603 - our own argv
        [sys.executable, "-c", OBSERVE, json.dumps(expressions)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def same(expected, observed) -> bool:
    """A DATABASES entry gains the pool's options: the URL's keys must match."""
    if isinstance(expected, dict):
        return all(observed.get(key) == value for key, value in expected.items())
    return json.loads(json.dumps(expected, default=str)) == observed


def _literal(variable: config.Variable):
    default = readme_tables()[variable.table][variable.name][0]
    if variable.default == "":
        return variable.reader.parse("") if variable.reader.takes_empty else None
    return variable.reader.parse(default.split("`")[1])


def test_every_documented_default_is_what_the_code_uses(tmp_path):
    literal = [v for v in config.VARIABLES if not callable(v.default)]
    plain = [v.name for v in literal if v.name not in NEEDS_SERVICES]
    observed = observe(clean_env(), plain)
    observed |= observe(clean_env(**SERVICES), sorted(NEEDS_SERVICES))
    wrong = {
        v.name: (_literal(v), observed[v.name])
        for v in literal
        if not same(_literal(v), observed[v.name])
    }
    assert not wrong, f"README default, then what the code uses: {wrong}"


KEY = secrets.token_urlsafe(50)
# (environment, {variable: what the code should use}) for the defaults that
# depend on other values (``lambda`` defaults in ecommerce.config.VARIABLES).
COMPUTED = [
    (
        {"DEBUG": "on", "SECRET_KEY": ""},
        {
            "SECRET_KEY": config.DEV_SECRET_KEY,
            "JWT_SIGNING_KEY": config.DEV_SECRET_KEY,
            "ALLOWED_HOSTS": ["127.0.0.1", "localhost", "[::1]"],
            "HTTPS_ONLY": False,
            "LOG_FORMAT": "plain",
        },
    ),
    (
        {"SECRET_KEY": KEY},
        {
            "JWT_SIGNING_KEY": KEY,
            "ALLOWED_HOSTS": [],
            "HTTPS_ONLY": True,
            "LOG_FORMAT": "json",
            "DATABASE_URL": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(REPO / "db.sqlite3"),
            },
            "STATIC_ROOT": str(REPO / "staticfiles"),
            "WEB_CONCURRENCY": 2 * (os.cpu_count() or 1) + 1,
            "GUNICORN_BIND": "0.0.0.0:8000",
        },
    ),
    (
        {"SECRET_KEY": KEY, "PORT": "9001"},
        {"GUNICORN_BIND": "0.0.0.0:9001", "WEB_BIND": "0.0.0.0:9001"},
    ),
    (
        {"SECRET_KEY": KEY},
        {
            "CACHE_DIR": str(REPO / ".cache"),
            "MEDIA_ROOT": str(REPO / "media"),
            "MEDIA_URL": "/media/",
            "PAYMENT_WEBHOOK_SECRET": "",
            "WEB_BIND": "0.0.0.0:8000",
        },
    ),
    (
        {"DEBUG": "on"},
        {"PAYMENT_WEBHOOK_SECRET": config.variables.DEV_PAYMENT_WEBHOOK_SECRET},
    ),
    (
        {"SECRET_KEY": KEY, "MEDIA_S3_BUCKET": "shop-media", "MEDIA_S3_REGION": "eu-west-1"},
        {"MEDIA_URL": "https://shop-media.s3.eu-west-1.amazonaws.com/"},
    ),
    (
        {
            "SECRET_KEY": KEY,
            "MEDIA_S3_BUCKET": "shop-media",
            "MEDIA_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        },
        {"MEDIA_URL": "http://127.0.0.1:9000/shop-media/"},
    ),
    # clean_env sets ENV_FILE empty (a developer's .env must not leak in); None unsets it.
    ({"SECRET_KEY": KEY, "ENV_FILE": None}, {"ENV_FILE": str(REPO / ".env")}),
]


def test_env_file_is_read_under_the_variables_already_set(tmp_path, monkeypatch):
    env_file = tmp_path / "dev.env"
    env_file.write_text("DEBUG=1\nLOG_LEVEL=warning\n")
    monkeypatch.setenv("ENV_FILE", str(env_file))
    monkeypatch.setenv("LOG_LEVEL", "error")
    monkeypatch.delenv("DEBUG", raising=False)
    config.env_file_read()
    assert os.environ["DEBUG"] == "1"
    assert os.environ["LOG_LEVEL"] == "error"


def test_every_computed_default_has_cases():
    computed = {v.name for v in config.VARIABLES if callable(v.default)}
    covered = {name for _, expected in COMPUTED for name in expected}
    assert computed <= covered, f"give COMPUTED a case for {sorted(computed - covered)}"


@pytest.mark.parametrize(("env", "expected"), COMPUTED)
def test_computed_defaults_are_what_the_readme_says(env, expected):
    observed = observe(clean_env(**env), list(expected))
    wrong = {n: (v, observed[n]) for n, v in expected.items() if not same(v, observed[n])}
    assert not wrong, wrong


def _samples(tmp_path: Path) -> dict[str, str]:
    """A value for each variable, unlike its default, all set at once (DEBUG on)."""
    return {
        "DEBUG": "on",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "shop.example.com,.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://shop.example.com,https://*.example.org",
        "CORS_ALLOWED_ORIGINS": "https://app.example.com",
        "DATABASE_URL": "postgres://shop:pw@db.example.internal:6543/shopdb",
        "DB_POOL_MIN_SIZE": "3",
        "DB_POOL_MAX_SIZE": "7",
        "DB_POOL_TIMEOUT": "1500ms",
        "REDIS_URL": "redis://cache.example.internal:6380/3",
        "CACHE_KEY_PREFIX": "shop",
        "REDIS_CONNECT_TIMEOUT": "250ms",
        "REDIS_SOCKET_TIMEOUT": "2s",
        "REDIS_FAILURE_BACKOFF": "5s",
        "RATE_LIMIT": "50/minute",
        "LOGIN_RATE_LIMIT": "3/Minute",
        "TRUSTED_PROXY_COUNT": "2",
        "SESSION_COOKIE_AGE": "2h",
        "HTTPS_ONLY": "on",
        "HSTS_SECONDS": "1d",
        "JWT_ACCESS_LIFETIME": "5m",
        "JWT_REFRESH_LIFETIME": "7 days",
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "PASSWORD_RESET_TIMEOUT": "30m",
        "PASSWORD_RESET_URL": "https://shop.example.com/reset?t={token}",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "mail-password",
        "EMAIL_USE_TLS": "yes",
        "DEFAULT_FROM_EMAIL": "Shop <orders@example.com>",
        "MAX_BODY_BYTES": "256KiB",
        "PAYMENT_GATEWAY": "payments.gateway.SimulatedGateway",
        "PAYMENT_WEBHOOK_SECRET": "whsec_sample",
        "PAYMENT_WEBHOOK_TOLERANCE": "10m",
        "PAYMENT_SIMULATOR_DELAY_MS": "250",
        "PAYMENT_MAX_ATTEMPTS": "6",
        "PAYMENT_RETRY_INTERVALS": "1,2m",
        "PAYMENT_SWEEP_AFTER": "5m",
        "ORDER_PENDING_TIMEOUT": "1h",
        "IDEMPOTENCY_TTL": "2d",
        "IDEMPOTENCY_LOCK_TIMEOUT": "90s",
        "LOG_LEVEL": "Warning",
        "LOG_FORMAT": "json",
        "STATIC_ROOT": "/srv/static",
        "METRICS_TOKEN": "metrics-token",
        "METRICS_ALLOWED_NETWORKS": "10.0.0.0/8",
        "WHITENOISE_USE_FINDERS": "off",
        "WEB_CONCURRENCY": "3",
        "GUNICORN_TIMEOUT": "1m",
        "GUNICORN_GRACEFUL_TIMEOUT": "10s",
        "GUNICORN_KEEPALIVE": "2s",
        "GUNICORN_MAX_REQUESTS": "500",
        "GUNICORN_MAX_REQUESTS_JITTER": "50",
        # Off: gunicorn.conf.py loads the app once in a child (that too must pass).
        "GUNICORN_PRELOAD": "off",
        "PORT": "9000",
        "GUNICORN_BIND": "127.0.0.1:9000",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "WORKER_QUEUES": "payments emails",
        "RQ_WORKER_CLASS": "rq.worker.Worker",
        "DJANGO_SETTINGS_MODULE": "tests.fuzz.settings",
        "GUNICORN_WORKER_CLASS": "gthread",
        "GUNICORN_THREADS": "4",
        "GUNICORN_ACCESS_LOG": str(tmp_path / "access.log"),
        "FORWARDED_ALLOW_IPS": "10.0.0.1,10.0.0.2",
        "CACHE_DIR": str(tmp_path / "cache"),
        "TRUSTED_PROXY_NETWORKS": "10.0.0.0/8",
        "WEBHOOK_RATE_LIMIT": "30/minute",
        "STRIPE_SECRET_KEY": "sk_test_sample",
        "STRIPE_WEBHOOK_SECRET": "whsec_stripe_sample",
        "STRIPE_API_BASE": "http://127.0.0.1:12111",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "MEDIA_URL": "https://cdn.example.com/media/",
        "MEDIA_MAX_UPLOAD_BYTES": "2MiB",
        "MEDIA_MAX_PIXELS": "1000000",
        "MEDIA_RENDITION_ATTEMPTS": "5",
        "MEDIA_RETRY_INTERVALS": "1,5",
        "MEDIA_SWEEP_AFTER": "2m",
        "MEDIA_ORPHAN_GRACE": "2h",
        "WEB_BIND": "127.0.0.1:9100",
        "WEB_RUN_DIR": str(tmp_path / "web"),
    }


def test_every_value_set_is_honoured(tmp_path):
    samples = _samples(tmp_path)
    variables = config.by_name()
    # A variable without a sample here is still checked for its default and bad values.
    assert set(samples) <= set(variables)
    for name, value in samples.items():
        reader = variables[name].reader
        if not callable(variables[name].default) and variables[name].default:
            assert reader.parse(value) != reader.parse(variables[name].default), name
    observed = observe(clean_env(**samples), list(samples))
    wrong = {
        name: (value, observed[name])
        for name, value in samples.items()
        if not same(variables[name].reader.parse(value), observed[name])
    }
    assert not wrong, f"value set, then what the code uses: {wrong}"
