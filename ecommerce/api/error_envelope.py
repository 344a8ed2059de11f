"""The last guard of the envelope: no error page of another shape leaves /v1.

DRF's exception handler and the handlers in ecommerce.views cover every error
with DEBUG off. With DEBUG on (``make run``), Django answers a crash outside a
DRF view (a plain view, a middleware) with its technical page: the stack
trace, local variables, SQL and settings, under /v1. This middleware turns any
non-JSON error response under /v1 into the envelope with the status's code;
the exception itself is still logged in full by Django.
"""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ecommerce.api.exceptions import error_body
from ecommerce.api.renderers import render_json

logger = logging.getLogger(__name__)

API_PREFIX = "/v1"
JSON = "application/json; charset=utf-8"

_CODES = {
    400: ("bad_request", "The request could not be processed."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission."),
    404: ("not_found", "No such endpoint."),
    405: ("method_not_allowed", "Method not allowed."),
    413: ("payload_too_large", "Request body is too large."),
    429: ("rate_limited", "Too many requests."),
    503: ("service_unavailable", "The service is temporarily unavailable. Please retry shortly."),
}
_SERVER_ERROR = ("server_error", "An unexpected error occurred.")
_CLIENT_ERROR = ("bad_request", "The request could not be processed.")


class ApiErrorEnvelopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and _is_api(request)
            and not response.get("Content-Type", "").startswith("application/json")
            and not getattr(response, "streaming", False)
        ):
            fallback = _SERVER_ERROR if response.status_code >= 500 else _CLIENT_ERROR
            code, message = _CODES.get(response.status_code, fallback)
            logger.warning(
                "A %s %s error page under %s was replaced by the envelope.",
                response.status_code,
                response.get("Content-Type", "without a content type"),
                API_PREFIX,
            )
            # The same response object: headers set on the way out (request id,
            # rate limits, CORS, security) stay.
            response.content = render_json(error_body(code, message))
            response["Content-Type"] = JSON
        return response


def _is_api(request: HttpRequest) -> bool:
    return request.path == API_PREFIX or request.path.startswith(f"{API_PREFIX}/")
