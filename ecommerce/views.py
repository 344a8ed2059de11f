"""Fallback views that keep Django's own errors in the API's envelope."""

import functools
import logging
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseServerError
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from ecommerce.api.exceptions import error_body
from ecommerce.api.renderers import render_json

logger = logging.getLogger(__name__)

API_PREFIX = "/v1"
JSON = "application/json; charset=utf-8"


def _is_api(request: HttpRequest) -> bool:
    return request.path == API_PREFIX or request.path.startswith(f"{API_PREFIX}/")


# CSRF-exempt like every API view: otherwise a POST to an unknown path would be
# refused by the CSRF middleware (an HTML 403) before it could be told 404.
@csrf_exempt
def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """Any path under /v1 that no route matches, whatever the method."""
    body = render_json(error_body("not_found", "No such endpoint."))
    return HttpResponseNotFound(body, content_type=JSON)


def safe_methods_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET and HEAD only, for the plain views outside /v1 (probes, /metrics).

    Any other method is a 405 in the envelope. Django's ``require_safe`` answers
    an empty 405, and before it a POST met the CSRF middleware, whose refusal
    is an HTML page: these views take no form, so they are exempt.
    """

    @csrf_exempt
    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            body = render_json(error_body("method_not_allowed", "Method not allowed."))
            response = HttpResponse(body, status=405, content_type=JSON)
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return guarded


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's own 400s: a Host not in ALLOWED_HOSTS, a body over MAX_BODY_BYTES, ..."""
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            body = render_json(error_body("payload_too_large", "Request body is too large."))
            return HttpResponse(body, status=413, content_type=JSON)
        body = render_json(error_body("bad_request", "The request could not be processed."))
        return HttpResponse(body, status=400, content_type=JSON)
    return defaults.bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        body = render_json(error_body("permission_denied", "You do not have permission."))
        return HttpResponse(body, status=403, content_type=JSON)
    return defaults.permission_denied(request, exception)


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        body = render_json(error_body("server_error", "An unexpected error occurred."))
        return HttpResponseServerError(body, content_type=JSON)
    return defaults.server_error(request)
