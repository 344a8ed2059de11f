"""Session, authentication and messages middleware for the admin site only.

The API authenticates every request by its bearer token and keeps no session;
only the admin site (``/admin/``) uses a session cookie, ``request.user`` from
it and flash messages. Django's three middleware would otherwise build a
session store, a lazy user and a two-backend message storage (with a cookie
signer) for every API request that never looks at them. These subclasses do
their work on admin paths and step aside everywhere else; being subclasses,
the admin's system checks still find them in MIDDLEWARE.
"""

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse

ADMIN_PREFIX = "/admin/"


def is_admin_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(ADMIN_PREFIX)


class AdminSessionMiddleware(SessionMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if is_admin_request(request):
            super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if hasattr(request, "session"):
            return super().process_response(request, response)
        return response


class AdminAuthenticationMiddleware(AuthenticationMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if is_admin_request(request):
            super().process_request(request)


class AdminMessageMiddleware(MessageMiddleware):
    # process_response already skips a request without message storage.
    def process_request(self, request: HttpRequest) -> None:
        if is_admin_request(request):
            super().process_request(request)
