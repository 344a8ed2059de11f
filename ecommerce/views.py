"""Fallback views that keep Django's own errors in the API's envelope."""

import functools
import logging
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from ecommerce.api.envelope import JSON_CONTENT_TYPE, error_body, is_api, render_json
from ecommerce.errors import ErrorCode

logger = logging.getLogger(__name__)


def _error(code: ErrorCode) -> HttpResponse:
    return HttpResponse(
        render_json(error_body(code)), status=code.status, content_type=JSON_CONTENT_TYPE
    )


# CSRF-exempt like every API view: otherwise a POST to an unknown path would be
# refused by the CSRF middleware (an HTML 403) before it could be told 404.
@csrf_exempt
def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """Any path under /v1 that no route matches, whatever the method."""
    return _error(ErrorCode.NOT_FOUND)


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
            response = _error(ErrorCode.METHOD_NOT_ALLOWED)
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return guarded


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's own 400s: a Host not in ALLOWED_HOSTS, a body over MAX_BODY_BYTES, ..."""
    if is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return _error(ErrorCode.PAYLOAD_TOO_LARGE)
        return _error(ErrorCode.BAD_REQUEST)
    return defaults.bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return _error(ErrorCode.PERMISSION_DENIED)
    return defaults.permission_denied(request, exception)


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return _error(ErrorCode.SERVER_ERROR)
    return defaults.server_error(request)
