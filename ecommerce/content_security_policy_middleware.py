"""Content-Security-Policy on every response, by path.

The admin site and Swagger UI (``/v1/docs``) are the only HTML pages; both
load their scripts and styles from this origin and none inline (Swagger UI's
start-up script comes from ``/v1/docs?script``, its page's styles from a file:
ecommerce/api/schema_views.py). So a script injected into either page through
some stored field would not run, and no other site may frame them. The API's
JSON answers get a policy that allows nothing at all: a browser that renders
one as a document runs nothing from it.

Hand-written rather than django-csp: the policies are fixed strings chosen by
path, with no nonce or per-view override, which is all this middleware does;
the library would add a dependency to set one header (Django 6.0 brings its
own CSP support, which this can move to).
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ecommerce.api.envelope import API_PREFIX, is_api_path

HEADER = "Content-Security-Policy"

_SAME_ORIGIN_PAGE = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    # Icons the admin and Swagger UI draw as data: URIs.
    "img-src": "'self' data:",
    "font-src": "'self'",
    # Swagger UI fetches the schema and sends "Try it out" requests here.
    "connect-src": "'self'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}


def _policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


ADMIN_POLICY = _policy({**_SAME_ORIGIN_PAGE, "form-action": "'self'"})
DOCS_POLICY = _policy({**_SAME_ORIGIN_PAGE, "form-action": "'none'"})
API_POLICY = _policy({"default-src": "'none'", "base-uri": "'none'", "frame-ancestors": "'none'"})


def policy_for(path: str) -> str | None:
    if path.startswith("/admin/"):
        return ADMIN_POLICY
    if path in (f"{API_PREFIX}/docs", f"{API_PREFIX}/docs/"):
        return DOCS_POLICY
    if path in ("/health", "/ready", "/metrics") or is_api_path(path):
        return API_POLICY
    # Static files (WhiteNoise answers them before this runs) and Django's own
    # pages elsewhere: nothing to add.
    return None


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = policy_for(request.path)
        if policy is not None and HEADER not in response:
            response[HEADER] = policy
        return response
