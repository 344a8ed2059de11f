"""The benchmark's floor: a minimal Django view returning fixed bytes.

Served by ``gunicorn -c docker/gunicorn.conf.py bench.baseline:application``,
with the project's settings (the same middleware, logging and metrics) but a
URLconf of one view that returns the body of a cached product list response.
Every scenario's throughput is read as a ratio to this.
"""

import os
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecommerce.settings")

BODY = Path(os.environ.get("BENCH_BASELINE_BODY", "bench/.work/baseline-body.json")).read_bytes()


def fixed_bytes(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="application/json; charset=utf-8")


urlpatterns = [path("v1/products", fixed_bytes)]

from django.core.wsgi import get_wsgi_application  # noqa: E402

_app = get_wsgi_application()

from django.conf import settings  # noqa: E402

settings.ROOT_URLCONF = __name__
application = _app
