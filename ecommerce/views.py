"""Fallback views that keep Django's own errors in the API's envelope."""

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseServerError
from django.views import defaults

from ecommerce.api.exceptions import error_body
from ecommerce.api.renderers import render_json

logger = logging.getLogger(__name__)

API_PREFIX = "/v1"
JSON = "application/json; charset=utf-8"


def _is_api(request: HttpRequest) -> bool:
    return request.path == API_PREFIX or request.path.startswith(f"{API_PREFIX}/")


def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """Any path under /v1 that no route matches."""
    body = render_json(error_body("not_found", "No such endpoint."))
    return HttpResponseNotFound(body, content_type=JSON)


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        body = render_json(error_body("server_error", "An unexpected error occurred."))
        return HttpResponseServerError(body, content_type=JSON)
    return defaults.server_error(request)
