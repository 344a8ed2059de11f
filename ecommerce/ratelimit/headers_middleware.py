"""X-RateLimit-Limit / -Remaining / -Reset on every /v1 response.

The DRF throttles (ecommerce.ratelimit.throttling) count; this middleware only writes
what they counted onto the response, whatever produced it (a view, the
exception handler, a 404 for an unknown path, a 429). Probes and the admin
are not part of the API and get no such headers.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ecommerce.ratelimit.throttling import configured_rate, rate_limit_state_for

API_PREFIX = "/v1"


class RateLimitHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # A malformed RATE_LIMIT / LOGIN_RATE_LIMIT stops the process at start-up
        # instead of failing every request.
        configured_rate("RATE_LIMIT")
        configured_rate("LOGIN_RATE_LIMIT")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path == API_PREFIX or request.path.startswith(f"{API_PREFIX}/"):
            for name, value in rate_limit_state_for(request).headers().items():
                response[name] = value
        return response
