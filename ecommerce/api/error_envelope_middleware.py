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

from ecommerce.api.envelope import API_PREFIX, JSON_CONTENT_TYPE, error_body, is_api, render_json
from ecommerce.errors import ErrorCode

logger = logging.getLogger(__name__)


class ApiErrorEnvelopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and is_api(request)
            and not response.get("Content-Type", "").startswith("application/json")
            and not getattr(response, "streaming", False)
        ):
            code = ErrorCode.of_status(response.status_code)
            logger.warning(
                "A %s %s error page under %s was replaced by the envelope.",
                response.status_code,
                response.get("Content-Type", "without a content type"),
                API_PREFIX,
            )
            # The same response object: headers set on the way out (request id,
            # rate limits, CORS, security) stay.
            response.content = render_json(error_body(code))
            response["Content-Type"] = JSON_CONTENT_TYPE
        return response
