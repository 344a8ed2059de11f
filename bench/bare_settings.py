"""Settings of the bare Django baseline (bench.bare_django): Django's floor.

The issue's honest floor: Django with ``SecurityMiddleware`` and
``CommonMiddleware`` only, no database, no cache, no metrics, no access log.
The project's settings are left out on purpose: their middleware, logging and
Prometheus metrics are part of what the scenarios measure against this.
"""

import os

SECRET_KEY = os.environ.get("SECRET_KEY") or "bench-bare-django-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "bench.bare_django"
DATABASES: dict[str, dict] = {}
USE_TZ = True
