"""The bare Django baseline: one view returning the bytes of a cached list page.

``bench.bare_settings`` (SecurityMiddleware and CommonMiddleware, nothing
else), served by the same gunicorn configuration and front as the app
(bench.run). Every scenario's throughput is read as a ratio to this view.
"""

import os
from pathlib import Path

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bare_settings"

from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

BODY = Path(os.environ.get("BENCH_BASELINE_BODY", "bench/.work/baseline-body.json")).read_bytes()


def fixed_bytes(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="application/json; charset=utf-8")


urlpatterns = [path("v1/products", fixed_bytes)]

application = get_wsgi_application()
